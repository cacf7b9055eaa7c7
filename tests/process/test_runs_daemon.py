"""Runs survive the daemon: the real daemon process with its run manager and SQLite store, the scripted model
server as a process. A run the daemon was killed under (SIGKILL) is marked interrupted at the next start,
with a stored run.finished; a run going when the daemon is asked to stop (SIGTERM) is closed as interrupted
by the daemon itself before it exits. Nothing is silently lost."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest

from webbridge import errors
from webbridge.daemon.client import ControlClient
from webbridge.store.runs import RunStore

from ..conftest import WbEnv, exited
from ._scripted import requests_seen, scripted_model, use_model, wait_until

TASK = "Read the report and sum the totals. Don't open other sites."
HANG = {"expect": {"last_message_contains": "sum the totals"}, "reply": {"hang": True}}


def _call(wb: WbEnv, op: str, **args: Any) -> Any:
    with ControlClient.connect(wb.paths) as client:
        return client.call(op, **args)


def _start_daemon(wb: WbEnv, url: str) -> None:
    use_model(wb, url)
    wb.run("daemon", "start")
    wb.wait_daemon()


def _start_run_and_wait_for_the_model(wb: WbEnv, url: str) -> str:
    run_id: str = _call(wb, "run.start", task=TASK)["run_id"]
    # The model call is in flight once the server has the request (no cross-process event for that).
    wait_until(lambda: requests_seen(url) == 1, what="the daemon's model request")
    return run_id


def test_a_run_killed_with_the_daemon_is_marked_interrupted_at_the_next_start(
    wb: WbEnv, tmp_path: Path
) -> None:
    with scripted_model(tmp_path, [HANG]) as url:
        _start_daemon(wb, url)
        run_id = _start_run_and_wait_for_the_model(wb, url)
        assert _call(wb, "runs.list")[0]["status"] == "running"
        pid = wb.kill_daemon(signal.SIGKILL)
        assert pid is not None and exited(pid)

        _start_daemon(wb, url)
        listed = _call(wb, "runs.list")
        got = _call(wb, "run.get", run_id=run_id)
        wb.run("daemon", "stop")

    assert [(r["run_id"], r["status"]) for r in listed] == [(run_id, "interrupted")]
    events = got["events"]
    assert [e["type"] for e in events] == ["run.started", "run.finished"]
    assert [e["seq"] for e in events] == [1, 2]
    end = events[-1]
    assert end["outcome"] == "interrupted" and end["error_code"] == 7057
    assert "crash or shutdown" in end["message"]
    # what the run had said to the model before the crash is on disk too
    transcript = asyncio.run(_transcript(wb.paths.data / "runs.db", run_id))
    assert [m.role for m in transcript] == ["system", "user"] and transcript[1].content.startswith(TASK)


def test_a_daemon_asked_to_stop_closes_its_runs_as_interrupted(wb: WbEnv, tmp_path: Path) -> None:
    with scripted_model(tmp_path, [HANG]) as url:
        _start_daemon(wb, url)
        run_id = _start_run_and_wait_for_the_model(wb, url)
        pid = wb.kill_daemon(signal.SIGTERM)
        assert pid is not None and exited(pid)

    # No restart: the stopping daemon itself wrote how the run ended.
    summary, events = asyncio.run(_read(wb.paths.data / "runs.db", run_id))
    assert summary.status == "interrupted" and summary.error_code == 7057
    assert [e.type for e in events] == ["run.started", "run.finished"]
    assert events[-1].message == "The daemon stopped while the run was going."


async def _transcript(path: Path, run_id: str) -> list[Any]:
    store = await RunStore.open(path)
    try:
        return await store.transcript(run_id)
    finally:
        await store.aclose()


async def _read(path: Path, run_id: str) -> tuple[Any, list[Any]]:
    store = await RunStore.open(path)
    try:
        return await store.summary(run_id), await store.events_after(run_id)
    finally:
        await store.aclose()


def test_a_corrupt_run_store_leaves_the_daemon_serving_without_runs(wb: WbEnv) -> None:
    db = wb.paths.data / "runs.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"not a database, not even close " * 200)
    wb.run("daemon", "start")
    wb.wait_daemon()
    try:
        assert _call(wb, "status")["pid"] == wb.daemon_pid()  # pairing and doctor still have a daemon
        with pytest.raises(errors.WebBridgeError, match="no run manager"):
            _call(wb, "run.start", task="anything")
    finally:
        wb.run("daemon", "stop")
    log = (wb.paths.log_dir / "daemon.log").read_text(encoding="utf-8", errors="replace")
    assert "not a usable WebBridge database" in log
