# ruff: noqa: ASYNC109 - test-helper waits take a timeout so a broken host fails a test instead of hanging it
"""A Python stand-in for the browser extension, speaking ``wb1`` over a pair of asyncio streams.

Use it wherever the real extension would talk: to the relay's stdin/stdout (``proc.stdout``, ``proc.stdin`` of
``asyncio.create_subprocess_exec``), or straight to the daemon's socket (:meth:`FakeExtension.connect_unix`,
which first sends the relay preamble). It plays the extension's side of every layer: 4-byte framing (frames
up to :data:`~webbridge.protocol.framing.MAX_UP_FRAME` going up), chunk reassembly coming down, and it
records a violation whenever the host sends a frame over
:data:`~webbridge.protocol.framing.MAX_DOWN_FRAME` (F14) or anything that is not strict JSON.

Typical use::

    async with FakeExtension(proc.stdout, proc.stdin) as fake:
        sas = await fake.pair()                  # hello, pair.begin/key/reveal; sends pair.confirm
        ...                                      # the user confirms `sas` with `webbridge pair`
        pairing_id = await fake.confirm()        # awaits pair.done; fake.secret now holds S

    async with FakeExtension(r, w, pairing_id=pid, secret=s) as fake:   # a new connection
        await fake.open_session()                # hello(pairing_id) + sealed session.open
        result = await fake.echo("x" * 8_000_000, mode="digest")
        fake.assert_clean()

While a session is open the fake answers ``browser.info`` and ``tabs.list`` (with :attr:`tabs`), ``ping``,
``key.rotate``
(replacing :attr:`secret` by ``S'``, so the next connection must use it) and ``tab.control`` (kept in
:attr:`tab_controls`). Add or replace handlers in
:attr:`handlers` before :meth:`open_session`. Hostile tests use the raw helpers (:meth:`send_raw`,
:meth:`send_frame`, :meth:`send_json`, :meth:`send_plain`) and read what comes back with
:meth:`next_plain` and :meth:`wait_closed`; :attr:`sent_frames` keeps the last frames sent (to replay
them), :attr:`write_piece` splits every write into tiny writes, and :meth:`cork`/:meth:`uncork` gather
frames into a single write (F12). Nothing is ever printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from webbridge.errors import (
    BadChunk,
    ChannelClosed,
    FrameTooLarge,
    InvalidMessage,
    NotPaired,
    PairingFailed,
    RemoteError,
    RequestTimeout,
    UnexpectedKind,
    WebBridgeError,
    from_wire,
)
from webbridge.meta import EXTENSION_ID, PROTOCOL, origin_of
from webbridge.protocol import frames, framing, jsonstrict
from webbridge.protocol.b64url import decode as b64d
from webbridge.protocol.b64url import encode as b64e
from webbridge.protocol.browser_kinds import TabsList, TabsListResult
from webbridge.protocol.channel import Channel, Handler
from webbridge.protocol.messages import (
    BrowserDesc,
    BrowserInfoResult,
    Echo,
    EchoResult,
    Error,
    Hello,
    HelloOk,
    KeyRotate,
    Message,
    PairCancel,
    PairDone,
    PairKey,
    Pong,
    SessionOpen,
    SessionOpened,
    Tab,
    body_of,
    check_protocol,
)
from webbridge.protocol.pairing import PairingInitiator, respond_rotation
from webbridge.protocol.session import Clock, Session, now_ms
from webbridge.protocol.tab_control_kinds import TabControl, TabControlled

__all__ = ["DEFAULT_TABS", "FakeExtension"]

M = TypeVar("M", bound=Message)

#: The tab list :meth:`FakeExtension` reports for ``browser.info`` unless told otherwise.
DEFAULT_TABS: tuple[Tab, ...] = (
    Tab(id=1, window_id=1, url="https://example.test/", title="Example", active=True),
    Tab(id=2, window_id=1, url="https://example.test/docs?q=1", title="Docs — Example", active=False),
)
_DEFAULT_BROWSER = BrowserDesc(name="Chromium", version="156.0.0.0", user_agent="Mozilla/5.0 (FakeExtension)")
_EOF = object()


class _Unset:
    """Marks "argument not given" where ``None`` is a meaningful value."""


_UNSET = _Unset()


class FakeExtension:
    """The extension's side of ``wb1`` over ``reader``/``writer`` (see the module docstring).

    Every awaiting method takes a ``timeout`` in seconds and raises
    :class:`~webbridge.errors.RequestTimeout` when it passes, :class:`~webbridge.errors.ChannelClosed` when
    the host closes the connection first, and :class:`~webbridge.errors.RemoteError` when the host answers
    with an ``error`` frame.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        pairing_id: str | None = None,
        secret: bytes | None = None,
        label: str = "Fake",
        browser: BrowserDesc = _DEFAULT_BROWSER,
        profile: str = "Default",
        ext_version: str = "0.1.0",
        ext_id: str = EXTENSION_ID,
        tabs: Sequence[Tab] = DEFAULT_TABS,
        clock: Clock = now_ms,
    ) -> None:
        self._reader = reader
        self._writer = writer
        #: Long-term pairing, set by :meth:`confirm` (or given for a reconnect).
        self.pairing_id = pairing_id
        self.secret = secret
        self.label, self.browser, self.profile = label, browser, profile
        self.ext_version, self.ext_id = ext_version, ext_id
        self.tabs: list[Tab] = list(tabs)
        self.clock = clock
        #: The six-digit code of the last :meth:`pair`.
        self.sas: str | None = None
        self.hello_ok: HelloOk | None = None
        self.session: Session | None = None
        self.channel: Channel | None = None
        #: Handlers installed on the channel by :meth:`open_session`; edit before calling it.
        self.handlers: dict[str, Handler] = {
            "browser.info": self._on_browser_info,
            "ping": self._on_ping,
            "key.rotate": self._on_key_rotate,
            "tab.control": self._on_tab_control,
            "tabs.list": self._on_tabs_list,
        }
        #: The ``tab.control`` requests received (visible control: which run controls which tab), in order.
        self.tab_controls: list[TabControl] = []
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
        self.rotations = 0
        self._nonce_e = b""
        self._hello_pairing_id: str | None = None
        self._initiator: PairingInitiator | None = None
        self._confirm_id: str | None = None
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
    ) -> FakeExtension:
        """Connect to the daemon's Unix socket and, unless ``preamble`` is false, send the relay preamble
        (``origin`` defaults to our own extension's)."""
        reader, writer = await asyncio.open_unix_connection(str(path), limit=2**20)
        fake = cls(reader, writer, **kwargs)
        if preamble:
            relay = {"origin": origin or origin_of(EXTENSION_ID), "pid": os.getpid()}
            await fake.send_json({"v": 1, "relay": relay})
        return fake

    @classmethod
    async def connect_tcp(
        cls, host: str, port: int, *, token: str, origin: str | None = None, **kwargs: Any
    ) -> FakeExtension:
        """Connect to the daemon's loopback port (Windows) and send the relay preamble with ``token``."""
        reader, writer = await asyncio.open_connection(host, port, limit=2**20)
        fake = cls(reader, writer, **kwargs)
        relay = {"origin": origin or origin_of(EXTENSION_ID), "pid": os.getpid(), "token": token}
        await fake.send_json({"v": 1, "relay": relay})
        return fake

    async def __aenter__(self) -> FakeExtension:
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
        frames before :meth:`open_session`). Raises ChannelClosed at EOF, RequestTimeout after ``timeout``."""
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

    async def _expect(self, reply_to: str, model: type[M], timeout: float) -> M:
        """The next plain frame, which must answer ``reply_to`` with ``model``'s kind."""
        frame = await self.next_plain(timeout=timeout)
        if frames.frame_type(frame) != "plain":
            raise InvalidMessage("expected a plain frame from the host")
        plain = frames.parse_plain(frame)
        msg = plain.message
        if isinstance(msg, Error):
            raise from_wire(body_of(msg))
        if isinstance(msg, PairCancel):
            raise PairingFailed(f"host cancelled pairing: {msg.reason}")
        if not isinstance(msg, model) or plain.reply_to != reply_to:
            raise UnexpectedKind(f"expected {model.__name__} answering {reply_to}, got {plain.kind}")
        return msg

    # --- handshake and pairing ---------------------------------------------------------------------------

    async def hello(
        self,
        *,
        pairing_id: str | _Unset | None = _UNSET,
        proto: Sequence[str] = (PROTOCOL,),
        timeout: float = 10.0,
    ) -> HelloOk:
        """Send ``hello`` (with :attr:`pairing_id` unless given) and return the checked ``hello.ok``.

        Raises :class:`~webbridge.errors.UnsupportedProtocol` when the host answers another protocol.
        """
        pid = self.pairing_id if isinstance(pairing_id, _Unset) else pairing_id
        nonce = os.urandom(32)
        msg = Hello(
            proto=list(proto), ext_version=self.ext_version, ext_id=self.ext_id, pairing_id=pid,
            nonce=b64e(nonce), browser=self.browser, profile=self.profile,
        )  # fmt: skip
        msg_id = await self.send_plain(msg)
        reply = await self._expect(msg_id, HelloOk, timeout)
        check_protocol(reply)
        self._nonce_e, self._hello_pairing_id, self.hello_ok = nonce, pid, reply
        return reply

    async def pair(self, *, confirm: bool = True, label: str | None = None, timeout: float = 10.0) -> str:
        """Run ``pair.begin`` → ``pair.key`` → ``pair.reveal`` and return the six-digit SAS.

        Sends ``hello`` first if this connection has not. With ``confirm`` it also sends ``pair.confirm``
        at once (the user clicked "Codes match"); :meth:`confirm` then awaits ``pair.done``. Raises
        :class:`~webbridge.errors.PairingFailed` when the host cancels or sends a bad key.
        """
        if self.hello_ok is None:
            await self.hello(pairing_id=None, timeout=timeout)
        self._initiator = PairingInitiator(
            label=label or self.label, browser=self.browser, profile=self.profile
        )
        self._confirm_id = None
        begin_id = await self.send_plain(self._initiator.begin_message())
        key = await self._expect(begin_id, PairKey, timeout)
        await self.send_plain(self._initiator.on_key(key))
        self.sas = self._initiator.sas
        if confirm:
            self._confirm_id = await self.send_plain(self._initiator.confirm_message())
        return self.sas

    async def confirm(self, *, timeout: float = 30.0) -> str:
        """Send ``pair.confirm`` (unless :meth:`pair` did), await ``pair.done``, verify its MAC and keep
        :attr:`pairing_id` and :attr:`secret`. Returns the pairing id. Raises PairingFailed."""
        if self._initiator is None:
            raise PairingFailed("confirm() before pair()")
        if self._confirm_id is None:
            self._confirm_id = await self.send_plain(self._initiator.confirm_message())
        done = await self._expect(self._confirm_id, PairDone, timeout)
        self.pairing_id = self._initiator.on_done(done)
        self.secret = self._initiator.secret
        return self.pairing_id

    async def cancel(self, reason: str = "user cancelled") -> None:
        """Send ``pair.cancel`` for the current pairing attempt."""
        pair_id = self._initiator.pair_id if self._initiator is not None else None
        await self.send_plain(PairCancel(pair_id=pair_id, reason=reason))

    # --- session -----------------------------------------------------------------------------------------

    async def open_session(self, *, timeout: float = 10.0) -> SessionOpened:
        """Handshake with the stored pairing (a fresh ``hello`` unless this connection already sent one
        with it), derive the session keys and send the sealed ``session.open``. Raises
        :class:`~webbridge.errors.NotPaired` without a pairing or when the host does not know it."""
        if self.pairing_id is None or self.secret is None:
            raise NotPaired("no pairing: pair() and confirm() first, or pass pairing_id and secret")
        if self.hello_ok is None or self._hello_pairing_id != self.pairing_id:
            await self.hello(timeout=timeout)
        assert self.hello_ok is not None
        if not self.hello_ok.paired:
            raise NotPaired("the host does not recognise our pairing")
        nonce_d, sid = b64d(self.hello_ok.nonce), self.hello_ok.sid
        self.session = Session.from_secret(
            "extension", self.secret, self._nonce_e, nonce_d, sid, clock=self.clock
        )
        self.channel = Channel(self.session, self.send_json, handlers=self.handlers)
        opening = SessionOpen(
            label=self.label, browser=self.browser, profile=self.profile, ext_version=self.ext_version
        )
        opened = await self.request("session.open", opening, timeout=timeout)
        assert isinstance(opened, SessionOpened)
        return opened

    async def request(
        self, kind: str, body: Mapping[str, Any] | Message | None = None, *, timeout: float = 30.0
    ) -> Message:
        """A sealed request over the session (see :meth:`webbridge.protocol.channel.Channel.request`)."""
        if self.channel is None:
            raise NotPaired("no session: open_session() first")
        return await self.channel.request(kind, body, timeout=timeout)

    async def echo(
        self, data: str, *, mode: Literal["echo", "digest"] = "echo", timeout: float = 30.0
    ) -> EchoResult:
        """``echo`` round trip; ``mode="digest"`` makes the host answer only size and SHA-256."""
        result = await self.request("echo", Echo(data=data, mode=mode), timeout=timeout)
        assert isinstance(result, EchoResult)
        return result

    async def ping(self, *, timeout: float = 30.0) -> Pong:
        result = await self.request("ping", timeout=timeout)
        assert isinstance(result, Pong)
        return result

    # --- handlers (host → extension requests) ------------------------------------------------------------

    async def _on_browser_info(self, msg: Message) -> Message:
        return BrowserInfoResult(
            browser=self.browser.name, version=self.browser.version, user_agent=self.browser.user_agent,
            profile=self.profile, tabs=self.tabs,
        )  # fmt: skip

    async def _on_ping(self, msg: Message) -> Message:
        return Pong(time=self.clock())

    async def _on_tabs_list(self, msg: Message) -> Message:
        assert isinstance(msg, TabsList)
        url, title = (msg.url or "").casefold(), (msg.title or "").casefold()
        tabs = [t for t in self.tabs if url in t.url.casefold() and title in t.title.casefold()]
        return TabsListResult(tabs=tabs)

    async def _on_tab_control(self, msg: Message) -> Message:
        assert isinstance(msg, TabControl)
        self.tab_controls.append(msg)
        return TabControlled(tab_id=msg.tab_id, shown=msg.on, group_id=1 if msg.group else None)

    async def _on_key_rotate(self, msg: Message) -> Message:
        assert isinstance(msg, KeyRotate)
        reply, new_secret = respond_rotation(msg)
        # The real extension swaps its key once the reply is sent; the channel sends it right after this.
        self.secret = new_secret
        self.rotations += 1
        return reply

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
