"""Requests, replies and events (PROTOCOL.md §3 step 7, §5): rows C7 and F11 at the channel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from webbridge.errors import (
    BadMac,
    Busy,
    ChannelClosed,
    InvalidMessage,
    NotPaired,
    RemoteError,
    RequestTimeout,
    UnexpectedKind,
    UnknownKind,
    WebBridgeError,
)
from webbridge.protocol import messages
from webbridge.protocol.channel import Channel, Handler
from webbridge.protocol.messages import (
    BrowserInfoResult,
    Echo,
    Message,
    Ping,
    Pong,
    Tab,
    body_of,
    echo_reply,
)
from webbridge.protocol.session import Envelope, Session

from ._wire import KEYS_DEFAULT, T0, FrozenClock, envelope, forge, session_pair


async def pong(msg: Message) -> Message:
    return Pong(time=T0)


async def echo(msg: Message) -> Message:
    assert isinstance(msg, Echo)
    return echo_reply(msg)


async def browser_info(msg: Message) -> Message:
    tab = Tab(id=1, window_id=1, url="https://a.test/", title="A", active=True)
    return BrowserInfoResult(browser="Chromium", version="1", user_agent="UA", profile="P", tabs=[tab])


@dataclass
class Link:
    """A daemon channel and an extension channel joined by one queue and one pump task per direction."""

    daemon: Channel
    ext: Channel
    errors: list[BaseException] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


async def _pump(queue: asyncio.Queue[dict[str, Any]], target: Channel, errors: list[BaseException]) -> None:
    while True:
        frame = await queue.get()
        try:
            await target.feed(frame)
        except WebBridgeError as exc:
            errors.append(exc)


@pytest.fixture
async def link() -> AsyncIterator[Link]:
    daemon_session, ext_session = session_pair()
    to_ext: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    to_daemon: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    sends = 0

    async def uneven_yields() -> None:
        # A varying number of yields inside send: concurrent senders that were not serialised by the
        # channel would overtake each other and reach the peer out of sequence.
        nonlocal sends
        sends += 1
        for _ in range(sends % 3):
            await asyncio.sleep(0)

    async def send_to_ext(frame: dict[str, Any]) -> None:
        await uneven_yields()
        to_ext.put_nowait(frame)

    async def send_to_daemon(frame: dict[str, Any]) -> None:
        await uneven_yields()
        to_daemon.put_nowait(frame)

    handlers_d: dict[str, Handler] = {"ping": pong, "echo": echo}
    handlers_e: dict[str, Handler] = {"ping": pong, "browser.info": browser_info}
    daemon = Channel(daemon_session, send_to_ext, handlers=handlers_d, default_timeout=5)
    ext = Channel(ext_session, send_to_daemon, handlers=handlers_e, default_timeout=5)
    result = Link(daemon, ext)
    result.tasks = [
        asyncio.create_task(_pump(to_ext, ext, result.errors)),
        asyncio.create_task(_pump(to_daemon, daemon, result.errors)),
    ]
    yield result
    for task in result.tasks:
        task.cancel()
    await asyncio.gather(*result.tasks, return_exceptions=True)
    await daemon.aclose()
    await ext.aclose()
    assert result.errors == []


@dataclass
class Raw:
    """A channel under test and a hand-driven peer session; what the channel sends lands in ``sent``."""

    chan: Channel
    peer: Session
    sent: asyncio.Queue[dict[str, Any]]

    async def next_sent(self) -> Envelope:
        async with asyncio.timeout(5):
            frame = await self.sent.get()
        return self.peer.open(frame)


@pytest.fixture
async def raw() -> AsyncIterator[Raw]:
    daemon_session, ext_session = session_pair()
    sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send(frame: dict[str, Any]) -> None:
        sent.put_nowait(frame)

    chan = Channel(daemon_session, send, handlers={"ping": pong, "echo": echo})
    yield Raw(chan, ext_session, sent)
    await chan.aclose()


# --- requests and replies ------------------------------------------------------------------------------


async def test_requests_both_ways(link: Link) -> None:
    assert await link.ext.request("ping") == Pong(time=T0)
    assert await link.daemon.request("ping", {}) == Pong(time=T0)
    info = await link.daemon.request("browser.info")
    assert isinstance(info, BrowserInfoResult) and info.tabs[0].url == "https://a.test/"
    digest = await link.ext.request("echo", Echo(data="x" * 1000, mode="digest"))
    assert body_of(digest)["size"] == 1000


async def test_many_concurrent_requests_keep_sequence_order(link: Link) -> None:
    replies = await asyncio.gather(
        *(link.ext.request("echo", {"data": str(i), "mode": "echo"}) for i in range(200))
    )
    assert [body_of(r)["data"] for r in replies] == [str(i) for i in range(200)]
    assert link.ext.session.sent_seq == link.daemon.session.received_seq == 200
    assert link.daemon.in_flight == link.ext.in_flight == 0


async def test_request_kind_and_body_are_checked_before_sending(raw: Raw) -> None:
    with pytest.raises(UnknownKind):
        await raw.chan.request("shell.exec")
    with pytest.raises(UnexpectedKind):
        await raw.chan.request("pong", {"time": 1})  # a reply, not a request
    with pytest.raises(UnexpectedKind):
        await raw.chan.request("hello", {})  # plain only
    with pytest.raises(InvalidMessage):
        await raw.chan.request("echo", {"data": 5, "mode": "echo"})
    with pytest.raises(UnexpectedKind):
        await raw.chan.request("echo", Ping())
    assert raw.sent.empty() and raw.chan.session.sent_seq == 0


async def test_error_reply_raises_remote_error(raw: Raw) -> None:
    task = asyncio.create_task(raw.chan.request("browser.info"))
    sent = await raw.next_sent()
    assert sent.kind == "browser.info"
    error = {"code": 3006, "name": "not_paired", "message": "nope"}
    await raw.chan.feed(raw.peer.seal("error", error, reply_to=sent.id))
    with pytest.raises(RemoteError) as info:
        await task
    assert (info.value.remote_code, info.value.remote_name, info.value.code) == (3006, "not_paired", 4003)


async def test_reply_of_the_wrong_kind_fails_the_request(raw: Raw) -> None:
    task = asyncio.create_task(raw.chan.request("browser.info"))
    sent = await raw.next_sent()
    await raw.chan.feed(raw.peer.seal("pong", {"time": 1}, reply_to=sent.id))
    with pytest.raises(UnexpectedKind, match=r"browser\.info\.result"):
        await task


async def test_malformed_reply_fails_the_request_without_an_answer(raw: Raw) -> None:
    task = asyncio.create_task(raw.chan.request("ping"))
    sent = await raw.next_sent()
    await raw.chan.feed(forge(KEYS_DEFAULT.e2d, envelope(kind="pong", body={"time": "x"}, reply_to=sent.id)))
    with pytest.raises(InvalidMessage):
        await task
    assert raw.sent.empty()  # never reply to a reply


async def test_timeout(raw: Raw) -> None:
    with pytest.raises(RequestTimeout) as info:
        await raw.chan.request("ping", timeout=0.01)
    assert info.value.code == 4001 and raw.chan.in_flight == 0


async def test_default_timeout_comes_from_the_channel() -> None:
    daemon_session, _ = session_pair()

    async def send(frame: dict[str, Any]) -> None:
        return None

    chan = Channel(daemon_session, send, default_timeout=0.01)
    with pytest.raises(RequestTimeout):
        await chan.request("ping")
    with pytest.raises(ValueError):
        Channel(daemon_session, send, default_timeout=0)


async def test_busy_when_too_many_requests_are_in_flight() -> None:
    daemon_session, _ = session_pair()
    sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send(frame: dict[str, Any]) -> None:
        sent.put_nowait(frame)

    chan = Channel(daemon_session, send, max_in_flight=2)
    tasks = [asyncio.create_task(chan.request("ping")) for _ in range(2)]
    await sent.get()
    await sent.get()
    assert chan.in_flight == 2
    with pytest.raises(Busy) as info:
        await chan.request("ping")
    assert info.value.code == 4004 and chan.counters["busy"] == 1
    await chan.aclose()
    for task in tasks:
        with pytest.raises(ChannelClosed):
            await task


async def test_send_failure_becomes_channel_closed() -> None:
    daemon_session, _ = session_pair()

    async def send(frame: dict[str, Any]) -> None:
        raise BrokenPipeError

    chan = Channel(daemon_session, send)
    with pytest.raises(ChannelClosed):
        await chan.request("ping")
    assert chan.in_flight == 0


async def test_cancelled_request_is_forgotten_and_its_late_reply_dropped(raw: Raw) -> None:
    task = asyncio.create_task(raw.chan.request("ping"))
    sent = await raw.next_sent()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert raw.chan.in_flight == 0
    await raw.chan.feed(raw.peer.seal("pong", {"time": 1}, reply_to=sent.id))
    assert raw.chan.counters["unsolicited_reply"] == 1


# --- C7 unsolicited replies ----------------------------------------------------------------------------


async def test_c7_reply_to_no_open_request_is_dropped_logged_and_counted(
    raw: Raw, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "webbridge.protocol.channel")
    await raw.chan.feed(raw.peer.seal("pong", {"time": 1}, reply_to="d99"))
    await raw.chan.feed(
        raw.peer.seal("error", {"code": 5003, "name": "internal", "message": "m"}, reply_to="x")
    )
    await raw.chan.feed(raw.peer.seal("pong", {"time": 1}))  # a reply kind answering nothing at all
    assert raw.chan.counters["unsolicited_reply"] == 3
    assert raw.sent.empty()
    assert sum("answering no open request" in r.getMessage() for r in caplog.records) == 3


async def test_c7_a_second_reply_to_the_same_request_is_unsolicited(raw: Raw) -> None:
    task = asyncio.create_task(raw.chan.request("ping"))
    sent = await raw.next_sent()
    await raw.chan.feed(raw.peer.seal("pong", {"time": 1}, reply_to=sent.id))
    await raw.chan.feed(raw.peer.seal("pong", {"time": 2}, reply_to=sent.id))
    assert await task == Pong(time=1)
    assert raw.chan.counters["unsolicited_reply"] == 1


async def test_c7_a_reply_after_the_timeout_is_unsolicited(raw: Raw) -> None:
    with pytest.raises(RequestTimeout):
        await raw.chan.request("ping", timeout=0.01)
    sent = await raw.next_sent()
    await raw.chan.feed(raw.peer.seal("pong", {"time": 1}, reply_to=sent.id))
    assert raw.chan.counters["unsolicited_reply"] == 1


# --- incoming requests ---------------------------------------------------------------------------------


async def test_incoming_request_is_answered(raw: Raw) -> None:
    await raw.chan.feed(raw.peer.seal("ping", {}, msg_id="e7"))
    reply = await raw.next_sent()
    assert (reply.kind, reply.reply_to, reply.message) == ("pong", "e7", Pong(time=T0))


@pytest.mark.parametrize(
    ("env", "code"),
    [
        (envelope(kind="shell.exec", body={}), 2001),
        (envelope(kind="echo", body={"data": 1, "mode": "echo"}), 2002),
        (envelope(kind="ping", body={"extra": True}), 2002),
        (envelope(kind="pair.begin", body={}), 2003),
    ],
)
async def test_f11_bad_requests_get_an_error_reply_and_the_session_continues(
    raw: Raw, env: dict[str, Any], code: int
) -> None:
    await raw.chan.feed(forge(KEYS_DEFAULT.e2d, {**env, "id": "e5"}))
    reply = await raw.next_sent()
    assert reply.kind == "error" and reply.reply_to == "e5"
    assert body_of(reply.message)["code"] == code
    assert raw.chan.counters["refused"] == 1
    raw.peer.sent_seq = 1  # the forged frame used seq 1
    await raw.chan.feed(raw.peer.seal("ping", {}))
    assert (await raw.next_sent()).kind == "pong"


async def test_request_without_a_handler_is_refused(raw: Raw) -> None:
    browser = {"name": "C", "version": "1", "user_agent": "U"}
    body = {"label": "L", "browser": browser, "profile": "P", "ext_version": "1"}
    await raw.chan.feed(raw.peer.seal("session.open", body))
    reply = await raw.next_sent()
    assert body_of(reply.message)["name"] == "unexpected_kind"


async def test_handler_errors_are_sent_back(raw: Raw, caplog: pytest.LogCaptureFixture) -> None:
    async def denied(msg: Message) -> Message:
        raise NotPaired("pair first")

    async def broken(msg: Message) -> Message:
        raise RuntimeError("secret internals")

    async def wrong(msg: Message) -> Message:
        return Ping()

    for handler, name in ((denied, "not_paired"), (broken, "internal"), (wrong, "internal")):
        raw.chan.set_handler("ping", handler)
        await raw.chan.feed(raw.peer.seal("ping", {}))
        reply = await raw.next_sent()
        body = body_of(reply.message)
        assert reply.kind == "error" and body["name"] == name
        assert "secret internals" not in body["message"]
    assert raw.chan.counters["handler_error"] == 3
    assert any("handler for ping failed" in r.getMessage() for r in caplog.records)


async def test_too_many_running_handlers_answers_busy() -> None:
    daemon_session, ext_session = session_pair()
    sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    release = asyncio.Event()

    async def send(frame: dict[str, Any]) -> None:
        sent.put_nowait(frame)

    async def slow(msg: Message) -> Message:
        await release.wait()
        return Pong(time=1)

    chan = Channel(daemon_session, send, handlers={"ping": slow}, max_handlers=1)
    await chan.feed(ext_session.seal("ping", {}))
    await chan.feed(ext_session.seal("ping", {}))
    busy = ext_session.open(await sent.get())
    assert body_of(busy.message)["name"] == "busy" and busy.reply_to == "e2"
    release.set()
    assert ext_session.open(await sent.get()).reply_to == "e1"
    await chan.aclose()


async def test_session_errors_propagate_from_feed(raw: Raw) -> None:
    frame = raw.peer.seal("ping", {})
    with pytest.raises(BadMac):
        await raw.chan.feed({**frame, "mac": "A" * 43})
    assert raw.chan.session.rejections["bad_mac"] == 1
    assert raw.sent.empty()


async def test_events_go_to_their_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    # No sealed event kind exists yet (tab changes will be one); register a test one.
    info = messages.KindInfo("ping", Ping, "event", plain=False, sealed=True, direction="both")
    monkeypatch.setitem(messages.CATALOGUE, "ping", info)
    daemon_session, ext_session = session_pair()
    got: asyncio.Queue[Message] = asyncio.Queue()
    sent: list[dict[str, Any]] = []

    async def send(frame: dict[str, Any]) -> None:
        sent.append(frame)

    async def on_event(msg: Message) -> None:
        got.put_nowait(msg)

    sender = Channel(ext_session, send)
    await sender.notify("ping")
    receiver = Channel(daemon_session, send)
    await receiver.feed(sent.pop())
    assert receiver.counters["unhandled_event"] == 1
    receiver.set_handler("ping", on_event)
    await sender.notify("ping", Ping())
    await receiver.feed(sent.pop())
    assert await got.get() == Ping() and sent == []
    await receiver.aclose()
    await sender.aclose()


async def test_notify_refuses_requests_and_replies(raw: Raw) -> None:
    with pytest.raises(UnexpectedKind):
        await raw.chan.notify("ping")
    with pytest.raises(UnexpectedKind):
        await raw.chan.notify("pair.cancel", {"pair_id": None, "reason": "r"})


def test_set_handler_refuses_unknown_kinds() -> None:
    daemon_session, _ = session_pair()

    async def send(frame: dict[str, Any]) -> None:
        return None

    chan = Channel(daemon_session, send)
    with pytest.raises(UnknownKind):
        chan.set_handler("nope", pong)
    chan.set_handler("ping", pong)
    chan.set_handler("ping", None)


# --- closing -------------------------------------------------------------------------------------------


async def test_aclose_fails_pending_requests_cancels_handlers_and_is_idempotent(raw: Raw) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def forever(msg: Message) -> Message:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        raise AssertionError("unreachable")

    raw.chan.set_handler("ping", forever)
    pending = [asyncio.create_task(raw.chan.request("browser.info")) for _ in range(3)]
    for _ in pending:
        await raw.next_sent()
    await raw.chan.feed(raw.peer.seal("ping", {}))
    await started.wait()
    cause = ConnectionResetError("relay went away")
    await raw.chan.aclose(cause)
    assert cancelled.is_set() and raw.chan.closed
    for task in pending:
        with pytest.raises(ChannelClosed, match="relay went away") as info:
            await task
        assert info.value.code == 4002 and info.value.__cause__ is cause
    await raw.chan.aclose()  # idempotent
    with pytest.raises(ChannelClosed):
        await raw.chan.request("ping")
    await raw.chan.feed(raw.peer.seal("ping", {}))  # ignored after close
    assert raw.sent.empty()


async def test_aclose_from_inside_a_handler(raw: Raw) -> None:
    done = asyncio.Event()

    async def closer(msg: Message) -> Message:
        await raw.chan.aclose()
        done.set()
        return Pong(time=1)

    raw.chan.set_handler("ping", closer)
    await raw.chan.feed(raw.peer.seal("ping", {}))
    await done.wait()
    assert raw.chan.closed and raw.chan.counters["reply_failed"] == 1


async def test_async_context_manager_closes() -> None:
    daemon_session, _ = session_pair(FrozenClock())

    async def send(frame: dict[str, Any]) -> None:
        return None

    async with Channel(daemon_session, send) as chan:
        task = asyncio.create_task(chan.request("ping"))
        await asyncio.sleep(0)
    with pytest.raises(ChannelClosed):
        await task
