"""The run manager: starts, stops and watches runs; the one owner of every run's task.

Surfaces (side panel, context menu, CLI, scheduler, API) call :class:`RunManager` and nothing below it. A run
is persisted before its task starts, its events reach the store and the live watchers through one
synchronous sink, and its task is owned here: :meth:`RunManager.stop` cancels it (the run ends
``cancelled``), :meth:`RunManager.aclose` cancels all of them (they end ``interrupted``), and
:meth:`RunManager.recover` marks runs a crash left ``running`` as ``interrupted`` at the next start.
Watchers read a run's events through :mod:`~webbridge.agent.run_feed` (stored, then live).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from ..errors import (
    BridgeNotFound,
    ConfigError,
    RunError,
    RunInterrupted,
    TooManyRuns,
    WebBridgeError,
)
from ..policy.run_info import RUN_INFO, RunInfo
from ..tools import browser, tab_scope
from ..tools.registry import BridgeHandle, ToolContext, ToolHook
from .chat import ChatMessage, Model, Usage
from .emitter import Emitter
from .events import RunDetail, RunEvent, RunFinished, RunRequest, RunStarted, RunSummary
from .loop import AgentLoop, LoopConfig, StopOutcome, ToolRunner
from .prompts import context_message, system_prompt, task_message
from .run_feed import EventSource, RunFeed
from .watchers import QUEUE_SIZE, WatcherHub

log = logging.getLogger("webbridge.agent.runs")

ModelFactory = Callable[[str | None], Model]
#: ``factory(name, params)``: the replay model of the saved workflow ``name`` (``model = "workflow:NAME"``).
WorkflowFactory = Callable[[str, Mapping[str, str]], Model]
WORKFLOW_PREFIX = "workflow:"

#: How long ``start`` waits for the browser to name its current tab (``tab="current"``).
CURRENT_TAB_TIMEOUT = 5.0


class BridgeLookup(Protocol):
    """How the manager finds a bridge (``webbridge.daemon.bridges.BridgeRegistry`` is one)."""

    def find(self, name: str | None) -> Any: ...


class RunStoreLike(EventSource, Protocol):
    """What the manager needs of ``webbridge.store.runs.RunStore`` (its feed reads the rest)."""

    async def create(
        self,
        run_id: str,
        req: RunRequest,
        *,
        model: str,
        bridge_id: str | None,
        tab_id: int | None,
        created: int,
    ) -> None: ...
    def append_event(self, event: RunEvent) -> None: ...
    def append_message(self, run_id: str, message: ChatMessage) -> None: ...
    async def flush(self) -> None: ...
    async def mark_interrupted(self, now: int) -> list[str]: ...
    async def transcript(self, run_id: str) -> list[ChatMessage]: ...
    async def list_runs(self, limit: int = 50) -> list[RunSummary]: ...


@dataclass
class _Active:
    run_id: str
    task: asyncio.Task[None] | None = None
    stop_outcome: StopOutcome = "cancelled"
    finished: RunFinished | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class RunManager:
    """Owns the runs of one daemon. Methods are called from the event loop only."""

    def __init__(
        self,
        *,
        store: RunStoreLike,
        model_factory: ModelFactory,
        registry: ToolRunner,
        bridges: BridgeLookup,
        workspace_root: Path,
        config: LoopConfig | None = None,
        hooks: Sequence[ToolHook] = (),
        plan_mode: Callable[[], bool] = lambda: False,
        workflow_factory: WorkflowFactory | None = None,
        max_runs: int = 16,
        watcher_queue: int = QUEUE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.model_factory = model_factory
        self.registry = registry
        self.bridges = bridges
        self.workspace_root = workspace_root
        self.config = config or LoopConfig()
        self.hooks = tuple(hooks)
        #: Whether the policy asks for a plan first (read as each run starts: its system prompt says so).
        self.plan_mode = plan_mode
        self.workflow_factory = workflow_factory
        self.max_runs = max_runs
        self._clock = clock
        self._hub = WatcherHub(watcher_queue)
        self._feed = RunFeed(store, self._hub)
        self._active: dict[str, _Active] = {}
        self._closed = False

    async def recover(self) -> list[str]:
        """At daemon start: runs left ``running`` by a crash end ``interrupted`` (with a stored
        ``RunFinished``); returns their ids."""
        ids = await self.store.mark_interrupted(int(self._clock() * 1000))
        if ids:
            log.warning("%d run(s) were interrupted by the last daemon stop: %s", len(ids), ", ".join(ids))
        return ids

    # --- start and stop -----------------------------------------------------------------------------------

    async def start(self, req: RunRequest) -> str:
        """Validate ``req``, persist the run, start its task; returns the run id.

        Raises :class:`TooManyRuns`, :class:`~webbridge.errors.BridgeNotFound` (``bridge_id`` names no
        connected bridge), :class:`RunError` while shutting down, and whatever the model factory raises
        (``ConfigError``, ``ModelKeyMissing``); in every such case nothing is stored or started. Without a
        ``bridge_id`` the newest bridge is used, or none (browser tools then say no browser is connected).
        """
        if self._closed:
            raise RunError("the daemon is shutting down; no new runs")
        if len(self._active) >= self.max_runs:
            raise TooManyRuns(f"{self.max_runs} runs are going already; wait for one to end or stop one")
        bridge = self._bridge_for(req.bridge_id)
        bridge_id = getattr(bridge, "bridge_id", None)
        model = self._model_for(req)
        run_id = "r-" + secrets.token_hex(6)
        active = _Active(run_id)
        self._active[run_id] = active  # counted against max_runs from here, across the awaits below
        try:
            if req.tab_id is None and req.tab == "current" and bridge is not None:
                req = req.model_copy(update={"tab_id": await _current_tab(bridge)})
            await self.store.create(
                run_id,
                req,
                model=model.name,
                bridge_id=bridge_id,
                tab_id=req.tab_id,
                created=int(self._clock() * 1000),
            )
            if self._closed:  # aclose() ran while we awaited: end the stored run on record, start nothing
                stopped = RunInterrupted("The daemon stopped before the run began.")
                Emitter(run_id, self.store.append_event, clock=self._clock).emit(
                    RunFinished, outcome="interrupted", message=stopped.message, total_usage=Usage(), steps=0,
                    error_code=stopped.code,
                )  # fmt: skip
                await self.store.flush()
                raise RunError("the daemon is shutting down; no new runs")
        except BaseException:
            del self._active[run_id]
            active.done.set()
            await _close_model(model)
            raise
        emitter = Emitter(run_id, lambda ev: self._sink(active, ev), clock=self._clock)
        emitter.emit(
            RunStarted,
            task=req.task,
            model=model.name,
            bridge_id=bridge_id,
            tab_id=req.tab_id,
            source=req.source,
        )
        # Owned: kept in self._active until it ends, cancelled by stop()/aclose(), awaited there.
        active.task = asyncio.get_running_loop().create_task(
            self._execute(active, req, model, bridge, emitter), name=f"run-{run_id}"
        )
        # A task cancelled before its first step never runs its body (no finally, no RunFinished): wait
        # until it is inside its try block, so stop() right after start() still ends the run on record.
        await active.started.wait()
        return run_id

    async def stop(self, run_id: str) -> bool:
        """Cancel the run at once and wait until it has ended ``cancelled``. True if it was running; False
        for a run that has ended (idempotent). Raises :class:`RunNotFound` for an unknown id."""
        active = self._active.get(run_id)
        if active is None:
            await self.store.summary(run_id)  # RunNotFound for an unknown id
            return False
        if active.finished is None and active.task is not None:
            active.stop_outcome = "cancelled"
            active.task.cancel()
        await active.done.wait()
        return True

    async def wait(self, run_id: str) -> RunSummary:
        """Wait until the run has ended and return its summary. Raises :class:`RunNotFound`."""
        active = self._active.get(run_id)
        if active is not None:
            await active.done.wait()
        return await self.store.summary(run_id)

    def running(self) -> list[str]:
        return list(self._active)

    # --- watching -----------------------------------------------------------------------------------------

    def events(self, run_id: str, after_seq: int = 0) -> AsyncIterator[RunEvent]:
        """The run's stored events after ``after_seq``, then its live ones, ending after ``RunFinished``
        (see :meth:`RunFeed.events`).

        Raises :class:`RunNotFound` (on first iteration) for an unknown run. A watcher that falls behind
        resumes from the store, so it misses nothing and never slows the run. Closing the iterator (or
        cancelling its reader) unsubscribes.
        """
        return self._feed.events(run_id, after_seq)

    def watch_all(self) -> AsyncIterator[RunEvent]:
        """Live events of every run (nothing stored), until the manager closes (see
        :meth:`RunFeed.watch_all`).

        Raises :class:`EventsLagged` when this watcher fell more than its queue behind; the caller then
        reads what it missed per run with :meth:`events` (``after_seq``) and watches again.
        """
        return self._feed.watch_all()

    async def list_runs(self, limit: int = 50) -> list[RunSummary]:
        """The newest ``limit`` runs, newest first."""
        return await self.store.list_runs(limit)

    async def transcript(self, run_id: str) -> list[ChatMessage]:
        """Every message of the run, before any compaction. Raises :class:`RunNotFound`."""
        await self.store.summary(run_id)
        return await self.store.transcript(run_id)

    async def get(self, run_id: str) -> RunDetail:
        """The run's summary and every event so far. Raises :class:`RunNotFound`."""
        summary = await self.store.summary(run_id)
        events: list[RunEvent] = []
        events.extend(await self._feed.stored_since(run_id, 0))
        return RunDetail(summary=summary, events=events)

    async def aclose(self) -> None:
        """Cancel every run (each ends ``interrupted``), wait for them, flush the store, end the watchers.
        Idempotent."""
        self._closed = True
        actives = list(self._active.values())
        for active in actives:
            if active.finished is None and active.task is not None:
                active.stop_outcome = "interrupted"
                active.task.cancel()
        for active in actives:
            await active.done.wait()
        with contextlib.suppress(WebBridgeError):
            await self.store.flush()
        self._hub.close()

    # --- internals ----------------------------------------------------------------------------------------

    def _model_for(self, req: RunRequest) -> Model:
        """The run's planner: a saved workflow's replay for ``workflow:NAME``, else a model. Raises what the
        factories raise (``ConfigError``, ``WorkflowInvalid``, ``ModelKeyMissing``)."""
        if req.model is not None and req.model.startswith(WORKFLOW_PREFIX):
            if self.workflow_factory is None:
                raise ConfigError("this daemon runs no saved workflows")
            return self.workflow_factory(req.model.removeprefix(WORKFLOW_PREFIX), req.params)
        return self.model_factory(req.model)

    def _bridge_for(self, name: str | None) -> BridgeHandle | None:
        if name is not None:
            bridge: BridgeHandle = self.bridges.find(name)  # BridgeNotFound names the connected ones
            return bridge
        try:
            found: BridgeHandle = self.bridges.find(None)
        except BridgeNotFound:
            return None
        return found

    def _sink(self, active: _Active, event: RunEvent) -> None:
        self.store.append_event(event)
        self._hub.publish(event)
        if isinstance(event, RunFinished):
            active.finished = event

    async def _execute(
        self, active: _Active, req: RunRequest, model: Model, bridge: BridgeHandle | None, emitter: Emitter
    ) -> None:
        run_id = active.run_id
        cancelled = False
        # The tabs this run may use and those it controls (tools/tab_scope.py).
        scope = tab_scope.TabScope.for_task(req.task, req.tab_id, current=req.tab == "current")
        try:
            active.started.set()
            self.workspace_root.mkdir(parents=True, exist_ok=True)
            ctx = ToolContext(
                run_id=run_id,
                bridge=bridge,
                tab_id=req.tab_id,
                workspace=self.workspace_root,
                hooks=self.hooks,
                state={
                    RUN_INFO: RunInfo(source=req.source, task=req.task, task_id=run_id, emit=emitter.emit),
                    tab_scope.TAB_SCOPE: scope,
                },
            )
            opening = [system_prompt(plan_mode=self.plan_mode()),
                       task_message(req.task, tab_id=req.tab_id, tab=req.tab)]
            attached = context_message(req.context)
            if attached is not None:
                opening.append(attached)
            config = self.config
            if req.max_steps is not None:
                config = _with_max_steps(config, req.max_steps)
            loop = AgentLoop(
                model=model,
                tools=self.registry,
                ctx=ctx,
                emitter=emitter,
                config=config,
                on_message=lambda m: self.store.append_message(run_id, m),
                stop_outcome=lambda: active.stop_outcome,
            )
            await loop.run(opening)
        except asyncio.CancelledError:
            cancelled = True  # the loop has recorded how the run ended; this task is over either way
        except Exception:
            log.exception("run %s crashed outside the loop", run_id)
        finally:
            if active.finished is None:
                # Cancelled before the loop began, or a bug above: the run must still end on record.
                emitter.emit(
                    RunFinished,
                    outcome=active.stop_outcome if cancelled else "failed",
                    message="The run ended before its first step.",
                    total_usage=Usage(),
                    steps=0,
                )
            try:
                # stop()/aclose() cancel only a run that has not finished, so nothing cancels this cleanup.
                await tab_scope.release(scope, bridge, run_id)  # the indicators go; the tab group stays
                await _close_model(model)
                with contextlib.suppress(WebBridgeError):
                    await self.store.flush()
            finally:
                del self._active[run_id]
                active.done.set()


async def _current_tab(bridge: BridgeHandle) -> int | None:
    """The id of the active tab (the first window's, when several have one); ``None`` when the browser does
    not say in time: the task message then tells the model to work in the current tab, and it looks."""
    try:
        async with asyncio.timeout(CURRENT_TAB_TIMEOUT):
            tabs = await browser.tabs_list(bridge)
    except (WebBridgeError, TimeoutError) as exc:
        log.info("could not ask the browser for its current tab: %s", exc or "no answer")
        return None
    return next((t.id for t in tabs if t.active), None)


def _with_max_steps(config: LoopConfig, max_steps: int) -> LoopConfig:
    return replace(config, budget=replace(config.budget, max_steps=max_steps))


async def _close_model(model: Model) -> None:
    close = getattr(model, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception:
            log.warning("closing the model client failed", exc_info=True)


__all__ = ["BridgeLookup", "ModelFactory", "RunManager", "RunStoreLike", "WorkflowFactory"]
