"""One relay connection: the handshake, pairing, and then an authenticated session (docs/PROTOCOL.md §3–4).

States: before ``hello`` only ``hello`` is accepted; after ``hello`` the pairing kinds are answered; a sealed
frame is accepted only once ``hello`` named a known pairing, and the first verified sealed frame makes the
session authenticated. Nothing but the handshake and pairing is ever dispatched before that (C10).

Failures: framing errors that leave the stream unusable and every :class:`SessionError` end the connection
(the extension reconnects and handshakes afresh); other protocol errors get an ``error`` reply and the
connection goes on. No other connection is affected either way.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import (
    FramingError,
    NotPaired,
    PairingFailed,
    ProtocolError,
    SessionError,
    UnexpectedKind,
    UnsupportedProtocol,
    WebBridgeError,
)
from ..meta import PROTOCOL
from ..protocol import frames, framing, jsonstrict, messages
from ..protocol.channel import Channel, Handler
from ..protocol.messages import Message
from ..protocol.session import SealedFrame, Session
from ..protocol.signing import b64url_decode, b64url_encode
from .bridges import Bridge
from .policy_api import BridgePolicyApi
from .run_api import BridgeRunApi

if TYPE_CHECKING:
    from .server import DaemonState

log = logging.getLogger("webbridge.daemon.connection")

#: How long a closing connection may take to hand its last frames to the relay before they are dropped.
CLOSE_GRACE = 2.0

PLAIN_FROM_EXTENSION = {"hello", "pair.begin", "pair.reveal", "pair.confirm", "pair.cancel", "error"}


class RelayConnection:
    def __init__(
        self, state: DaemonState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, origin: str
    ) -> None:
        self.state = state
        self.reader = reader
        self.writer = writer
        self.origin = origin
        self.conn_id = "c-" + secrets.token_hex(3)
        self.rejected: Counter[str] = Counter()
        self._write_lock = asyncio.Lock()
        self._hello: messages.Hello | None = None
        self._nonce_d = b""
        self._pairing_id: str | None = None
        self.session: Session | None = None
        self.channel: Channel | None = None
        self.bridge: Bridge | None = None
        self._closing = False
        self.run_api = BridgeRunApi(self)
        self.policy_api = BridgePolicyApi(self)

    # --- output ---------------------------------------------------------------------------------------

    async def send(self, frame: dict[str, Any]) -> None:
        """Send one frame, chunked when over 1 MiB. Raises ConnectionError when the relay is gone."""
        # A sealed frame knows its bytes: p is not escaped and encoded a second time.
        payload = frame.to_bytes() if isinstance(frame, SealedFrame) else jsonstrict.dumps(frame).encode()
        async with self._write_lock:
            for piece in framing.chunk_down(payload):
                self.writer.write(framing.encode(piece))
            await self.writer.drain()

    async def send_plain(self, msg: Message, reply_to: str | None = None) -> None:
        await self.send(frames.plain_frame(msg, msg_id="d-" + secrets.token_hex(6), reply_to=reply_to))

    async def _send_error(self, exc: WebBridgeError, reply_to: str | None = None) -> None:
        self.rejected[exc.name] += 1
        self.state.rejected[exc.name] += 1
        try:
            await self.send_plain(messages.Error(**exc.to_wire()), reply_to)
        except (ConnectionError, RuntimeError):
            pass

    # --- main loop ------------------------------------------------------------------------------------

    async def run(self) -> None:
        log.info("%s: relay connected for %s", self.conn_id, self.origin)
        try:
            while not self._closing:
                try:
                    payload = await framing.read_frame(self.reader, framing.MAX_UP_FRAME)
                except FramingError as exc:
                    log.warning("%s: closing: %s", self.conn_id, exc)
                    await self._send_error(exc)
                    return
                if payload is None:
                    return
                await self._handle_payload(payload)
                del payload  # an idle connection keeps no copy of its last frame (up to 32 MiB)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            log.info("%s: relay went away: %s", self.conn_id, exc)
        finally:
            await self.aclose()

    async def _handle_payload(self, payload: bytes) -> None:
        try:
            frame = jsonstrict.loads(payload)
            if "mac" in frame or "p" in frame or "sid" in frame:
                await self._handle_sealed(frame)
            else:
                await self._handle_plain(frame)
        except SessionError as exc:
            log.warning("%s: session ended: %s", self.conn_id, exc)
            await self._send_error(exc)
            self._closing = True
        except UnsupportedProtocol as exc:
            log.warning("%s: %s", self.conn_id, exc)
            await self._send_error(exc, _reply_id(exc))
            self._closing = True
        except ProtocolError as exc:
            log.info("%s: rejected frame: %s", self.conn_id, exc)
            await self._send_error(exc, _reply_id(exc))

    # --- plain frames: handshake and pairing ------------------------------------------------------------

    async def _handle_plain(self, frame: dict[str, Any]) -> None:
        plain = frames.parse_plain(frame)
        message = plain.message
        if plain.kind not in PLAIN_FROM_EXTENSION:
            raise UnexpectedKind(f"{plain.kind!r} is not sent by the extension")
        if isinstance(message, messages.Error):
            log.info("%s: extension reported [%s %s]", self.conn_id, message.code, message.name)
            return
        if isinstance(message, messages.Hello):
            await self._on_hello(plain.id, message)
            return
        if self._hello is None:
            raise UnexpectedKind("send hello first")
        manager = self.state.pairings
        if isinstance(message, messages.PairBegin):
            key = manager.begin(message, origin=self.origin, notify=self._notify_plain)
            await self.send_plain(key, plain.id)
        elif isinstance(message, messages.PairReveal):
            try:
                await manager.reveal(message)
            except PairingFailed as exc:
                await self.send_plain(
                    messages.PairCancel(pair_id=message.pair_id, reason=exc.message), plain.id
                )
                raise
        elif isinstance(message, messages.PairConfirm):
            await manager.extension_confirm(message, plain.id)
        elif isinstance(message, messages.PairCancel):
            if message.pair_id is not None:
                await manager.cancel(message.pair_id, message.reason, tell_extension=False)

    async def _notify_plain(self, msg: Message, reply_to: str | None) -> None:
        try:
            await self.send_plain(msg, reply_to)
        except (ConnectionError, RuntimeError) as exc:
            log.info("%s: could not deliver %s: %s", self.conn_id, msg.kind, exc)

    async def _on_hello(self, msg_id: str, hello: messages.Hello) -> None:
        if self._hello is not None:
            raise UnexpectedKind("hello was already received on this connection")
        messages.check_protocol(hello)
        self._hello = hello
        nonce_d = secrets.token_bytes(32)
        sid = b64url_encode(secrets.token_bytes(16))
        pairing = self.state.keystore.get(hello.pairing_id) if hello.pairing_id else None
        if pairing is not None:
            self._pairing_id = pairing.pairing_id
            self.session = Session.from_secret(
                "daemon", pairing.secret, b64url_decode(hello.nonce), nonce_d, sid
            )
            self.channel = Channel(
                self.session,
                self.send,
                handlers=self._handlers(),
                max_in_flight=self.state.settings.max_in_flight,
                default_timeout=self.state.settings.request_timeout,
            )
        elif hello.pairing_id:
            log.info(
                "%s: unknown pairing %s (revoked or from another machine)", self.conn_id, hello.pairing_id
            )
        ok = messages.HelloOk(
            proto=PROTOCOL,
            daemon_version=__version__,
            nonce=b64url_encode(nonce_d),
            sid=sid,
            paired=pairing is not None,
            time=int(time.time() * 1000),
        )
        await self.send_plain(ok, msg_id)

    # --- sealed frames --------------------------------------------------------------------------------

    async def _handle_sealed(self, frame: dict[str, Any]) -> None:
        if self.channel is None:
            raise NotPaired("sealed frame before a paired handshake; pair first")
        await self.channel.feed(frame)

    def _handlers(self) -> dict[str, Handler]:
        return {
            "session.open": self._on_session_open,
            "ping": self._on_ping,
            "echo": self._on_echo,
            **self.run_api.handlers(),
            **self.policy_api.handlers(),
        }

    async def _on_session_open(self, msg: Message) -> Message:
        assert isinstance(msg, messages.SessionOpen)
        if self.bridge is not None:
            raise UnexpectedKind("session.open was already received")
        assert self.channel is not None and self._pairing_id is not None
        label = msg.label or f"{msg.browser.name} · {msg.profile}"
        bridge = Bridge(
            bridge_id=self.state.bridges.new_id(),
            label=label,
            browser=msg.browser.name,
            profile=msg.profile,
            origin=self.origin,
            pairing_id=self._pairing_id,
            ext_version=msg.ext_version,
            channel=self.channel,
        )
        self.state.bridges.add(bridge)
        self.bridge = bridge
        log.info("%s: bridge %s open (%s)", self.conn_id, bridge.bridge_id, label)
        await self.state.notify_bridges_changed()
        return messages.SessionOpened(bridge_id=bridge.bridge_id, label=label)

    async def _on_ping(self, _msg: Message) -> Message:
        return messages.Pong(time=int(time.time() * 1000))

    async def _on_echo(self, msg: Message) -> Message:
        assert isinstance(msg, messages.Echo)
        return messages.echo_reply(msg)

    # --- teardown -------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Release everything this connection holds. Safe to call twice."""
        self._closing = True
        self.state.pairings.drop_for(self._notify_plain)
        await self.run_api.aclose()
        await self.policy_api.aclose()
        if self.bridge is not None:
            self.state.bridges.remove(self.bridge.bridge_id)
            self.bridge = None
            await self.state.notify_bridges_changed()
        if self.channel is not None:
            await self.channel.aclose()
        self.writer.close()
        try:
            async with asyncio.timeout(CLOSE_GRACE):
                await self.writer.wait_closed()
        except TimeoutError:
            # What is still buffered is for a peer that reads nothing: drop it rather than wait forever
            # (which would also hold up the daemon's shutdown).
            self.writer.transport.abort()
        except (ConnectionError, OSError):
            pass
        log.info("%s: closed (rejected: %s)", self.conn_id, dict(self.rejected) or "none")


def _reply_id(exc: WebBridgeError) -> str | None:
    """The id of the plain frame we are refusing, when it was well formed, so the error can answer it."""
    value = exc.detail.get("id")
    return value if isinstance(value, str) else None
