# ruff: noqa: ASYNC109 - test-helper waits take a timeout so a broken host fails a test instead of hanging it
"""The byte-stream end of :class:`~webbridge.testing.fake_extension.FakeExtension`: framing and nothing above.

:class:`FakeWire` plays the extension's side of the lowest layers over a pair of asyncio streams: 4-byte
framing (frames up to :data:`~webbridge.protocol.framing.MAX_UP_FRAME` going up), chunk reassembly coming
down, and a record of every breach by the host (a frame over
:data:`~webbridge.protocol.framing.MAX_DOWN_FRAME` (F14), anything that is not strict JSON, a bad chunk).
Sealed frames go to :attr:`FakeWire.channel` once the session layer above attaches one; every other frame
waits in an inbox for :meth:`FakeWire.next_plain`.

Hostile tests use these raw helpers directly: :meth:`~FakeWire.send_raw`, :meth:`~FakeWire.send_frame`,
:meth:`~FakeWire.send_json`, :meth:`~FakeWire.send_plain`, :meth:`~FakeWire.cork`/:meth:`~FakeWire.uncork`
(F12) and :attr:`~FakeWire.write_piece`. Nothing is ever printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from webbridge.errors import (
    BadChunk,
    ChannelClosed,
    FrameTooLarge,
    RemoteError,
    RequestTimeout,
    WebBridgeError,
    from_wire,
)
from webbridge.meta import EXTENSION_ID, origin_of
from webbridge.protocol import framing, jsonstrict
from webbridge.protocol.channel import Channel
from webbridge.protocol.messages import Message, body_of

__all__ = ["FakeWire"]

_EOF = object()


class FakeWire:
    """The extension's end of one connection to the host, at the framing layer (see the module docstring).

    Every awaiting method takes a ``timeout`` in seconds and raises
    :class:`~webbridge.errors.RequestTimeout` when it passes, and :class:`~webbridge.errors.ChannelClosed`
    when the host closes the connection first. Reading starts on first use (or on ``async with``) in a task
    owned here and ended by :meth:`aclose`.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        #: The session channel sealed frames go to; set by the session layer above.
        self.channel: Channel | None = None
        #: Protocol breaches seen from the host (oversize down frame, bad JSON, bad chunk, bad MAC...).
        self.violations: list[WebBridgeError] = []
        #: The last plain ``error`` frame the host sent (3001-3005 end the session, §3).
        self.last_error: RemoteError | None = None
        self.frames_received = 0
        self.largest_down_frame = 0
        #: The payloads of the last frames sent (newest last), e.g. to replay a captured sealed frame.
        self.sent_frames: deque[bytes] = deque(maxlen=64)
        #: When set, every write goes out in pieces of this many bytes, each drained (F12).
        self.write_piece: int | None = None
        #: Frames held since :meth:`cork`.
        self.held_frames = 0
        self._held: bytearray | None = None
        self._held_changed = asyncio.Condition()
        self.chunked_payloads = 0
        self._ids = 0
        self._inbox: asyncio.Queue[Any] = asyncio.Queue()
        self._eof = asyncio.Event()
        self._chunks = framing.ChunkAssembler()
        self._reader_task: asyncio.Task[None] | None = None
        self._closed = False

    # --- connecting --------------------------------------------------------------------------------------

    @classmethod
    async def connect_unix(
        cls, path: str | Path, *, origin: str | None = None, preamble: bool = True, **kwargs: Any
    ) -> Self:
        """Connect to the daemon's Unix socket and, unless ``preamble`` is false, send the relay preamble
        (``origin`` defaults to our own extension's). ``kwargs`` go to the constructor."""
        reader, writer = await asyncio.open_unix_connection(str(path), limit=2**20)
        fake = cls(reader, writer, **kwargs)
        if preamble:
            relay = {"origin": origin or origin_of(EXTENSION_ID), "pid": os.getpid()}
            await fake.send_json({"v": 1, "relay": relay})
        return fake

    @classmethod
    async def connect_tcp(
        cls, host: str, port: int, *, token: str, origin: str | None = None, **kwargs: Any
    ) -> Self:
        """Connect to the daemon's loopback port (Windows) and send the relay preamble with ``token``.
        ``kwargs`` go to the constructor."""
        reader, writer = await asyncio.open_connection(host, port, limit=2**20)
        fake = cls(reader, writer, **kwargs)
        relay = {"origin": origin or origin_of(EXTENSION_ID), "pid": os.getpid(), "token": token}
        await fake.send_json({"v": 1, "relay": relay})
        return fake

    async def __aenter__(self) -> Self:
        self._start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _start(self) -> None:
        if self._reader_task is None:
            loop = asyncio.get_running_loop()
            self._reader_task = loop.create_task(self._read_loop(), name="fake-extension-reader")

    # --- raw sending (hostile tests) -----------------------------------------------------------------------

    async def send_raw(self, data: bytes) -> None:
        """Write ``data`` as is: no header, no checks (held back while corked, split per
        :attr:`write_piece`)."""
        self._start()
        if self._held is not None:
            self._held += data
            return
        piece = self.write_piece or len(data) or 1
        for start in range(0, len(data), piece):
            self._writer.write(data[start : start + piece])
            await self._writer.drain()

    async def send_frame(self, payload: bytes) -> None:
        """Write one frame (header + ``payload``) without any size check."""
        self.sent_frames.append(payload)
        await self.send_raw(framing.HEADER.pack(len(payload)) + payload)
        if self._held is not None:
            self.held_frames += 1
            async with self._held_changed:
                self._held_changed.notify_all()

    async def send_eof(self) -> None:
        """Half-close: the host reads EOF after what was sent; what it answers can still be read."""
        self._start()
        if self._writer.can_write_eof():
            self._writer.write_eof()
        else:
            self._writer.close()

    def cork(self) -> None:
        """Hold every frame sent from now on, until :meth:`uncork` writes them all in one write."""
        if self._held is None:
            self._held, self.held_frames = bytearray(), 0

    async def wait_held(self, count: int, *, timeout: float = 10.0) -> None:
        """Wait until at least ``count`` frames are held by :meth:`cork`. Raises RequestTimeout."""
        try:
            async with asyncio.timeout(timeout), self._held_changed:
                await self._held_changed.wait_for(lambda: self.held_frames >= count)
        except TimeoutError:
            raise RequestTimeout(f"{self.held_frames} of {count} frames held after {timeout} s") from None

    async def uncork(self) -> int:
        """Write every held frame with a single write and stop holding. Returns how many were held."""
        held, count = self._held, self.held_frames
        self._held, self.held_frames = None, 0
        if held:
            self._writer.write(bytes(held))
            await self._writer.drain()
        return count

    async def send_json(self, obj: Mapping[str, Any]) -> None:
        """Serialise ``obj`` and send it as one frame; refuses frames over ``MAX_UP_FRAME`` (like Chrome)."""
        payload = jsonstrict.dumps(obj).encode("utf-8")
        if len(payload) > framing.MAX_UP_FRAME:
            raise FrameTooLarge(f"{len(payload)} bytes exceed the browser → host cap")
        await self.send_frame(payload)

    def _next_id(self) -> str:
        self._ids += 1
        return f"x{self._ids}"

    async def send_plain(
        self, msg: Message, *, reply_to: str | None = None, msg_id: str | None = None
    ) -> str:
        """Send ``msg`` in a plain frame; returns its id. Any kind is allowed (hostile tests send sealed-only
        kinds plain on purpose)."""
        msg_id = msg_id or self._next_id()
        await self.send_json(
            {"v": 1, "id": msg_id, "reply_to": reply_to, "kind": msg.kind, "body": body_of(msg)}
        )
        return msg_id

    # --- raw receiving -----------------------------------------------------------------------------------

    async def next_plain(self, *, timeout: float = 10.0) -> dict[str, Any]:
        """The next frame from the host that is not handled by the session channel (plain frames, or sealed
        frames before a channel is attached). Raises ChannelClosed at EOF, RequestTimeout after
        ``timeout``."""
        self._start()
        try:
            async with asyncio.timeout(timeout):
                item = await self._inbox.get()
        except TimeoutError:
            raise RequestTimeout(f"no frame from the host within {timeout} s") from None
        if item is _EOF:
            self._inbox.put_nowait(_EOF)  # stay at EOF for later readers
            raise ChannelClosed("host closed the connection")
        frame: dict[str, Any] = item
        return frame

    async def wait_closed(self, *, timeout: float = 10.0) -> None:
        """Wait until the host closes the connection (EOF). Raises RequestTimeout."""
        self._start()
        try:
            async with asyncio.timeout(timeout):
                await self._eof.wait()
        except TimeoutError:
            raise RequestTimeout(f"host kept the connection open for {timeout} s") from None

    def assert_clean(self) -> None:
        """Raise ``AssertionError`` listing every protocol breach seen from the host."""
        if self.violations:
            raise AssertionError("host broke the protocol: " + "; ".join(str(v) for v in self.violations))

    async def _read_loop(self) -> None:
        failure: BaseException | None = None
        try:
            while True:
                payload = await framing.read_frame(self._reader, framing.MAX_DOWN_FRAME)
                if payload is None:
                    break
                self.frames_received += 1
                self.largest_down_frame = max(self.largest_down_frame, len(payload))
                frame = jsonstrict.loads(payload)
                if framing.is_chunk(frame):
                    whole = self._chunks.feed(frame)
                    if whole is None:
                        continue
                    self.chunked_payloads += 1
                    frame = jsonstrict.loads(whole)
                    if framing.is_chunk(frame):
                        raise BadChunk("a reassembled frame is itself a chunk")
                await self._route(frame)
        except WebBridgeError as exc:
            self.violations.append(exc)
            failure = exc
        except (ConnectionError, OSError) as exc:
            failure = exc
        finally:
            self._eof.set()
            self._inbox.put_nowait(_EOF)
            if self.channel is not None:
                await self.channel.aclose(failure)

    async def _route(self, frame: dict[str, Any]) -> None:
        if self.channel is not None and "mac" in frame and "kind" not in frame:
            await self.channel.feed(frame)  # SessionError ends the read loop: a violation by the host
            return
        self._inbox.put_nowait(frame)
        if frame.get("kind") == "error" and isinstance(frame.get("body"), dict):
            self.last_error = from_wire(frame["body"])
            # A session failure (3001-3005, §3) ends the session: pending requests fail with ChannelClosed
            # naming it. Other plain errors refuse one bad frame and the session goes on (like the extension).
            if self.channel is not None and 3001 <= self.last_error.remote_code <= 3005:
                await self.channel.aclose(self.last_error)

    # --- closing -----------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection, stop reading and fail pending requests. Idempotent. What the host has not
        taken within a few seconds (a host that stopped reading) is dropped, so this never hangs."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(ConnectionError, OSError):
            if self._writer.can_write_eof():
                self._writer.write_eof()
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            try:
                async with asyncio.timeout(5.0):
                    await self._writer.wait_closed()
            except TimeoutError:
                self._writer.transport.abort()
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
        if self.channel is not None:
            await self.channel.aclose()
