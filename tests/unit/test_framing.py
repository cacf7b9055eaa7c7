"""Framing and down-chunking (PROTOCOL.md §1, §6): rows F1–F5, F12, F14 and F16."""

from __future__ import annotations

import asyncio
import struct
import sys
import tracemalloc

import pytest

from webbridge.errors import BadChunk, FrameEmpty, FrameTooLarge, FrameTruncated
from webbridge.protocol import jsonstrict
from webbridge.protocol.b64url import encode as b64e
from webbridge.protocol.framing import (
    CHUNK_PIECE,
    MAX_DOWN_FRAME,
    MAX_UP_FRAME,
    ChunkAssembler,
    chunk_down,
    encode,
    is_chunk,
    read_frame,
)


def reader_with(data: bytes, *, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


def test_constants_match_the_protocol() -> None:
    assert (MAX_DOWN_FRAME, MAX_UP_FRAME, CHUNK_PIECE) == (1_048_576, 33_554_432, 700_000)


def test_encode_uses_a_native_order_4_byte_header() -> None:
    assert encode(b'{"v":1}') == struct.pack("=I", 7) + b'{"v":1}'
    assert encode(b"x")[:4] == (1).to_bytes(4, sys.byteorder)


def test_encode_refuses_an_empty_payload() -> None:
    with pytest.raises(FrameEmpty):
        encode(b"")


async def test_reads_one_frame_and_then_clean_eof() -> None:
    reader = reader_with(encode(b'{"a":1}'))
    assert await read_frame(reader, MAX_UP_FRAME) == b'{"a":1}'
    assert await read_frame(reader, MAX_UP_FRAME) is None


async def test_clean_eof_before_any_byte_is_none() -> None:
    assert await read_frame(reader_with(b""), MAX_UP_FRAME) is None


@pytest.mark.parametrize("partial", [b"\x01", b"\x01\x00", b"\x01\x00\x00"])
async def test_f1_eof_inside_the_header_is_truncated(partial: bytes) -> None:
    with pytest.raises(FrameTruncated) as info:
        await read_frame(reader_with(partial), MAX_UP_FRAME)
    assert info.value.code == 1001 and info.value.fatal


async def test_f2_eof_inside_the_body_is_truncated() -> None:
    with pytest.raises(FrameTruncated, match="3 of 10"):
        await read_frame(reader_with(struct.pack("=I", 10) + b"abc"), MAX_UP_FRAME)


async def test_f3_length_zero_is_refused() -> None:
    with pytest.raises(FrameEmpty) as info:
        await read_frame(reader_with(struct.pack("=I", 0) + b"{}"), MAX_UP_FRAME)
    assert info.value.code == 1002


async def test_the_cap_is_inclusive() -> None:
    assert await read_frame(reader_with(encode(b"x" * 100)), 100) == b"x" * 100
    with pytest.raises(FrameTooLarge):
        await read_frame(reader_with(encode(b"x" * 101)), 100)


@pytest.mark.parametrize("length", [MAX_UP_FRAME + 1, 0x7FFFFFFF, 0xFFFFFFFF])
async def test_f4_oversize_is_refused_on_the_header_alone(length: int) -> None:
    # Only the header and three more bytes are fed, and no EOF: reading the body would wait forever,
    # so the refusal must come from the header. The extra bytes stay unread.
    reader = reader_with(struct.pack("=I", length) + b"abc", eof=False)
    tracemalloc.start()
    try:
        async with asyncio.timeout(5):
            with pytest.raises(FrameTooLarge) as info:
                await read_frame(reader, MAX_UP_FRAME)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.code == 1003 and info.value.fatal
    assert peak < 1_000_000  # nothing of the announced size was allocated
    assert await reader.readexactly(3) == b"abc"


@pytest.mark.skipif(sys.byteorder != "little", reason="needs a little-endian machine")
async def test_f5_big_endian_length_reads_as_oversize_without_hanging() -> None:
    payload = b'{"v":1,"kind":"ping"}'
    reader = reader_with(struct.pack(">I", len(payload)) + payload, eof=False)
    async with asyncio.timeout(5):
        with pytest.raises(FrameTooLarge):
            await read_frame(reader, MAX_UP_FRAME)


async def test_f12_many_frames_in_one_read() -> None:
    payloads = [jsonstrict.dumps({"i": i, "pad": "x" * (i % 7)}).encode() for i in range(1000)]
    reader = reader_with(b"".join(encode(p) for p in payloads))
    got = []
    while (frame := await read_frame(reader, MAX_UP_FRAME)) is not None:
        got.append(frame)
    assert got == payloads


async def test_f12_one_frame_fed_byte_by_byte() -> None:
    payload = jsonstrict.dumps({"text": "split into single bytes é😀"}).encode()
    wire = encode(payload) + encode(b"{}")
    reader = asyncio.StreamReader()
    task = asyncio.create_task(read_frame(reader, MAX_UP_FRAME))
    first_frame_end = 4 + len(payload)
    for i in range(first_frame_end):
        await asyncio.sleep(0)  # a yield, not a wait: let the reader consume what it has
        assert not task.done(), f"frame returned after {i} of {first_frame_end} bytes"
        reader.feed_data(wire[i : i + 1])
    assert await task == payload
    reader.feed_data(wire[first_frame_end:])
    reader.feed_eof()
    assert await read_frame(reader, MAX_UP_FRAME) == b"{}"
    assert await read_frame(reader, MAX_UP_FRAME) is None


async def test_f12_over_a_real_socket_with_one_byte_writes() -> None:
    received: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (frame := await read_frame(reader, MAX_UP_FRAME)) is not None:
            received.put_nowait(frame)
        received.put_nowait(None)
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        frames = [b'{"a":1}', b'{"b":"' + b"y" * 300 + b'"}']
        for byte in b"".join(encode(f) for f in frames):
            writer.write(bytes([byte]))
            await writer.drain()
        writer.close()
        await writer.wait_closed()
        assert [await received.get() for _ in range(3)] == [*frames, None]


async def test_f16_binary_bytes_round_trip_unchanged() -> None:
    payload = b'{"t":"a\\nb"}\n\r\n\x1a\x00\xff'
    assert await read_frame(reader_with(encode(payload)), MAX_UP_FRAME) == payload


# --- F14 chunking --------------------------------------------------------------------------------------


def test_payloads_up_to_the_cap_are_not_chunked() -> None:
    payload = b"x" * MAX_DOWN_FRAME
    assert chunk_down(payload) == [payload]


@pytest.mark.parametrize("size", [MAX_DOWN_FRAME + 1, 2 * CHUNK_PIECE, 8_000_000, 33_554_432])
def test_f14_chunks_never_exceed_the_down_cap_and_reassemble(size: int) -> None:
    payload = bytes(i % 251 for i in range(size))
    frames = chunk_down(payload, chunk_id="c1")
    n = -(-size // CHUNK_PIECE)
    assert len(frames) == n
    assembler = ChunkAssembler()
    result = None
    for i, raw in enumerate(frames):
        assert len(raw) <= MAX_DOWN_FRAME
        frame = jsonstrict.loads(raw)
        assert is_chunk(frame) and frame["chunk"] == {"id": "c1", "i": i, "n": n}
        assert result is None
        result = assembler.feed(frame)
    assert result == payload
    assert assembler.open_streams == 0 and assembler.buffered == 0


def test_chunk_frames_are_exactly_the_dumped_chunk_objects() -> None:
    # chunk_down builds its frames as bytes; they must be the very bytes the JSON serialiser would write.
    payload = bytes(range(256)) * 5000
    frames = chunk_down(payload, chunk_id="c_1-Z")
    n = len(frames)
    for i, raw in enumerate(frames):
        piece = payload[i * CHUNK_PIECE : (i + 1) * CHUNK_PIECE]
        expected = {"v": 1, "chunk": {"id": "c_1-Z", "i": i, "n": n}, "data": b64e(piece)}
        assert raw == jsonstrict.dumps(expected).encode()
    with pytest.raises(ValueError):
        chunk_down(payload, chunk_id='a"b')


def test_chunk_ids_are_random_by_default() -> None:
    payload = b"z" * (MAX_DOWN_FRAME + 1)
    first = jsonstrict.loads(chunk_down(payload)[0])["chunk"]["id"]
    second = jsonstrict.loads(chunk_down(payload)[0])["chunk"]["id"]
    assert first != second


def chunk(cid: str, i: int, n: int, piece: bytes) -> dict[str, object]:
    return {"v": 1, "chunk": {"id": cid, "i": i, "n": n}, "data": b64e(piece)}


def test_interleaved_streams_reassemble_independently() -> None:
    asm = ChunkAssembler()
    assert asm.feed(chunk("a", 0, 2, b"A1")) is None
    assert asm.feed(chunk("b", 0, 2, b"B1")) is None
    assert asm.feed(chunk("b", 1, 2, b"B2")) == b"B1B2"
    assert asm.feed(chunk("a", 1, 2, b"A2")) == b"A1A2"


def test_out_of_order_drops_the_stream() -> None:
    asm = ChunkAssembler()
    asm.feed(chunk("a", 0, 3, b"1"))
    with pytest.raises(BadChunk) as info:
        asm.feed(chunk("a", 2, 3, b"3"))
    assert info.value.code == 1010
    with pytest.raises(BadChunk, match="unknown stream"):
        asm.feed(chunk("a", 1, 3, b"2"))
    assert asm.open_streams == 0 and asm.buffered == 0


@pytest.mark.parametrize(
    "frame",
    [
        chunk("a", 1, 3, b"x"),  # unknown stream
        chunk("a", 0, 0, b"x"),
        chunk("a", 3, 3, b"x"),
        chunk("a", -1, 3, b"x"),
        chunk("a b", 0, 2, b"x"),
        chunk("a" * 65, 0, 2, b"x"),
        chunk("a", 0, 2, b""),
        chunk("a", 0, 2, b"x" * (CHUNK_PIECE + 1)),
        {"v": 1, "chunk": {"id": "a", "i": 0, "n": 2}, "data": "eA=="},
        {"v": 1, "chunk": {"id": "a", "i": 0, "n": 2}, "data": "e+"},
        {"v": 1, "chunk": {"id": "a", "i": True, "n": 2}, "data": "eA"},
        {"v": 1, "chunk": {"id": "a", "i": 0, "n": 2.0}, "data": "eA"},
        {"v": 1, "chunk": {"id": "a", "i": 0, "n": 2, "x": 1}, "data": "eA"},
        {"v": 1, "chunk": ["a", 0, 2], "data": "eA"},
        {"v": 2, "chunk": {"id": "a", "i": 0, "n": 2}, "data": "eA"},
        {"v": 1, "chunk": {"id": "a", "i": 0, "n": 2}, "data": "eA", "extra": 1},
        {"v": 1, "chunk": {"id": "a", "i": 0, "n": 2}},
    ],
)
def test_malformed_chunks_are_refused(frame: dict[str, object]) -> None:
    with pytest.raises(BadChunk):
        ChunkAssembler().feed(frame)


def test_a_malformed_piece_drops_its_open_stream() -> None:
    asm = ChunkAssembler()
    asm.feed(chunk("a", 0, 3, b"1"))
    with pytest.raises(BadChunk):
        asm.feed({"v": 1, "chunk": {"id": "a", "i": 1, "n": 3}, "data": "!"})
    assert asm.open_streams == 0


def test_restarting_an_open_stream_drops_it() -> None:
    asm = ChunkAssembler()
    asm.feed(chunk("a", 0, 3, b"1"))
    with pytest.raises(BadChunk, match="restarted"):
        asm.feed(chunk("a", 0, 3, b"1"))
    assert asm.open_streams == 0


def test_changing_n_drops_the_stream() -> None:
    asm = ChunkAssembler()
    asm.feed(chunk("a", 0, 3, b"1"))
    with pytest.raises(BadChunk):
        asm.feed(chunk("a", 1, 4, b"2"))
    assert asm.open_streams == 0


def test_at_most_four_streams_are_open() -> None:
    asm = ChunkAssembler()
    for k in range(4):
        asm.feed(chunk(f"s{k}", 0, 2, b"x"))
    with pytest.raises(BadChunk, match="4 chunk streams"):
        asm.feed(chunk("s4", 0, 2, b"x"))
    assert asm.open_streams == 4
    assert asm.feed(chunk("s0", 1, 2, b"y")) == b"xy"
    assert asm.feed(chunk("s4", 0, 2, b"x")) is None  # room again


def test_the_byte_cap_counts_all_open_streams() -> None:
    asm = ChunkAssembler(max_bytes=10)
    asm.feed(chunk("a", 0, 3, b"12345"))
    asm.feed(chunk("b", 0, 3, b"1234"))
    with pytest.raises(BadChunk, match="over 10 bytes"):
        asm.feed(chunk("a", 1, 3, b"67"))
    assert asm.open_streams == 1 and asm.buffered == 4


def test_the_default_byte_cap_is_64_mib() -> None:
    asm = ChunkAssembler()
    piece = b"p" * CHUNK_PIECE
    n = 200
    with pytest.raises(BadChunk, match="over"):
        for i in range(n):
            asm.feed(chunk("big", i, n, piece))
    assert asm.buffered == 0
    assert i == 64 * 1024 * 1024 // CHUNK_PIECE
