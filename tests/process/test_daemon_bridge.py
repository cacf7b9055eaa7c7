"""Several browsers at once, through real relays and the real daemon process: listing and routing, revoking
one pairing, the daemon dying under pending requests, a connection dying under a pending CLI call, and a
clean `webbridge daemon stop`. The first relay of each test starts the daemon, as the browser would.
Every relay's stdout is checked frame by frame when the test ends (F15, ``Relays.aclose``)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator

import pytest

from webbridge.errors import ChannelClosed
from webbridge.protocol import framing
from webbridge.protocol.messages import Message, Tab
from webbridge.testing import FakeExtension

from ..conftest import WbEnv
from ._harness import DEADLINE, Linked, Relays, acontrol, cli, connect, pair, stop_daemon, wait_exited

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Unix sockets and signals")

TABS_WORK = (Tab(id=1, window_id=1, url="https://work.test/mail", title="Mail", active=True),)
TABS_HOME = (
    Tab(id=5, window_id=2, url="https://home.test/", title="Home", active=False),
    Tab(id=6, window_id=2, url="https://home.test/photos", title="Photos", active=True),
)


@pytest.fixture
async def relays(wb: WbEnv) -> AsyncIterator[Relays]:
    assert wb.daemon_pid() is None
    r = Relays(wb)
    yield r
    await r.aclose()


async def two_bridges(wb: WbEnv, relays: Relays) -> tuple[Linked, Linked]:
    work = await pair(wb, relays, "Work")  # this first relay starts the daemon
    home = await pair(wb, relays, "Home")
    assert work.pairing_id != home.pairing_id
    return await connect(relays, work, tabs=TABS_WORK), await connect(relays, home, tabs=TABS_HOME)


async def call_info(wb: WbEnv, bridge: str) -> dict[str, object]:
    out = await cli(wb, "call", "browser.info", "--bridge", bridge)
    result: dict[str, object] = json.loads(out.stdout)
    return result


async def wait_rejected(wb: WbEnv, name: str) -> None:
    """Poll the daemon's refusal counter (another process) until it stops moving: back-pressure is on."""
    history: list[int] = []
    async with asyncio.timeout(DEADLINE):
        while len(history) < 6 or len(set(history[-6:])) > 1:
            status = await acontrol(wb, "status")
            history.append(status["rejected"].get(name, 0))
            await asyncio.sleep(0.05)
    assert history[-1] > 0


def urls(result: dict[str, object]) -> list[str]:
    body = result["body"]
    assert isinstance(body, dict)
    return [t["url"] for t in body["tabs"]]


async def test_two_bridges_are_listed_with_their_labels_and_calls_reach_the_right_one(
    wb: WbEnv, relays: Relays
) -> None:
    work, home = await two_bridges(wb, relays)
    listed = json.loads((await cli(wb, "bridges", "--json")).stdout)
    assert {b["bridge_id"]: b["label"] for b in listed} == {work.bridge_id: "Work", home.bridge_id: "Home"}
    assert {b["pairing_id"] for b in listed} == {work.fake.pairing_id, home.fake.pairing_id}

    for linked, tabs in ((work, TABS_WORK), (home, TABS_HOME), (work, TABS_WORK)):
        result = await call_info(wb, linked.bridge_id)
        assert result["bridge_id"] == linked.bridge_id and urls(result) == [t.url for t in tabs]
    by_label = await call_info(wb, "Home")
    assert by_label["bridge_id"] == home.bridge_id and urls(by_label) == [t.url for t in TABS_HOME]
    missing = await cli(wb, "call", "browser.info", "--bridge", "b-00000000", check=False)
    assert missing.returncode == 1 and "5001" in missing.stderr
    stop_daemon(wb)


async def test_revoking_one_pairing_closes_only_its_connection(wb: WbEnv, relays: Relays) -> None:
    work, home = await two_bridges(wb, relays)
    assert work.fake.pairing_id is not None
    await cli(wb, "pair", "--revoke", work.fake.pairing_id)
    await work.fake.wait_closed(timeout=DEADLINE)
    assert await relays.relay_of(work.fake).wait() == 0

    listed = json.loads((await cli(wb, "bridges", "--json")).stdout)
    assert [b["bridge_id"] for b in listed] == [home.bridge_id]
    assert (await home.fake.ping()).time > 0
    assert urls(await call_info(wb, home.bridge_id)) == [t.url for t in TABS_HOME]
    gone = await cli(wb, "call", "browser.info", "--bridge", work.bridge_id, check=False)
    assert gone.returncode == 1 and "5001" in gone.stderr

    # The revoked key is not known any more: a reconnect is told to pair again.
    again = await relays.fake(pairing_id=work.fake.pairing_id, secret=work.fake.secret)
    assert (await again.hello(timeout=DEADLINE)).paired is False
    stop_daemon(wb)


async def test_killing_the_daemon_fails_every_pending_request_with_channel_closed(
    wb: WbEnv, relays: Relays
) -> None:
    paired = await pair(wb, relays, "Work")
    linked = await connect(relays, paired, tabs=TABS_WORK)
    fake = linked.fake
    pid = wb.daemon_pid()
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # the daemon can no longer answer: what we send now stays pending
    try:
        fake.cork()
        pending = [asyncio.create_task(fake.ping(timeout=DEADLINE)) for _ in range(5)]
        pending.append(asyncio.create_task(fake.echo("x" * 100_000, timeout=DEADLINE)))
        await fake.wait_held(len(pending))
        await fake.uncork()
        assert fake.channel is not None and fake.channel.in_flight == len(pending)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.kill(pid, signal.SIGCONT)
    outcomes = await asyncio.gather(*pending, return_exceptions=True)
    assert all(isinstance(o, ChannelClosed) and o.code == 4002 for o in outcomes), outcomes
    assert fake.channel.in_flight == 0
    assert await relays.relay_of(fake).wait() == 0  # the relay ends with the socket
    wait_exited(pid)

    # The next relay starts a new daemon, which still knows the pairing.
    again = await connect(relays, paired, tabs=TABS_WORK)
    assert wb.daemon_pid() not in (None, pid)
    assert urls(await call_info(wb, again.bridge_id)) == [t.url for t in TABS_WORK]
    stop_daemon(wb)


async def test_a_dropped_connection_fails_the_pending_cli_call_with_channel_closed(
    wb: WbEnv, relays: Relays
) -> None:
    paired = await pair(wb, relays, "Work")
    asked = asyncio.Event()

    async def never_answer(_msg: Message) -> Message:
        asked.set()
        await asyncio.Event().wait()  # cancelled when the connection closes
        raise AssertionError("unreachable")

    fake = await relays.fake(pairing_id=paired.pairing_id, secret=paired.secret, label="Work")
    fake.handlers["browser.info"] = never_answer
    opened = await fake.open_session(timeout=DEADLINE)
    call = asyncio.create_task(cli(wb, "call", "browser.info", "--bridge", opened.bridge_id, check=False))
    async with asyncio.timeout(DEADLINE):
        await asked.wait()
    await fake.aclose()  # the browser goes away with the request open
    out = await call
    assert out.returncode == 1 and "4002 channel_closed" in out.stderr, out.stderr
    stop_daemon(wb)


async def test_daemon_stop_is_clean(wb: WbEnv, relays: Relays) -> None:
    paired = await pair(wb, relays, "Work")
    linked = await connect(relays, paired)
    pid = wb.daemon_pid()
    assert pid is not None and wb.paths.socket.exists() and wb.paths.pid_file.exists()
    # A peer that reads nothing while the daemon has replies for it must not hold the daemon up.
    stuck = await relays.start()
    stuck.hold()
    flooder = FakeExtension(stuck.reader, stuck.writer)
    relays.fakes.append(flooder)
    writing = asyncio.create_task(
        flooder.send_raw(
            b"".join(
                framing.encode(b'{"v":1,"id":"s%d","reply_to":null,"kind":"stuck","body":{}}' % i)
                for i in range(20_000)
            )
        )
    )
    await wait_rejected(wb, "unknown_kind")

    out = await cli(wb, "daemon", "stop")
    assert out.stdout.strip() == "daemon stopped"
    # Once the command returns, the files are gone and the connected bridge has been let go.
    assert not wb.paths.socket.exists(), "daemon.sock left behind"
    assert not wb.paths.pid_file.exists(), "daemon.pid left behind"
    await linked.fake.wait_closed(timeout=DEADLINE)
    assert await relays.relay_of(linked.fake).wait() == 0
    wait_exited(pid)
    status = await cli(wb, "daemon", "status", check=False)
    assert status.returncode == 1 and "not running" in status.stdout
    again = await cli(wb, "daemon", "stop")
    assert again.stdout.strip() == "no daemon was running"
    writing.cancel()
