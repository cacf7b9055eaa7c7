"""The daemon's run surfaces (run_api, run_control) against a small run-manager double.

The daemon is real and in-process (its socket server, relay connections, sealed channel and control
protocol); a FakeExtension with a pairing talks to it over the real Unix socket, the CLI's client over a
second one. Only the run manager is a double (this tests one layer: the surfaces, not the loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from webbridge.cli.run import RunClient
from webbridge.daemon.keystore import Pairing
from webbridge.daemon.server import DaemonState, Server
from webbridge.errors import (
    ArtifactUnavailable,
    BridgeNotFound,
    InvalidMessage,
    RemoteError,
    RunNotFound,
    RunsUnavailable,
)
from webbridge.protocol import run_kinds as rk
from webbridge.protocol.channel import Handler
from webbridge.protocol.fields import Message
from webbridge.testing import FakeExtension

from ._api_support import RunsDouble
from ._control_daemon import home_settings, open_extension, paired_state

DEADLINE = 10.0
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


class Daemon:
    def __init__(self, state: DaemonState, pairing: Pairing) -> None:
        self.state = state
        self.pairing = pairing
        self.fakes: list[FakeExtension] = []

    @property
    def runs(self) -> RunsDouble:
        runs: object = self.state.runs
        assert isinstance(runs, RunsDouble)
        return runs

    async def extension(self, received: asyncio.Queue[dict[str, Any]] | None = None) -> FakeExtension:
        """A paired fake extension with an open session; ``run.event`` bodies land in ``received``."""
        handlers: dict[str, Handler] = {}
        if received is not None:

            async def on_event(msg: Message) -> None:
                assert isinstance(msg, rk.RunEventMsg)
                received.put_nowait(msg.event)

            handlers["run.event"] = on_event
        fake = await open_extension(self.state, self.pairing, handlers)
        self.fakes.append(fake)
        return fake

    def client(self) -> RunClient:
        return RunClient.connect(self.state.settings.paths)


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    state, pairing = paired_state(home_settings(tmp_path))
    state.runs = RunsDouble()  # type: ignore[assignment]
    server = Server(state)
    await server.start()
    d = Daemon(state, pairing)
    try:
        yield d
    finally:
        for fake in d.fakes:
            await fake.aclose()
        await server.aclose()


async def _take(queue: asyncio.Queue[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    async with asyncio.timeout(DEADLINE):
        return [await queue.get() for _ in range(n)]


def _remote_code(exc: pytest.ExceptionInfo[RemoteError]) -> int:
    return exc.value.remote_code


# --- the bridge side (side panel, context menu) -------------------------------------------------------------


async def test_run_start_runs_on_the_asking_bridge_with_the_attached_context(daemon: Daemon) -> None:
    fake = await daemon.extension()
    bridge_id = daemon.state.bridges.list()[0].bridge_id
    reply = await fake.request("run.start", {
        "task": "summarise this", "source": "context_menu", "tab_id": 12,
        "context": {"what": "selection", "page_url": "https://a.test/", "selection": "the text"},
    })  # fmt: skip
    assert isinstance(reply, rk.RunStarted) and reply.run_id == "r-1"
    [req] = daemon.runs.requests
    assert req.bridge_id == bridge_id and req.source == "context_menu" and req.tab_id == 12
    assert req.context == {"what": "selection", "page_url": "https://a.test/", "selection": "the text"}


async def test_watch_replays_after_seq_then_streams_live_until_finished(daemon: Daemon) -> None:
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    fake = await daemon.extension(received)
    run_id = (await fake.request("run.start", {"task": "t", "source": "sidepanel"})).run_id  # type: ignore[attr-defined]
    await daemon.runs.tool(run_id, 1)
    # A side panel that already saw seq 1 (run.started) asks for the rest.
    await fake.request("run.watch", {"run_id": run_id, "after_seq": 1})
    replayed = await _take(received, 2)
    assert [(e["seq"], e["type"]) for e in replayed] == [(2, "tool.started"), (3, "tool.finished")]
    await daemon.runs.tool(run_id, 2)
    await daemon.runs.finish(run_id)
    live = await _take(received, 3)
    assert [(e["seq"], e["type"]) for e in live] == [(4, "tool.started"), (5, "tool.finished"),
                                                     (6, "run.finished")]  # fmt: skip
    assert live[-1]["message"] == "It is 42."
    # The subscription ended with the run: its iterator is closed and no watch remains.
    await daemon.runs.wait_iterators(0)


async def test_stop_cancels_the_run_and_the_watcher_sees_it(daemon: Daemon) -> None:
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    fake = await daemon.extension(received)
    run_id = (await fake.request("run.start", {"task": "t", "source": "sidepanel"})).run_id  # type: ignore[attr-defined]
    await fake.request("run.watch", {"run_id": run_id, "after_seq": 0})
    assert (await _take(received, 1))[0]["type"] == "run.started"
    stopped = await fake.request("run.stop", {"run_id": run_id})
    assert isinstance(stopped, rk.RunStopped) and stopped.stopped
    [finished] = await _take(received, 1)
    assert finished["type"] == "run.finished" and finished["outcome"] == "cancelled"
    again = await fake.request("run.stop", {"run_id": run_id})
    assert isinstance(again, rk.RunStopped) and not again.stopped


async def test_watch_all_sees_runs_started_elsewhere(daemon: Daemon) -> None:
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    fake = await daemon.extension(received)
    await fake.request("run.watch", {"run_id": None, "after_seq": 0})
    other = await daemon.extension()
    run_id = (await other.request("run.start", {"task": "elsewhere", "source": "sidepanel"})).run_id  # type: ignore[attr-defined]
    [started] = await _take(received, 1)
    assert started["run_id"] == run_id and started["task"] == "elsewhere"
    unwatched = await fake.request("run.unwatch", {"run_id": None})
    assert isinstance(unwatched, rk.RunUnwatched) and unwatched.stopped


async def test_unknown_runs_are_refused_with_their_code(daemon: Daemon) -> None:
    fake = await daemon.extension()
    for kind, body in (("run.watch", {"run_id": "r-404"}), ("run.get", {"run_id": "r-404"}),
                       ("run.stop", {"run_id": "r-404"})):  # fmt: skip
        with pytest.raises(RemoteError) as info:
            await fake.request(kind, body)
        assert _remote_code(info) == RunNotFound.code
    assert daemon.runs.open_iterators == 0


async def test_list_and_get_page_through_events(daemon: Daemon) -> None:
    fake = await daemon.extension()
    run_id = (await fake.request("run.start", {"task": "t", "source": "sidepanel"})).run_id  # type: ignore[attr-defined]
    for step in range(1, 4):
        await daemon.runs.tool(run_id, step)
    await daemon.runs.finish(run_id)
    listed = await fake.request("runs.list", {"limit": 5})
    assert isinstance(listed, rk.RunsListResult)
    assert [(r.run_id, r.status, r.message) for r in listed.runs] == [(run_id, "done", "It is 42.")]
    detail = await fake.request("run.get", {"run_id": run_id, "after_seq": 5})
    assert isinstance(detail, rk.RunDetail) and not detail.more
    assert [e["seq"] for e in detail.events] == [6, 7, 8]


async def test_artifacts_are_served_only_when_the_run_wrote_them(daemon: Daemon, tmp_path: Path) -> None:
    shot, page, secret = tmp_path / "shot.png", tmp_path / "page.html", tmp_path / "secret.png"
    shot.write_bytes(PNG)
    page.write_bytes(b"<html>")
    secret.write_bytes(PNG)
    fake = await daemon.extension()
    run_id = (await fake.request("run.start", {"task": "t", "source": "sidepanel"})).run_id  # type: ignore[attr-defined]
    await daemon.runs.tool(run_id, 1, artifacts=(str(shot), str(page)))
    reply = await fake.request("run.artifact", {"run_id": run_id, "path": str(shot)})
    assert isinstance(reply, rk.RunArtifactResult) and reply.mime == "image/png"
    import base64

    assert base64.b64decode(reply.data) == PNG
    for path in (secret, page, tmp_path / "../x.png"):
        with pytest.raises(RemoteError) as info:
            await fake.request("run.artifact", {"run_id": run_id, "path": str(path)})
        assert _remote_code(info) == ArtifactUnavailable.code
    shot.unlink()
    with pytest.raises(RemoteError) as info:
        await fake.request("run.artifact", {"run_id": run_id, "path": str(shot)})
    assert _remote_code(info) == ArtifactUnavailable.code


async def test_closing_the_connection_ends_its_watches(daemon: Daemon) -> None:
    fake = await daemon.extension(asyncio.Queue())
    run_id = (await fake.request("run.start", {"task": "t", "source": "sidepanel"})).run_id  # type: ignore[attr-defined]
    await fake.request("run.watch", {"run_id": run_id, "after_seq": 0})
    await fake.request("run.watch", {"run_id": None})
    assert daemon.runs.open_iterators == 2
    await fake.aclose()
    await daemon.runs.wait_iterators(0)


async def test_watches_per_connection_are_bounded(daemon: Daemon) -> None:
    fake = await daemon.extension(asyncio.Queue())
    ids = [(await fake.request("run.start", {"task": f"t{i}", "source": "sidepanel"})).run_id  # type: ignore[attr-defined]
           for i in range(17)]  # fmt: skip
    for run_id in ids[:16]:
        await fake.request("run.watch", {"run_id": run_id})
    with pytest.raises(RemoteError) as info:
        await fake.request("run.watch", {"run_id": ids[16]})
    assert info.value.remote_name == "too_many_watches"
    assert daemon.runs.open_iterators == 16
    # Watching the same run again replaces its subscription rather than adding one.
    await fake.request("run.watch", {"run_id": ids[0], "after_seq": 1})
    assert daemon.runs.open_iterators == 16


async def test_a_daemon_without_a_run_manager_says_so(daemon: Daemon) -> None:
    daemon.state.runs = None  # type: ignore[assignment]
    fake = await daemon.extension()
    with pytest.raises(RemoteError) as info:
        await fake.request("runs.list", {})
    assert _remote_code(info) == RunsUnavailable.code


# --- the control side (the CLI) ------------------------------------------------------------------------


def _call(daemon: Daemon, op: str, **args: Any) -> Any:
    with daemon.client() as client:
        return client.call(op, deadline=DEADLINE, **args)


async def test_cli_start_resolves_the_bridge_by_label_and_marks_the_source(daemon: Daemon) -> None:
    await daemon.extension()
    bridge = daemon.state.bridges.list()[0]
    result = await asyncio.to_thread(_call, daemon, "run.start", task="t", bridge=bridge.label, tab="current")
    [req] = daemon.runs.requests
    assert result == {"run_id": "r-1"}
    assert (req.bridge_id, req.source, req.tab) == (bridge.bridge_id, "cli", "current")
    with pytest.raises(BridgeNotFound):
        await asyncio.to_thread(_call, daemon, "run.start", task="t", bridge="nope")
    for bad in ({"task": ""}, {"task": "t", "max_steps": 0}, {"task": "t", "source": "sidepanel"},
                {"task": "t", "api_key": "sk"}):  # fmt: skip
        with pytest.raises(InvalidMessage):
            await asyncio.to_thread(_call, daemon, "run.start", **bad)
    assert len(daemon.runs.requests) == 1


async def test_cli_watch_streams_one_frame_per_event_then_replies(daemon: Daemon) -> None:
    run_id = (await asyncio.to_thread(_call, daemon, "run.start", task="t"))["run_id"]
    seen: list[dict[str, Any]] = []
    streamed = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_event(event: dict[str, Any]) -> None:
        seen.append(event)
        if event["type"] == "run.started":
            loop.call_soon_threadsafe(streamed.set)

    def watch() -> Any:
        with daemon.client() as client:
            return client.stream("run.watch", on_event, deadline=DEADLINE, run_id=run_id, after_seq=0)

    watching = asyncio.create_task(asyncio.to_thread(watch))
    async with asyncio.timeout(DEADLINE):
        await streamed.wait()  # the replayed event arrived before any live one exists
    await daemon.runs.tool(run_id, 1)
    await daemon.runs.finish(run_id, "budget_exhausted", "the step budget (1) ran out")
    result = await watching
    assert result == {"run_id": run_id, "last_seq": 4, "outcome": "budget_exhausted"}
    assert [e["type"] for e in seen] == ["run.started", "tool.started", "tool.finished", "run.finished"]


async def test_cli_list_get_and_stop(daemon: Daemon) -> None:
    run_id = (await asyncio.to_thread(_call, daemon, "run.start", task="find the total"))["run_id"]
    assert (await asyncio.to_thread(_call, daemon, "run.stop", run_id=run_id))["stopped"] is True
    [listed] = await asyncio.to_thread(_call, daemon, "runs.list", limit=5)
    assert (listed["run_id"], listed["status"], listed["source"]) == (run_id, "cancelled", "cli")
    got = await asyncio.to_thread(_call, daemon, "run.get", run_id=run_id)
    assert [e["type"] for e in got["events"]] == ["run.started", "run.finished"] and not got["more"]
    with pytest.raises(RunNotFound):
        await asyncio.to_thread(_call, daemon, "run.get", run_id="r-404")
    with pytest.raises(InvalidMessage):
        await asyncio.to_thread(_call, daemon, "runs.list", limit=0)


async def test_a_cli_that_goes_away_ends_its_watch(daemon: Daemon) -> None:
    run_id = (await asyncio.to_thread(_call, daemon, "run.start", task="t"))["run_id"]
    started = asyncio.Event()
    loop = asyncio.get_running_loop()

    def watch_then_vanish() -> None:
        client = daemon.client()

        class Gone(Exception):
            pass

        def on_event(_event: dict[str, Any]) -> None:
            loop.call_soon_threadsafe(started.set)
            raise Gone

        try:
            client.stream("run.watch", on_event, deadline=DEADLINE, run_id=run_id)
        except Gone:
            client.close()

    await asyncio.to_thread(watch_then_vanish)
    assert started.is_set()
    # The pump notices at its next write and closes the run manager's iterator.
    await daemon.runs.tool(run_id, 1)
    await daemon.runs.wait_iterators(0)
