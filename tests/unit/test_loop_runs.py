"""The run manager end to end inside one process: the real OpenAI/Anthropic adapters against the scripted
model server on 127.0.0.1, a real SQLite run store, real tools in a real registry, the real (empty) bridge
registry. Start, watch (replay + live, slow watchers), stop at every stage, shutdown, crash recovery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from webbridge import errors
from webbridge.agent.budget import Budget
from webbridge.agent.chat import Model
from webbridge.agent.events import RunEvent, RunFinished, RunRequest
from webbridge.agent.loop import LoopConfig
from webbridge.agent.models import create_model
from webbridge.agent.runs import RunManager
from webbridge.daemon.bridges import Bridge, BridgeRegistry
from webbridge.policy.actions import ActionClass
from webbridge.protocol.browser_kinds import TabsListResult
from webbridge.protocol.fields import Tab
from webbridge.store.db import Database
from webbridge.store.runs import MIGRATIONS, RunStore
from webbridge.testing.model_script import Reply, ScriptToolCall, Step
from webbridge.testing.model_server import ScriptedModelServer
from webbridge.tools.registry import tool

from ._loop_support import make_tools

KEY = "sk-test-key"


@tool(action=ActionClass.NONE)
async def block(label: str) -> str:
    """Waits until cancelled (a tool call in flight)."""
    BLOCKING.set()
    await asyncio.Event().wait()
    return "never"


BLOCKING = asyncio.Event()


def tc(name: str, args: dict[str, Any] | str, id: str) -> ScriptToolCall:
    return ScriptToolCall(name=name, arguments=args, id=id)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[RunStore]:
    s = await RunStore.open(tmp_path / "runs.db")
    yield s
    await s.aclose()


def manager(
    store: RunStore,
    tmp_path: Path,
    server: ScriptedModelServer,
    *,
    preset: str = "openai",
    model_timeout: float = 30,
    **kw: Any,
) -> RunManager:
    def factory(name: str | None) -> Model:
        url = server.anthropic_url if preset == "anthropic" else server.openai_url
        return create_model(
            preset,
            model=name or "test-model",
            base_url=url,
            api_key=KEY,
            max_retries=0,
            timeout=model_timeout,
        )

    return RunManager(
        store=store,
        model_factory=factory,
        registry=make_tools(block),
        bridges=kw.pop("bridges", None) or BridgeRegistry(4),
        workspace_root=tmp_path / "ws",
        **kw,
    )


async def collect(it: AsyncIterator[RunEvent]) -> list[RunEvent]:
    return [e async for e in it]


@pytest.mark.parametrize("preset", ["openai", "anthropic"])
async def test_a_run_completes_against_the_scripted_server(
    store: RunStore, tmp_path: Path, preset: str
) -> None:
    script = [
        Step(
            reply=Reply(
                text="Two at once.",
                tool_calls=[
                    tc("add", {"a": 2, "b": 3}, "c1"),
                    tc("read_page", {"url": "https://x.test"}, "c2"),
                ],
            )
        ),
        Step(reply=Reply(tool_calls=[tc("add", '{"a": 1,', "c3")])),  # malformed arguments
        Step(reply=Reply(text="The sum is 5.")),
    ]
    async with ScriptedModelServer(script, api_key=KEY) as server:
        runs = manager(store, tmp_path, server, preset=preset)
        run_id = await runs.start(RunRequest(task="Add 2 and 3, then read x.test.", source="cli"))
        events = await collect(runs.events(run_id))
        await runs.aclose()
        server.assert_done()

    end = events[-1]
    assert isinstance(end, RunFinished) and (end.outcome, end.message, end.steps) == (
        "done",
        "The sum is 5.",
        3,
    )
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].type == "run.started" and events[0].model.endswith("test-model")
    finished = {e.call_id: e for e in events if e.type == "tool.finished"}
    assert finished["c1"].ok and finished["c1"].summary == "5"
    assert finished["c2"].ok and not finished["c3"].ok and finished["c3"].error_code == 7102
    # what the provider received: tool results answering their calls, the page marked untrusted
    second = server.requests[1].messages
    results = [m for m in second if m.role == "tool"]
    assert [m.tool_call_id for m in results] == ["c1", "c2"] and results[0].text == "5"
    assert "untrusted-data" in results[1].text
    bad = server.requests[2].messages[-1]
    assert bad.tool_call_id == "c3" and "bad_tool_arguments" in bad.text
    assert bad.is_error == (preset == "anthropic")  # only Anthropic's wire has an error flag
    summary = await store.summary(run_id)
    assert summary.status == "done" and summary.usage.input_tokens > 0 and summary.steps == 3
    detail = await runs.get(run_id)
    assert detail.events == events and detail.final_message == "The sum is 5."
    transcript = await store.transcript(run_id)
    assert [m.role for m in transcript][:2] == ["system", "user"] and transcript[
        -1
    ].content == "The sum is 5."
    assert (await runs.list_runs())[0].run_id == run_id


async def test_stop_during_the_model_call_closes_the_request(store: RunStore, tmp_path: Path) -> None:
    asked = asyncio.Event()

    def hang(_req: object) -> Reply:
        asked.set()
        return Reply(hang=True)

    async with ScriptedModelServer([], handler=hang, api_key=KEY) as server:
        runs = manager(store, tmp_path, server)
        run_id = await runs.start(RunRequest(task="wait"))
        watcher = runs.events(run_id)
        assert (await anext(watcher)).type == "run.started"
        await asked.wait()  # the model call is in flight
        assert await runs.stop(run_id) is True
        await server.wait_disconnected(0)
        rest = await collect(watcher)
        assert await runs.stop(run_id) is False  # idempotent
        await runs.aclose()

    end = rest[-1]
    assert isinstance(end, RunFinished) and end.outcome == "cancelled" and end.error_code == 7056
    assert (await store.summary(run_id)).status == "cancelled"


async def test_stop_during_a_tool_call(store: RunStore, tmp_path: Path) -> None:
    BLOCKING.clear()
    script = [Step(reply=Reply(tool_calls=[tc("block", {"label": "x"}, "b1")]))]
    async with ScriptedModelServer(script, api_key=KEY) as server:
        runs = manager(store, tmp_path, server)
        run_id = await runs.start(RunRequest(task="block"))
        await BLOCKING.wait()
        assert await runs.stop(run_id)
        events = await collect(runs.events(run_id))
        await runs.aclose()
        server.assert_done()

    types = [e.type for e in events]
    assert types[-3:] == ["tool.started", "tool.finished", "run.finished"]
    assert events[-2].ok is False and events[-2].summary == "cancelled"
    assert events[-1].outcome == "cancelled"
    transcript = await store.transcript(run_id)
    assert transcript[-1].role == "tool" and transcript[-1].tool_call_id == "b1"


async def test_stop_right_after_start_still_ends_on_record(store: RunStore, tmp_path: Path) -> None:
    async with ScriptedModelServer([], handler=lambda req: Reply(hang=True), api_key=KEY) as server:
        runs = manager(store, tmp_path, server)
        run_id = await runs.start(RunRequest(task="x"))
        assert await runs.stop(run_id)
        await runs.aclose()
    events = await collect(runs.events(run_id))
    assert events[0].type == "run.started" and events[-1].outcome == "cancelled"


async def test_unknown_runs_are_typed_errors(store: RunStore, tmp_path: Path) -> None:
    async with ScriptedModelServer([], api_key=KEY) as server:
        runs = manager(store, tmp_path, server)
        with pytest.raises(errors.RunNotFound):
            await runs.stop("r-missing")
        with pytest.raises(errors.RunNotFound):
            await collect(runs.events("r-missing"))
        with pytest.raises(errors.RunNotFound):
            await runs.get("r-missing")
        await runs.aclose()


async def test_a_slow_watcher_never_holds_the_run_and_misses_nothing(store: RunStore, tmp_path: Path) -> None:
    steps = [
        Step(reply=Reply(text=f"step {i}", tool_calls=[tc("add", {"a": i, "b": 1}, f"c{i}")]))
        for i in range(12)
    ]
    async with ScriptedModelServer([*steps, Step(reply=Reply(text="done"))], api_key=KEY) as server:
        runs = manager(store, tmp_path, server, watcher_queue=4)
        run_id = await runs.start(RunRequest(task="count"))
        slow = runs.events(run_id)
        first = await anext(slow)  # subscribed; now it reads nothing while the run goes on
        everyone = runs.watch_all()
        all_task = asyncio.ensure_future(anext(everyone))
        summary = await runs.wait(run_id)  # the run ends although nobody reads
        rest = await collect(slow)
        assert (await all_task).run_id == run_id
        with pytest.raises(errors.EventsLagged):
            await collect(everyone)
        await runs.aclose()
        server.assert_done()

    assert summary.status == "done"
    got = [first, *rest]
    assert [e.seq for e in got] == list(range(1, len(got) + 1))
    assert got[-1].type == "run.finished" and len(got) > 40


async def test_replay_after_a_seq(store: RunStore, tmp_path: Path) -> None:
    async with ScriptedModelServer([Step(reply=Reply(text="hello"))], api_key=KEY) as server:
        runs = manager(store, tmp_path, server)
        run_id = await runs.start(RunRequest(task="say hello"))
        full = await collect(runs.events(run_id))
        tail = await collect(runs.events(run_id, after_seq=2))
        await runs.aclose()
    assert tail == full[2:] and tail[-1].type == "run.finished"


async def test_provider_errors_and_timeouts_fail_the_run(store: RunStore, tmp_path: Path) -> None:
    script = [Step(reply=Reply(status=401, error_message="bad key")), Step(reply=Reply(hang=True))]
    async with ScriptedModelServer(script, api_key=KEY) as server:
        runs = manager(store, tmp_path, server, model_timeout=0.3)
        auth = await runs.wait(await runs.start(RunRequest(task="a")))
        slow = await runs.wait(await runs.start(RunRequest(task="b")))
        await runs.aclose()
        server.assert_done()
    assert (auth.status, auth.error_code) == ("failed", errors.ModelAuthError.code)
    assert "OPENAI_API_KEY" in (auth.message or "")
    assert (slow.status, slow.error_code) == ("failed", errors.ModelTimeout.code)


async def test_budget_from_the_request(store: RunStore, tmp_path: Path) -> None:
    async with ScriptedModelServer(
        [],
        handler=lambda req: Reply(
            tool_calls=[ScriptToolCall(name="add", arguments={"a": req.index, "b": 0})]
        ),
        api_key=KEY,
    ) as server:
        runs = manager(store, tmp_path, server, config=LoopConfig(budget=Budget(max_steps=50)))
        summary = await runs.wait(await runs.start(RunRequest(task="count", max_steps=3)))
        await runs.aclose()
    assert (summary.status, summary.steps, summary.error_code) == ("budget_exhausted", 3, 7053)


async def test_start_refuses_without_storing_anything(store: RunStore, tmp_path: Path) -> None:
    async with ScriptedModelServer([], handler=lambda req: Reply(hang=True), api_key=KEY) as server:
        runs = manager(store, tmp_path, server, max_runs=1)
        with pytest.raises(errors.BridgeNotFound):
            await runs.start(RunRequest(task="x", bridge_id="b-nope"))
        broken = RunManager(
            store=store,
            model_factory=_raises(errors.ConfigError("unknown model preset 'nope'")),
            registry=make_tools(),
            bridges=BridgeRegistry(1),
            workspace_root=tmp_path,
        )
        with pytest.raises(errors.ConfigError):
            await broken.start(RunRequest(task="x"))
        assert await runs.list_runs() == []
        first = await runs.start(RunRequest(task="one"))
        with pytest.raises(errors.TooManyRuns):
            await runs.start(RunRequest(task="two"))
        assert [r.run_id for r in await runs.list_runs()] == [first]
        await runs.aclose()
        with pytest.raises(errors.RunError, match="shutting down"):
            await runs.start(RunRequest(task="three"))
    assert (await store.summary(first)).status == "interrupted"


async def test_shutdown_interrupts_running_runs_and_ends_watchers(store: RunStore, tmp_path: Path) -> None:
    async with ScriptedModelServer([], handler=lambda req: Reply(hang=True), api_key=KEY) as server:
        runs = manager(store, tmp_path, server)
        ids = [await runs.start(RunRequest(task=f"t{i}")) for i in range(3)]
        everyone = runs.watch_all()
        watching = asyncio.ensure_future(collect(everyone))
        await asyncio.sleep(0)  # one loop turn: the watcher subscribes (no event says so)
        await runs.aclose()
        await runs.aclose()  # idempotent
        seen = await watching
    for run_id in ids:
        summary = await store.summary(run_id)
        assert (summary.status, summary.error_code) == ("interrupted", 7057)
    assert sorted(e.run_id for e in seen if e.type == "run.finished") == sorted(ids)


async def test_recover_marks_what_a_crash_left_running(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    first = await RunStore.open(path)
    await first.create("r-old", RunRequest(task="t"), model="m", bridge_id=None, tab_id=None, created=1)
    first._writer.cancel()  # a crash: no orderly close, no RunFinished
    await asyncio.gather(first._writer, return_exceptions=True)
    await first._db.aclose()

    store = await RunStore.open(path)
    try:
        async with ScriptedModelServer([], api_key=KEY) as server:
            runs = manager(store, tmp_path, server)
            assert await runs.recover() == ["r-old"]
            events = await collect(runs.events("r-old"))
            await runs.aclose()
        assert [e.type for e in events] == ["run.finished"] and events[0].outcome == "interrupted"
    finally:
        await store.aclose()


def _raises(exc: Exception) -> Callable[[str | None], Model]:
    def factory(name: str | None) -> Model:
        raise exc

    return factory


class TabsChannel:
    """The one browser request ``tab="current"`` makes, answered from a list (or failing)."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.kinds: list[str] = []

    async def request(self, kind: str, body: Any = None, *, timeout: float | None = None) -> Any:
        self.kinds.append(kind)
        if isinstance(self.answer, BaseException):
            raise self.answer
        return TabsListResult(tabs=self.answer)


def _tab(id: int, active: bool) -> Tab:
    return Tab(id=id, window_id=1, url=f"https://t{id}.test/", title=f"t{id}", active=active)


@pytest.mark.parametrize(
    ("answer", "expected_tab", "expected_line"),
    [
        ([_tab(3, False), _tab(12, True)], 12, "(Work in the user's tab 12: it is your current tab.)"),
        (errors.ChannelClosed("gone"), None, "(Work in the user's current tab.)"),
    ],
)
async def test_the_current_tab_is_asked_of_the_browser(
    store: RunStore, tmp_path: Path, answer: Any, expected_tab: int | None, expected_line: str
) -> None:
    channel = TabsChannel(answer)
    bridges = BridgeRegistry(2)
    bridges.add(Bridge("b-1", "home", "chromium", "Default", "chrome-extension://x/", "p-1", "0.1", channel))  # type: ignore[arg-type]
    async with ScriptedModelServer([Step(reply=Reply(text="ok"))], api_key=KEY) as server:
        runs = manager(store, tmp_path, server, bridges=bridges)
        run_id = await runs.start(RunRequest(task="Summarise this", tab="current"))
        events = await collect(runs.events(run_id))
        await runs.aclose()
        server.assert_done()
    assert channel.kinds == ["tabs.list"]
    assert events[0].bridge_id == "b-1" and events[0].tab_id == expected_tab
    assert server.requests[0].messages[-1].text.endswith(expected_line)


async def test_shutdown_while_a_run_is_being_started(tmp_path: Path) -> None:
    class GatedStore(RunStore):
        """The real store; ``create`` pauses after writing so shutdown can come in between."""

        reached = asyncio.Event()
        gate = asyncio.Event()

        async def create(self, run_id: str, req: RunRequest, **kw: Any) -> None:
            await super().create(run_id, req, **kw)
            self.reached.set()
            await self.gate.wait()

    store = GatedStore(await Database.open(tmp_path / "runs.db", MIGRATIONS))
    try:
        async with ScriptedModelServer([], api_key=KEY) as server:
            runs = manager(store, tmp_path, server)
            starting = asyncio.ensure_future(runs.start(RunRequest(task="late")))
            await store.reached.wait()
            closing = asyncio.ensure_future(runs.aclose())
            await asyncio.sleep(0)  # let aclose() mark the manager closed before the gate opens
            store.gate.set()
            with pytest.raises(errors.RunError, match="shutting down"):
                await starting
            await closing
        [summary] = await store.list_runs()
        assert (summary.status, summary.error_code) == ("interrupted", 7057)
        events = await store.events_after(summary.run_id)
        assert [e.type for e in events] == ["run.finished"]
    finally:
        await store.aclose()
