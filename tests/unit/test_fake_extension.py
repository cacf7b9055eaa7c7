"""The shipped FakeExtension against a minimal in-test daemon built from the protocol layers.

The reference daemon here is deliberately small: framing, strict JSON, plain handshake and pairing, a
sealed channel. It checks that FakeExtension speaks every layer (including chunked frames coming down and
8 MB frames going up) and that it reports a host that breaks the protocol.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from webbridge.errors import (
    ChannelClosed,
    NotPaired,
    PairingFailed,
    RemoteError,
    SessionError,
    WebBridgeError,
)
from webbridge.protocol import framing, jsonstrict
from webbridge.protocol.b64url import decode as b64d
from webbridge.protocol.b64url import encode as b64e
from webbridge.protocol.channel import Channel
from webbridge.protocol.frames import frame_type, parse_plain, plain_frame
from webbridge.protocol.messages import (
    BrowserInfoResult,
    Echo,
    Error,
    Hello,
    HelloOk,
    KeyRotated,
    Message,
    PairBegin,
    PairCancel,
    PairConfirm,
    PairReveal,
    Pong,
    SessionOpen,
    SessionOpened,
    check_protocol,
    echo_reply,
)
from webbridge.protocol.pairing import PairingResponder, RotationInitiator
from webbridge.protocol.session import Session
from webbridge.testing import FakeExtension


@dataclass
class MiniDaemon:
    """One daemon state shared by all connections: pairings by id, and the latest connection's channel."""

    pairings: dict[str, bytes] = field(default_factory=dict)
    sas_shown: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    channels: asyncio.Queue[Channel] = field(default_factory=asyncio.Queue)
    user_confirms: bool = True
    oversize_down_frame: bool = False

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Conn(self, writer)
        try:
            while (payload := await framing.read_frame(reader, framing.MAX_UP_FRAME)) is not None:
                frame = jsonstrict.loads(payload)
                if frame_type(frame) == "sealed":
                    if conn.channel is None:
                        raise NotPaired("no session")
                    await conn.channel.feed(frame)
                else:
                    await conn.on_plain(frame)
        except WebBridgeError as exc:
            await conn.send(plain_frame(Error(**exc.to_wire()), msg_id="d0"))
        finally:
            if conn.channel is not None:
                await conn.channel.aclose()
            writer.close()


@dataclass
class _Conn:
    daemon: MiniDaemon
    writer: asyncio.StreamWriter
    channel: Channel | None = None
    responder: PairingResponder | None = None
    nonce_d: bytes = b""
    ids: int = 0

    async def send(self, frame: dict[str, Any]) -> None:
        payload = jsonstrict.dumps(frame).encode()
        pieces = [payload] if self.daemon.oversize_down_frame else framing.chunk_down(payload)
        for piece in pieces:
            self.writer.write(framing.HEADER.pack(len(piece)) + piece)
        await self.writer.drain()

    async def reply(self, msg: Message, reply_to: str) -> None:
        self.ids += 1
        await self.send(plain_frame(msg, msg_id=f"d{self.ids}", reply_to=reply_to))

    async def on_plain(self, frame: dict[str, Any]) -> None:
        plain = parse_plain(frame)
        msg = plain.message
        if isinstance(msg, Hello):
            check_protocol(msg)
            self.nonce_d = os.urandom(32)
            sid = b64e(os.urandom(16))
            secret = self.daemon.pairings.get(msg.pairing_id or "")
            if secret is not None:
                session = Session.from_secret("daemon", secret, b64d(msg.nonce), self.nonce_d, sid)
                self.channel = Channel(session, self.send, handlers={
                    "session.open": self.on_session_open, "ping": self.on_ping, "echo": self.on_echo,
                })  # fmt: skip
            ok = HelloOk(proto="wb1", daemon_version="0", nonce=b64e(self.nonce_d), sid=sid,
                         paired=secret is not None, time=1)  # fmt: skip
            await self.reply(ok, plain.id)
        elif isinstance(msg, PairBegin):
            self.responder = PairingResponder(msg)
            await self.reply(self.responder.key_message(), plain.id)
        elif isinstance(msg, PairReveal):
            assert self.responder is not None
            self.daemon.sas_shown.put_nowait(self.responder.reveal(msg))
        elif isinstance(msg, PairConfirm):
            assert self.responder is not None
            self.responder.check_confirm(msg)
            if not self.daemon.user_confirms:
                await self.reply(PairCancel(pair_id=msg.pair_id, reason="user rejected"), plain.id)
                return
            pairing_id = f"p{len(self.daemon.pairings) + 1}"
            done = self.responder.done(pairing_id)
            self.daemon.pairings[pairing_id] = self.responder.secret
            await self.reply(done, plain.id)

    async def on_session_open(self, msg: Message) -> Message:
        assert isinstance(msg, SessionOpen) and self.channel is not None
        self.daemon.channels.put_nowait(self.channel)
        return SessionOpened(bridge_id="b1", label=msg.label)

    async def on_ping(self, msg: Message) -> Message:
        return Pong(time=1)

    async def on_echo(self, msg: Message) -> Message:
        assert isinstance(msg, Echo)
        return echo_reply(msg)


@dataclass
class Harness:
    daemon: MiniDaemon
    port: int
    fakes: list[FakeExtension] = field(default_factory=list)

    async def connect(self, **kwargs: Any) -> FakeExtension:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port, limit=2**20)
        fake = FakeExtension(reader, writer, **kwargs)
        self.fakes.append(fake)
        return fake


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    daemon = MiniDaemon()
    server = await asyncio.start_server(daemon.serve, "127.0.0.1", 0)
    result = Harness(daemon, server.sockets[0].getsockname()[1])
    async with server:
        yield result
        for fake in result.fakes:
            await fake.aclose()


async def pair(harness: Harness) -> tuple[str, bytes]:
    async with await harness.connect() as fake:
        sas = await fake.pair()
        assert await harness.daemon.sas_shown.get() == sas
        pairing_id = await fake.confirm()
        assert fake.secret == harness.daemon.pairings[pairing_id]
        fake.assert_clean()
        return pairing_id, fake.secret


async def test_pair_then_open_a_session_and_talk_both_ways(harness: Harness) -> None:
    pairing_id, secret = await pair(harness)
    fake = await harness.connect(pairing_id=pairing_id, secret=secret)
    opened = await fake.open_session()
    assert opened == SessionOpened(bridge_id="b1", label="Fake")
    assert await fake.ping() == Pong(time=1)
    channel = await harness.daemon.channels.get()
    info = await channel.request("browser.info")
    assert isinstance(info, BrowserInfoResult) and [t.id for t in info.tabs] == [1, 2]
    assert isinstance(await channel.request("ping"), Pong)
    fake.assert_clean()


async def test_large_frames_up_and_chunked_frames_down(harness: Harness) -> None:
    pairing_id, secret = await pair(harness)
    fake = await harness.connect(pairing_id=pairing_id, secret=secret)
    await fake.open_session()
    big = "é" * 4_000_000  # 8 MB of UTF-8 going up in one frame
    digest = await fake.echo(big, mode="digest")
    assert digest.size == 8_000_000
    echoed = await fake.echo("x" * 3_000_000)  # 3 MB coming down: must arrive in chunks
    assert echoed.data == "x" * 3_000_000
    assert fake.chunked_payloads == 1 and fake.largest_down_frame <= framing.MAX_DOWN_FRAME
    fake.assert_clean()


async def test_key_rotation_replaces_the_secret(harness: Harness) -> None:
    pairing_id, secret = await pair(harness)
    fake = await harness.connect(pairing_id=pairing_id, secret=secret)
    await fake.open_session()
    channel = await harness.daemon.channels.get()
    rotation = RotationInitiator()
    reply = await channel.request("key.rotate", rotation.request())
    assert isinstance(reply, KeyRotated)
    new_secret = rotation.finish(reply)
    assert fake.secret == new_secret != secret and fake.rotations == 1
    harness.daemon.pairings[pairing_id] = new_secret
    again = await harness.connect(pairing_id=pairing_id, secret=fake.secret)
    await again.open_session()
    stale = await harness.connect(pairing_id=pairing_id, secret=secret)
    with pytest.raises(ChannelClosed, match="bad_mac"):
        await stale.open_session(timeout=5)
    assert stale.last_error is not None and stale.last_error.remote_code == 3002


async def test_open_session_needs_a_known_pairing(harness: Harness) -> None:
    fake = await harness.connect()
    with pytest.raises(NotPaired):
        await fake.open_session()
    unknown = await harness.connect(pairing_id="p404", secret=bytes(32))
    with pytest.raises(NotPaired, match="does not recognise"):
        await unknown.open_session()


async def test_rejected_pairing_raises(harness: Harness) -> None:
    harness.daemon.user_confirms = False
    fake = await harness.connect()
    await fake.pair()
    with pytest.raises(PairingFailed, match="user rejected"):
        await fake.confirm()
    assert fake.pairing_id is None and fake.secret is None


async def test_downgrade_answer_is_an_error(harness: Harness) -> None:
    fake = await harness.connect()
    with pytest.raises(RemoteError) as info:
        await fake.hello(proto=["wb0"])
    assert info.value.remote_code == 2004
    await fake.wait_closed()


async def test_raw_helpers_reach_the_host(harness: Harness) -> None:
    fake = await harness.connect()
    await fake.send_frame(b'{"v":1,"kind":"ping","id":"x","reply_to":null,"body":{}}')
    error = await fake.next_plain()
    assert error["kind"] == "error" and error["body"]["code"] == 2003
    await fake.wait_closed()
    with pytest.raises(Exception, match="closed"):
        await fake.next_plain(timeout=1)


async def test_an_oversize_down_frame_is_a_violation(harness: Harness) -> None:
    pairing_id, secret = await pair(harness)
    harness.daemon.oversize_down_frame = True
    fake = await harness.connect(pairing_id=pairing_id, secret=secret)
    await fake.open_session()
    with pytest.raises(WebBridgeError):  # the reply never arrives: the fake stops at the bad frame
        await fake.echo("y" * 2_000_000, timeout=5)
    with pytest.raises(AssertionError, match="frame_too_large"):
        fake.assert_clean()


async def test_a_bad_mac_from_the_host_is_a_violation(harness: Harness) -> None:
    pairing_id, secret = await pair(harness)
    fake = await harness.connect(pairing_id=pairing_id, secret=secret)
    await fake.open_session()
    channel = await harness.daemon.channels.get()
    frame = channel.session.seal("ping", {})
    channel.session.sent_seq -= 1
    await _write_raw(harness, channel, {**frame, "mac": "A" * 43})
    await fake.wait_closed()
    assert any(isinstance(v, SessionError) for v in fake.violations)


async def _write_raw(harness: Harness, channel: Channel, frame: dict[str, Any]) -> None:
    # The channel's send is the connection's: reuse it to put a tampered frame on the wire.
    await channel._send(frame)  # the test reaches into the transport on purpose
