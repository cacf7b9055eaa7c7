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

The fake is three layers, one module each: :mod:`~webbridge.testing.fake_wire` (framing and the raw
helpers), :mod:`~webbridge.testing.fake_browser` (the scripted browser answers) and this one (handshake,
pairing, the sealed session and ``key.rotate``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

from webbridge.errors import InvalidMessage, NotPaired, PairingFailed, UnexpectedKind, from_wire
from webbridge.meta import EXTENSION_ID, PROTOCOL
from webbridge.protocol import frames
from webbridge.protocol.b64url import decode as b64d
from webbridge.protocol.b64url import encode as b64e
from webbridge.protocol.channel import Channel, Handler
from webbridge.protocol.messages import (
    BrowserDesc,
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
from webbridge.testing.fake_browser import DEFAULT_BROWSER, DEFAULT_TABS, ScriptedBrowser
from webbridge.testing.fake_wire import FakeWire

__all__ = ["DEFAULT_TABS", "FakeExtension"]

M = TypeVar("M", bound=Message)


class _Unset:
    """Marks "argument not given" where ``None`` is a meaningful value."""


_UNSET = _Unset()


class FakeExtension(FakeWire, ScriptedBrowser):
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
        browser: BrowserDesc = DEFAULT_BROWSER,
        profile: str = "Default",
        ext_version: str = "0.1.0",
        ext_id: str = EXTENSION_ID,
        tabs: Sequence[Tab] = DEFAULT_TABS,
        clock: Clock = now_ms,
    ) -> None:
        FakeWire.__init__(self, reader, writer)
        ScriptedBrowser.__init__(self, browser=browser, profile=profile, tabs=tabs, clock=clock)
        #: Long-term pairing, set by :meth:`confirm` (or given for a reconnect).
        self.pairing_id = pairing_id
        self.secret = secret
        self.label = label
        self.ext_version, self.ext_id = ext_version, ext_id
        #: The six-digit code of the last :meth:`pair`.
        self.sas: str | None = None
        self.hello_ok: HelloOk | None = None
        self.session: Session | None = None
        #: Handlers installed on the channel by :meth:`open_session`; edit before calling it.
        self.handlers: dict[str, Handler] = {**self.browser_handlers(), "key.rotate": self._on_key_rotate}
        self.rotations = 0
        self._nonce_e = b""
        self._hello_pairing_id: str | None = None
        self._initiator: PairingInitiator | None = None
        self._confirm_id: str | None = None

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

    # --- host → extension requests of the session layer ------------------------------------------------

    async def _on_key_rotate(self, msg: Message) -> Message:
        assert isinstance(msg, KeyRotate)
        reply, new_secret = respond_rotation(msg)
        # The real extension swaps its key once the reply is sent; the channel sends it right after this.
        self.secret = new_secret
        self.rotations += 1
        return reply
