"""`webbridge run` and `webbridge runs` as a user runs them: the real CLI, the real daemon with its run
manager and store, and the scripted model server as a process standing in for the provider."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import WbEnv
from ._scripted import requests_seen, scripted_model, use_model, wait_until

ANSWER = "The answer is 42."


def _start(wb: WbEnv, url: str, **settings: str) -> None:
    use_model(wb, url, **settings)
    wb.run("daemon", "start")
    wb.wait_daemon()


def test_a_task_runs_to_its_answer_and_is_kept_in_the_history(wb: WbEnv, tmp_path: Path) -> None:
    steps = [
        {"expect": {"last_message_contains": "What is six times seven?"},
         "reply": {"tool_calls": [{"id": "c1", "name": "list_files", "arguments": {"path": "."}}]}},
        {"expect": {"last_tool_result_for": "c1"}, "reply": {"text": ANSWER}},
    ]  # fmt: skip
    with scripted_model(tmp_path, steps) as url:
        _start(wb, url)
        proc = wb.run("run", "What is six times seven?", check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ANSWER + "\n"  # only the answer on stdout
    progress = proc.stderr.splitlines()
    assert progress[0].startswith("run r-") and "started (model openai:scripted-model" in progress[0]
    assert any(line.startswith("step 1: → list_files(path=.)") for line in progress), progress
    assert any(line.startswith("step 1: ✓ list_files") for line in progress), progress
    assert progress[-1].startswith("done after 2 steps")
    run_id = progress[0].split()[1]

    listed = json.loads(wb.run("runs", "--json").stdout)
    assert [(r["run_id"], r["status"], r["source"], r["message"]) for r in listed] == [
        (run_id, "done", "cli", ANSWER)
    ]
    shown = wb.run("runs", "show", run_id).stdout
    assert f"run {run_id}  done  (cli, model openai:scripted-model)" in shown
    assert "step 1: ✓ list_files" in shown and shown.rstrip().endswith(f"answer: {ANSWER}")
    detail = json.loads(wb.run("runs", "show", run_id, "--json").stdout)
    assert detail["events"][-1]["type"] == "run.finished" and detail["events"][-1]["outcome"] == "done"
    assert [e["seq"] for e in detail["events"]] == list(range(1, len(detail["events"]) + 1))


def test_json_lines_and_the_exit_code_of_an_exhausted_budget(wb: WbEnv, tmp_path: Path) -> None:
    steps = [{"reply": {"tool_calls": [{"id": "c1", "name": "list_files", "arguments": {}}]}}]
    with scripted_model(tmp_path, steps) as url:
        _start(wb, url)
        proc = wb.run("run", "List my files forever", "--max-steps", "1", "--json", check=False)
    assert proc.returncode == 3, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert events[0]["type"] == "run.started" and events[0]["source"] == "cli"
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["type"] == "run.finished" and events[-1]["outcome"] == "budget_exhausted"
    assert "tool.finished" in [e["type"] for e in events]


def test_a_model_error_fails_the_run_with_exit_1(wb: WbEnv, tmp_path: Path) -> None:
    with scripted_model(tmp_path, [{"reply": {"status": 401, "error_message": "bad key"}}]) as url:
        _start(wb, url)
        proc = wb.run("run", "anything", check=False)
    assert proc.returncode == 1, proc.stderr
    assert any(line.startswith("failed [7001] after") for line in proc.stderr.splitlines()), proc.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a console process group")
def test_ctrl_c_stops_the_run_live_and_exits_130(wb: WbEnv, tmp_path: Path) -> None:
    steps = [
        {"reply": {"tool_calls": [{"id": "c1", "name": "list_files", "arguments": {}}]}},
        {"reply": {"hang": True}},
    ]
    with scripted_model(tmp_path, steps) as url:
        _start(wb, url)
        cli = subprocess.Popen(
            [sys.executable, "-m", "webbridge", "run", "Look at my files, then think forever"],
            env=wb.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert cli.stderr is not None
        seen = []
        # Steps arrive live: the tool's result is printed while the run is still going (the model hangs).
        for line in cli.stderr:
            seen.append(line)
            if line.startswith("step 1: ✓ list_files"):
                break
        assert cli.poll() is None, "".join(seen)
        run_id = seen[0].split()[1]
        # The model's second call is hanging: no event for that crosses processes, so ask the server.
        wait_until(lambda: requests_seen(url) == 2, what="the second model call")
        cli.send_signal(signal.SIGINT)
        out, rest = cli.communicate(timeout=30)
    assert cli.returncode == 130, "".join(seen) + rest
    assert f"run {run_id} stopped" in rest
    assert out == ""
    [summary] = json.loads(wb.run("runs", "--json").stdout)
    assert (summary["run_id"], summary["status"]) == (run_id, "cancelled")


def test_usage_errors_and_an_absent_daemon(wb: WbEnv) -> None:
    bad_tab = wb.run("run", "x", "--tab", "ftp://example.test/", check=False)
    assert bad_tab.returncode == 2 and "--tab must be" in bad_tab.stderr
    assert wb.run("run", check=False).returncode == 2  # argparse: no task
    absent = wb.run("runs", check=False)
    assert absent.returncode == 7 and "daemon_unavailable" in absent.stderr
