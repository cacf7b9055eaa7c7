"""The local API served for real (ApiServer on 127.0.0.1, port 0) over a real DaemonState, with a small
run-manager double: these unit tests test the API layer, not the agent loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from webbridge import config
from webbridge.agent.chat import Usage
from webbridge.agent.events import (
    RunDetail,
    RunEvent,
    RunFinished,
    RunRequest,
    RunStarted,
    RunSummary,
    ToolFinished,
    ToolStarted,
)
from webbridge.api.server import ApiServer
from webbridge.config import Settings
from webbridge.daemon.keystore import KeyStore
from webbridge.daemon.server import DaemonState
from webbridge.errors import EventsLagged, RunNotFound, WebBridgeError

DEADLINE = 10.0


def now_ms() -> int:
    return int(time.time() * 1000)


class RunsDouble:
    """The RunManager contract in memory. ``fail_start`` makes ``start`` raise that error (nothing
    started); ``lag_all`` makes ``watch_all`` raise EventsLagged after its first event."""

    def __init__(self) -> None:
        self.requests: list[RunRequest] = []
        self.stops: list[str] = []
        self.log: dict[str, list[RunEvent]] = {}
        self.all: list[RunEvent] = []
        self.summaries: dict[str, RunSummary] = {}
        self.fail_start: WebBridgeError | None = None
        self.lag_all = False
        self.open_iterators = 0
        self._changed = asyncio.Condition()
        self.iterators_changed = asyncio.Condition()

    async def start(self, req: RunRequest) -> str:
        if self.fail_start is not None:
            raise self.fail_start
        run_id = f"r-{len(self.requests) + 1}"
        self.requests.append(req)
        self.log[run_id] = []
        self.summaries[run_id] = RunSummary(
            run_id=run_id,
            task=req.task,
            source=req.source,
            status="running",
            model="double",
            bridge_id=req.bridge_id,
            tab_id=req.tab_id,
            created=now_ms(),
        )
        started = RunStarted(run_id=run_id, seq=1, time=now_ms(), task=req.task, model="double",
                             source=req.source, bridge_id=req.bridge_id, tab_id=req.tab_id)  # fmt: skip
        await self.emit(started)
        return run_id

    async def emit(self, event: RunEvent) -> None:
        async with self._changed:
            self.log[event.run_id].append(event)
            self.all.append(event)
            if isinstance(event, RunFinished):
                self.summaries[event.run_id] = self.summaries[event.run_id].model_copy(
                    update={"status": event.outcome, "finished": event.time, "message": event.message,
                            "steps": event.steps}
                )
            self._changed.notify_all()

    def next_seq(self, run_id: str) -> int:
        return len(self.log[run_id]) + 1

    async def tool(self, run_id: str, step: int, artifacts: tuple[str, ...] = ()) -> None:
        """A ``page_snapshot`` step: its ``tool.started`` then its ``tool.finished`` (with ``artifacts``)."""
        common: dict[str, Any] = {"run_id": run_id, "time": now_ms(), "step": step, "call_id": f"c{step}",
                                  "tool": "page_snapshot"}  # fmt: skip
        await self.emit(ToolStarted(seq=self.next_seq(run_id), arguments={"mode": "default"}, **common))
        await self.emit(ToolFinished(seq=self.next_seq(run_id), ok=True, summary="3 refs", duration_ms=4.0,
                                     artifacts=artifacts, **common))  # fmt: skip

    async def finish(self, run_id: str, outcome: Any = "done", message: str = "It is 42.") -> None:
        await self.emit(
            RunFinished(
                run_id=run_id,
                seq=self.next_seq(run_id),
                time=now_ms(),
                outcome=outcome,
                message=message,
                total_usage=Usage(),
                steps=1,
            )
        )

    def finished(self, run_id: str) -> bool:
        return any(isinstance(e, RunFinished) for e in self.log[run_id])

    def _known(self, run_id: str) -> None:
        if run_id not in self.log:
            raise RunNotFound(f"no run {run_id}")

    async def stop(self, run_id: str) -> bool:
        self._known(run_id)
        self.stops.append(run_id)
        if self.finished(run_id):
            return False
        await self.finish(run_id, "cancelled", "stopped by the user")
        return True

    async def _follow(
        self, source: list[RunEvent], start: int, one_run: bool, lag: bool
    ) -> AsyncIterator[RunEvent]:
        async with self.iterators_changed:
            self.open_iterators += 1
            self.iterators_changed.notify_all()
        try:
            seen = start
            while True:
                async with self._changed:
                    await self._changed.wait_for(lambda n=seen: len(source) > n)  # type: ignore[misc]
                    batch = source[seen:]
                seen += len(batch)
                for event in batch:
                    yield event
                    if lag:
                        raise EventsLagged("this watcher fell behind")
                    if one_run and isinstance(event, RunFinished):
                        return
        finally:
            async with self.iterators_changed:
                self.open_iterators -= 1
                self.iterators_changed.notify_all()

    async def wait_iterators(self, count: int) -> None:
        async with asyncio.timeout(DEADLINE), self.iterators_changed:
            await self.iterators_changed.wait_for(lambda: self.open_iterators == count)

    def events(self, run_id: str, after_seq: int = 0) -> AsyncIterator[RunEvent]:
        self._known(run_id)
        if self.finished(run_id) and after_seq >= len(self.log[run_id]):
            return _empty()  # nothing more will come: as the run manager, end at once
        return self._follow(self.log[run_id], after_seq, True, False)

    def watch_all(self) -> AsyncIterator[RunEvent]:
        return self._follow(self.all, len(self.all), False, self.lag_all)

    async def list_runs(self, limit: int = 50) -> list[RunSummary]:
        return sorted(self.summaries.values(), key=lambda s: s.run_id, reverse=True)[:limit]

    async def get(self, run_id: str) -> RunDetail:
        self._known(run_id)
        return RunDetail(summary=self.summaries[run_id], events=list(self.log[run_id]))


async def _empty() -> AsyncIterator[RunEvent]:
    return
    yield  # pragma: no cover


def settings_in(tmp_path: Path, **env: str) -> Settings:
    settings = config.load({"WEBBRIDGE_HOME": str(tmp_path / "wb"), "HOME": str(tmp_path), **env})
    for folder in (settings.paths.config, settings.paths.data, settings.paths.state, settings.paths.runtime):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return settings


@dataclass
class Served:
    server: ApiServer
    state: DaemonState
    runs: RunsDouble | None
    token: str
    url: str
    port: int

    def auth(self, **more: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **more}

    def session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(self.url, timeout=aiohttp.ClientTimeout(total=DEADLINE))


async def serve(tmp_path: Path, *, with_runs: bool = True, max_body: int | None = None) -> Served:
    settings = settings_in(tmp_path)
    state = DaemonState(settings, KeyStore(settings.paths.keys))
    runs = RunsDouble() if with_runs else None
    if runs is not None:
        state.runs = runs  # type: ignore[assignment]
    server = ApiServer(state, settings) if max_body is None else ApiServer(state, settings, max_body=max_body)
    await server.start()
    assert server.ctx is not None and server.url is not None
    return Served(server, state, runs, server.ctx.token, server.url, server.ctx.port)


async def raw_request(port: int, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """Send ``head`` (request line and headers, CRLF-separated, without the blank line) and ``body`` as
    they are over a fresh connection; return the status and the whole response."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode("latin-1") + b"\r\n\r\n" + body)
        await writer.drain()
        async with asyncio.timeout(DEADLINE):
            data = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    status = int(data.split(b" ", 2)[1])
    return status, data
