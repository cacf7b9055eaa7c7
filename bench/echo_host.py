"""A raw native-messaging echo host: the relay-less, unauthenticated peer of the B8 and B12 benchmarks.

Standard library only, one file, no WebBridge import: it is what the cheapest possible Python host costs.
The browser starts it (through a launcher that pins the interpreter) with ``argv[1]`` set to the caller's
origin; it reads frames from stdin at once and exits on stdin EOF, like the relay.

Frames are Chrome's: a 4-byte native-order length, then that many bytes of UTF-8 JSON. The bench format:

request (browser → host)::

    {"op": "echo",   "id": N, "data": STR}
    {"op": "digest", "id": N, "data": STR}

reply (host → browser)::

    {"op": "echo",   "id": N, "data": STR}                       the data back, as is
    {"op": "digest", "id": N, "size": BYTES, "sha256": HEX}     UTF-8 length and SHA-256 of ``data``
    {"op": "chunk",  "id": N, "i": I, "n": K, "data": PIECE}     I = 0 … K−1

An echo reply whose frame would exceed Chrome's 1 048 576-byte host → browser limit is sent as ``K`` chunk
frames instead: ``data`` cut into pieces of at most 700 000 UTF-8 bytes on character boundaries (the same
piece size the daemon uses), each piece a plain JSON string (no base64: the cheapest way a host can do it).
The browser joins the pieces in order. Anything unreadable gets ``{"op": "error", "id": N, "message": …}``.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from typing import Any, BinaryIO

HEADER = struct.Struct("=I")
#: Chrome closes the port when a host sends a frame larger than this.
MAX_DOWN_FRAME = 1_048_576
#: Largest piece of ``data`` in one chunk frame (UTF-8 bytes).
CHUNK_PIECE = 700_000


def read_exact(stream: BinaryIO, n: int) -> bytes:
    parts: list[bytes] = []
    while n:
        part = stream.read(n)
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


def read_frame(stream: BinaryIO) -> bytes | None:
    """One frame's payload, or ``None`` at EOF (a truncated frame counts as EOF)."""
    header = read_exact(stream, 4)
    if len(header) < 4:
        return None
    (size,) = HEADER.unpack(header)
    body = read_exact(stream, size)
    return body if len(body) == size else None


def encode(obj: dict[str, Any]) -> bytes:
    payload = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return HEADER.pack(len(payload)) + payload


def split_utf8(data: bytes, limit: int) -> list[bytes]:
    """Cut UTF-8 ``data`` into pieces of at most ``limit`` bytes without splitting a character."""
    pieces: list[bytes] = []
    start = 0
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and end > start and (data[end] & 0xC0) == 0x80:
            end -= 1  # do not cut inside a multi-byte character
        pieces.append(data[start:end])
        start = end
    return pieces


def echo_frames(msg_id: Any, data: str) -> list[bytes]:
    """The frames answering an echo of ``data``: one, or chunks when one would be too large."""
    whole = encode({"op": "echo", "id": msg_id, "data": data})
    if len(whole) - 4 <= MAX_DOWN_FRAME:
        return [whole]
    limit = CHUNK_PIECE
    while True:
        pieces = split_utf8(data.encode("utf-8"), limit)
        frames = [
            encode({"op": "chunk", "id": msg_id, "i": i, "n": len(pieces), "data": p.decode("utf-8")})
            for i, p in enumerate(pieces)
        ]
        if all(len(f) - 4 <= MAX_DOWN_FRAME for f in frames):
            return frames
        limit //= 2  # JSON escaping blew a piece past the limit (quotes, control characters): cut finer


def answer(payload: bytes) -> list[bytes]:
    msg_id: Any = None
    try:
        msg = json.loads(payload)
        msg_id = msg.get("id")
        op, data = msg["op"], msg["data"]
        if not isinstance(data, str):
            raise TypeError("data must be a string")
        if op == "echo":
            return echo_frames(msg_id, data)
        if op == "digest":
            raw = data.encode("utf-8")
            return [
                encode(
                    {
                        "op": "digest",
                        "id": msg_id,
                        "size": len(raw),
                        "sha256": hashlib.sha256(raw).hexdigest(),
                    }
                )
            ]
        raise ValueError(f"unknown op {op!r}")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return [encode({"op": "error", "id": msg_id, "message": str(exc)[:200]})]


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        payload = read_frame(stdin)
        if payload is None:
            return 0
        for frame in answer(payload):
            stdout.write(frame)
        stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
