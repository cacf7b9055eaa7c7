"""Length-prefixed frames and down-chunking (``docs/PROTOCOL.md`` §1, §6).

A frame is a 4-byte unsigned length in native byte order followed by that many bytes. :func:`read_frame`
checks the length against the caller's cap on the header, before reading or allocating the body (F4, F5).
Frames to the browser never exceed :data:`MAX_DOWN_FRAME`: :func:`chunk_down` cuts larger payloads into
chunk frames, and :class:`ChunkAssembler` (the extension's side, used by the Python fake extension) puts
them back together.
"""

from __future__ import annotations

import asyncio
import os
import re
import struct
from dataclasses import dataclass, field
from typing import Any

from webbridge.errors import BadChunk, FrameEmpty, FrameTooLarge, FrameTruncated
from webbridge.protocol import b64url

__all__ = [
    "CHUNK_PIECE",
    "HEADER",
    "MAX_CHUNK_BYTES",
    "MAX_CHUNK_STREAMS",
    "MAX_DOWN_FRAME",
    "MAX_UP_FRAME",
    "ChunkAssembler",
    "chunk_down",
    "encode",
    "is_chunk",
    "read_frame",
]

#: Largest frame the host sends to the browser (Chrome closes the port above it).
MAX_DOWN_FRAME = 1_048_576
#: Largest frame the host accepts from the browser (Chrome allows 64 MiB; we cap lower).
MAX_UP_FRAME = 33_554_432
#: Largest piece of payload in one chunk frame; base64url makes it ≈ 933 kB, under :data:`MAX_DOWN_FRAME`.
CHUNK_PIECE = 700_000
#: Most chunk streams open at once in an assembler.
MAX_CHUNK_STREAMS = 4
#: Most bytes buffered by an assembler across its open streams.
MAX_CHUNK_BYTES = 64 * 1024 * 1024

#: The 4-byte length header: unsigned, native byte order, no padding.
HEADER = struct.Struct("=I")
_MAX_LENGTH = 0xFFFFFFFF
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def encode(payload: bytes) -> bytes:
    """Prefix ``payload`` with its length header.

    Raises :class:`~webbridge.errors.FrameEmpty` for an empty payload and
    :class:`~webbridge.errors.FrameTooLarge` above 4 GiB − 1 (what the header can say).
    """
    size = len(payload)
    if size == 0:
        raise FrameEmpty("refusing to send an empty frame")
    if size > _MAX_LENGTH:
        raise FrameTooLarge(f"frame of {size} bytes cannot be framed")
    return HEADER.pack(size) + payload


async def read_frame(reader: asyncio.StreamReader, max_size: int) -> bytes | None:
    """Read one frame's payload; ``None`` on a clean EOF before any header byte.

    Raises :class:`~webbridge.errors.FrameTruncated` on EOF inside the header or the body,
    :class:`~webbridge.errors.FrameEmpty` for length 0 and :class:`~webbridge.errors.FrameTooLarge` when the
    header announces more than ``max_size`` (decided on the header alone: the body is neither read nor
    allocated). All three are fatal: the stream position is lost, close the connection. Cancellation while
    waiting leaves the reader mid-frame, so a cancelled reader must not be read again.
    """
    try:
        header = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise FrameTruncated(f"EOF after {len(exc.partial)} of 4 header bytes") from None
    (size,) = HEADER.unpack(header)
    if size == 0:
        raise FrameEmpty("frame of length 0")
    if size > max_size:
        raise FrameTooLarge(f"frame of {size} bytes exceeds the cap of {max_size}")
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as exc:
        raise FrameTruncated(f"EOF after {len(exc.partial)} of {size} body bytes") from None


# --- chunking (daemon → browser) -----------------------------------------------------------------------


def chunk_down(payload: bytes, *, chunk_id: str | None = None) -> list[bytes]:
    """The frame payloads that carry ``payload`` to the browser, each at most :data:`MAX_DOWN_FRAME` bytes.

    ``[payload]`` when it fits; otherwise chunk frames (§6), each a JSON text
    ``{"v":1,"chunk":{"id":CID,"i":I,"n":N},"data":base64url(piece)}``. ``chunk_id`` defaults to a random
    16-character id. Raises ``ValueError`` for a ``chunk_id`` that is not an ID (a bug in the caller).
    """
    if len(payload) <= MAX_DOWN_FRAME:
        return [payload]
    cid = chunk_id or b64url.encode(os.urandom(12))
    if _ID.fullmatch(cid) is None:
        raise ValueError("chunk ids are 1-64 characters [A-Za-z0-9_-]")
    n = -(-len(payload) // CHUNK_PIECE)
    view = memoryview(payload)
    # Built as bytes (the same bytes jsonstrict.dumps(...).encode() gives): an ID and base64url never need
    # escaping, so the 933 kB data string is not scanned, copied to a str and encoded back once more.
    return [
        b"".join(
            (
                b'{"v":1,"chunk":{"id":"%s","i":%d,"n":%d},"data":"' % (cid.encode("ascii"), i, n),
                b64url.encode_bytes(view[i * CHUNK_PIECE : (i + 1) * CHUNK_PIECE]),
                b'"}',
            )
        )
        for i in range(n)
    ]


def is_chunk(frame: dict[str, Any]) -> bool:
    """Whether a parsed frame is a chunk frame (has a ``chunk`` key)."""
    return "chunk" in frame


@dataclass(slots=True)
class _Stream:
    n: int
    next: int = 0
    size: int = 0
    pieces: list[bytes] = field(default_factory=list)


class ChunkAssembler:
    """Reassembles chunk frames (the extension's side of §6).

    :meth:`feed` takes one parsed chunk frame and returns the whole payload when its last piece arrives,
    else ``None``. It raises :class:`~webbridge.errors.BadChunk` (and drops the stream concerned) for a
    malformed chunk frame, a piece out of order, an unknown stream, a fifth open stream, or more than
    :data:`MAX_CHUNK_BYTES` buffered. Other streams are unaffected.
    """

    def __init__(self, *, max_streams: int = MAX_CHUNK_STREAMS, max_bytes: int = MAX_CHUNK_BYTES) -> None:
        self._streams: dict[str, _Stream] = {}
        self._max_streams = max_streams
        self._max_bytes = max_bytes
        self._buffered = 0

    @property
    def open_streams(self) -> int:
        return len(self._streams)

    @property
    def buffered(self) -> int:
        """Bytes held across the open streams."""
        return self._buffered

    def _drop(self, cid: str, why: str) -> BadChunk:
        stream = self._streams.pop(cid, None)
        if stream is not None:
            self._buffered -= stream.size
        return BadChunk(why)

    def feed(self, frame: dict[str, Any]) -> bytes | None:
        """Take one chunk frame; returns the reassembled payload after the last piece. Raises BadChunk."""
        try:
            cid, i, n, piece = _parse_chunk(frame)
        except BadChunk:
            head = frame.get("chunk")
            bad_id = head.get("id") if isinstance(head, dict) else None
            if isinstance(bad_id, str) and bad_id in self._streams:
                self._drop(bad_id, "")
            raise
        stream = self._streams.get(cid)
        if i == 0:
            if stream is not None:
                raise self._drop(cid, f"chunk stream {cid!r} restarted while open")
            if len(self._streams) >= self._max_streams:
                raise BadChunk(f"more than {self._max_streams} chunk streams open")
            stream = self._streams[cid] = _Stream(n)
        elif stream is None:
            raise BadChunk(f"chunk for unknown stream {cid!r}")
        elif i != stream.next or n != stream.n:
            raise self._drop(cid, f"chunk {i}/{n} out of order (expected {stream.next}/{stream.n})")
        if self._buffered + len(piece) > self._max_bytes:
            raise self._drop(cid, f"chunk reassembly over {self._max_bytes} bytes")
        stream.pieces.append(piece)
        stream.size += len(piece)
        stream.next += 1
        self._buffered += len(piece)
        if stream.next < stream.n:
            return None
        del self._streams[cid]
        self._buffered -= stream.size
        return b"".join(stream.pieces)


def _parse_chunk(frame: dict[str, Any]) -> tuple[str, int, int, bytes]:
    if frame.keys() != {"v", "chunk", "data"} or type(frame["v"]) is not int or frame["v"] != 1:
        raise BadChunk("chunk frame must be exactly {v:1, chunk, data}")
    head, data = frame["chunk"], frame["data"]
    if not isinstance(head, dict) or head.keys() != {"id", "i", "n"}:
        raise BadChunk("chunk header must be exactly {id, i, n}")
    cid, i, n = head["id"], head["i"], head["n"]
    if not isinstance(cid, str) or _ID.fullmatch(cid) is None:
        raise BadChunk("chunk id must be 1-64 characters [A-Za-z0-9_-]")
    if type(i) is not int or type(n) is not int or not 0 <= i < n:
        raise BadChunk("chunk index must satisfy 0 <= i < n")
    if not isinstance(data, str) or not 0 < len(data) <= b64url.encoded_length(CHUNK_PIECE):
        raise BadChunk(f"chunk data must be 1 to {CHUNK_PIECE} bytes")
    try:
        piece = b64url.decode(data)
    except b64url.B64Error as exc:
        raise BadChunk(f"chunk data: {exc}") from None
    return cid, i, n, piece
