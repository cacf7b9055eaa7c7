"""The run store on real SQLite files: runs, events and transcripts persist across a reopen; a run a crash
left `running` is marked interrupted with a stored RunFinished; bad files are refused with a typed error."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from webbridge import errors
from webbridge.agent.chat import ChatMessage, ToolCall, Usage
from webbridge.agent.emitter import Emitter
from webbridge.agent.events import (
    ModelText,
    RunFinished,
    RunRequest,
    RunStarted,
    StepFinished,
    ToolFinished,
    ToolStarted,
)
from webbridge.store.db import Database
from webbridge.store.runs import MIGRATIONS, RunStore


async def new_run(store: RunStore, run_id: str, task: str = "Find the price", created: int = 1000) -> Emitter:
    await store.create(
        run_id, RunRequest(task=task, source="cli"), model="m1", bridge_id="b-1", tab_id=7, created=created
    )
    em = Emitter(run_id, store.append_event)
    em.emit(RunStarted, task=task, model="m1", bridge_id="b-1", tab_id=7, source="cli")
    return em


async def test_events_and_transcript_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = await RunStore.open(path)
    em = await new_run(store, "r-1")
    store.append_message("r-1", ChatMessage(role="user", content="Find the price"))
    store.append_message(
        "r-1", ChatMessage(role="assistant", tool_calls=(ToolCall(id="c", name="snapshot"),))
    )
    store.append_message("r-1", ChatMessage(role="tool", content="page", tool_call_id="c", untrusted=True))
    em.emit(ToolStarted, step=1, call_id="c", tool="snapshot", arguments={})
    em.emit(ToolFinished, step=1, call_id="c", tool="snapshot", ok=True, summary="page", duration_ms=1.5)
    usage = Usage(input_tokens=10, output_tokens=2, cost_usd=0.01)
    em.emit(StepFinished, step=1, usage=usage, total_usage=usage)
    em.emit(ModelText, step=2, text="12 EUR", final=True)
    em.emit(RunFinished, outcome="done", message="12 EUR", total_usage=usage, steps=2)
    store.append_message("r-1", ChatMessage(role="assistant", content="late"))  # after the end: dropped
    await store.aclose()
    await store.aclose()  # idempotent

    again = await RunStore.open(path)
    try:
        events = await again.events_after("r-1")
        assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
        assert [e.type for e in events] == [
            "run.started",
            "tool.started",
            "tool.finished",
            "step.finished",
            "model.text",
            "run.finished",
        ]
        assert [e.seq for e in await again.events_after("r-1", 4)] == [5, 6]
        summary = await again.summary("r-1")
        assert (summary.status, summary.message, summary.steps, summary.usage) == ("done", "12 EUR", 2, usage)
        assert (summary.task, summary.source, summary.model, summary.bridge_id, summary.tab_id) == (
            "Find the price",
            "cli",
            "m1",
            "b-1",
            7,
        )
        assert summary.finished == events[-1].time
        transcript = await again.transcript("r-1")
        assert [m.role for m in transcript] == ["user", "assistant", "tool"]
        assert transcript[2].untrusted and transcript[1].tool_calls[0].name == "snapshot"
    finally:
        await again.aclose()


async def test_list_is_newest_first_and_limited(tmp_path: Path) -> None:
    store = await RunStore.open(tmp_path / "runs.db")
    try:
        for i in range(5):
            await new_run(store, f"r-{i}", task=f"task {i}", created=1000 + i)
        runs = await store.list_runs(limit=3)
        assert [r.run_id for r in runs] == ["r-4", "r-3", "r-2"]
        assert all(r.status == "running" and r.message is None for r in runs)
    finally:
        await store.aclose()


async def test_unknown_run_is_a_typed_error(tmp_path: Path) -> None:
    store = await RunStore.open(tmp_path / "runs.db")
    try:
        with pytest.raises(errors.RunNotFound):
            await store.summary("r-nope")
        assert await store.events_after("r-nope") == []
    finally:
        await store.aclose()


async def test_a_crash_leaves_runs_that_the_next_start_marks_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = await RunStore.open(path)
    em = await new_run(store, "r-crash")
    usage = Usage(input_tokens=50, output_tokens=5)
    em.emit(StepFinished, step=1, usage=usage, total_usage=usage)
    done = await new_run(store, "r-done", created=2000)
    done.emit(RunFinished, outcome="done", message="ok", total_usage=Usage(), steps=1)
    await store.flush()
    # a crash: the connection goes without the store's orderly close
    store._writer.cancel()
    await asyncio.gather(store._writer, return_exceptions=True)
    await store._db.aclose()

    again = await RunStore.open(path)
    try:
        assert await again.mark_interrupted(now=9999) == ["r-crash"]
        assert await again.mark_interrupted(now=10000) == []  # idempotent
        events = await again.events_after("r-crash")
        end = events[-1]
        assert isinstance(end, RunFinished) and end.seq == 3
        assert (end.outcome, end.error_code, end.total_usage, end.steps) == (
            "interrupted",
            errors.RunInterrupted.code,
            usage,
            1,
        )
        summary = await again.summary("r-crash")
        assert (summary.status, summary.finished, summary.error_code) == ("interrupted", 9999, 7057)
        assert (await again.summary("r-done")).status == "done"
    finally:
        await again.aclose()


async def test_many_events_are_batched_and_kept_in_order(tmp_path: Path) -> None:
    store = await RunStore.open(tmp_path / "runs.db")
    try:
        em = await new_run(store, "r-big")
        for i in range(3000):
            em.emit(ModelText, step=1, text=f"piece {i}")
        first = await store.events_after("r-big", 0, limit=500)
        assert [e.seq for e in first] == list(range(1, 501))
        rest = await store.events_after("r-big", 2990, limit=500)
        assert [e.seq for e in rest] == list(range(2991, 3002))
    finally:
        await store.aclose()


async def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    path.write_bytes(b"this is not sqlite at all, just text that fills a page " * 100)
    with pytest.raises(errors.StoreError, match="not a usable WebBridge database"):
        await RunStore.open(path)


async def test_a_schema_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    await (await RunStore.open(path)).aclose()  # creates the file at the current version
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_versions SET version = 99 WHERE component = 'runs'")
    with pytest.raises(errors.StoreError, match="newer than this WebBridge knows"):
        await Database.open(path, MIGRATIONS)


async def test_a_write_after_close_is_refused(tmp_path: Path) -> None:
    store = await RunStore.open(tmp_path / "runs.db")
    await store.aclose()
    with pytest.raises(errors.StoreError, match="closed"):
        store.append_event(RunStarted(run_id="r", seq=1, time=1, task="t", model="m"))
