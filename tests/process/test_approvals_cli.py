"""Approvals end to end through the real daemon process: runs started with the real `webbridge run`, the
scripted model server as a process, `webbridge approvals` / `webbridge approve` answering from another
process, and (plan mode) a FakeExtension behind a real relay standing in for the browser."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from webbridge.protocol.browser_kinds import ActResult, SnapshotResult, TabResult, TabsListResult
from webbridge.protocol.fields import Message

from ..conftest import WbEnv
from ._harness import DEADLINE, Relays, cli, connect, pair
from ._newsletter import TABS, URL
from ._scripted import scripted_model, use_model
from ._scripted import tool_call as call

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Unix sockets and signals")

#: Shipped defaults (file writes ask) in "grants" mode; plan mode below.
PLAN_MODE = 'mode = "ask"\n'


def next_approval(wb: WbEnv) -> dict[str, Any]:
    """The one pending approval, waiting (event-driven, in the daemon) until one is asked."""
    pending = json.loads(wb.run("approvals", "--wait", "30", "--json").stdout)
    assert len(pending) == 1, pending
    return pending[0]  # type: ignore[no-any-return]


def start_run(wb: WbEnv, task: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "webbridge", "run", task, "--json"], env=wb.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> list[dict[str, Any]]:
    out, err = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_the_cli_approves_one_run_and_denies_another(wb: WbEnv, tmp_path: Path) -> None:
    steps = [
        {"expect": {"last_message_contains": "Save note A"},
         "reply": call("c1", "write_file", path="notes/a.md", content="A\n")},
        {"expect": {"last_tool_result_for": "c1", "last_message_contains": "Wrote 2 bytes"},
         "reply": {"text": "Saved A."}},
        {"expect": {"last_message_contains": "Save note B"},
         "reply": call("c2", "write_file", path="notes/b.md", content="B\n")},
        {"expect": {"last_tool_result_for": "c2", "last_message_contains": "8001 policy_denied"},
         "reply": {"text": "You declined, so I did not save B."}},
    ]  # fmt: skip
    with scripted_model(tmp_path, steps) as url:
        use_model(wb, url, policy=None, approval_timeout_s="120")  # the shipped defaults: file writes ask
        wb.run("daemon", "start")
        wb.wait_daemon()
        assert wb.run("approvals").stdout == "nothing is waiting for your approval\n"

        first = start_run(wb, "Save note A")
        asked = next_approval(wb)
        request = asked["request"]
        assert (request["tool"], request["verb"], request["domain"], request["irreversible"]) == (
            "write_file", "file_write", None, False)
        shown = wb.run("approvals").stdout
        assert asked["approval_id"] in shown and "file_write on this machine" in shown
        approved = wb.run("approve", asked["approval_id"])
        assert approved.stdout == f"approved {asked['approval_id']} (once)\n"
        events = finish(first)
        assert events[-1]["outcome"] == "done" and events[-1]["message"] == "Saved A."
        assert (wb.paths.data / "workspace" / "notes" / "a.md").read_text() == "A\n"
        resolved = [e for e in events if e["type"] == "approval.resolved"]
        assert [(e["approval_id"], e["allowed"], e["by"]) for e in resolved] == [
            (asked["approval_id"], True, "cli")]

        second = start_run(wb, "Save note B")
        asked_b = next_approval(wb)
        denied = wb.run("approve", asked_b["approval_id"], "--deny")
        assert denied.stdout == f"denied {asked_b['approval_id']}\n"
        events = finish(second)
        assert events[-1]["outcome"] == "done"
        assert not (wb.paths.data / "workspace" / "notes" / "b.md").exists()
        written = [(e["tool"], e["ok"], e["error_code"]) for e in events if e["type"] == "tool.finished"]
        assert written == [("write_file", False, 8001)]

        again = wb.run("approve", asked_b["approval_id"], check=False)
        assert again.returncode == 1 and "answered already" in again.stderr
        unknown = wb.run("approve", "a-000000000000", check=False)
        assert unknown.returncode == 1 and "no pending approval" in unknown.stderr
        audit = json.loads(wb.run("audit", "show", "--json").stdout)
        approvals = [(e["kind"], e["decision"], e["actor"]) for e in audit if e["kind"] == "approval"]
        assert approvals == [("approval", "allow", "user"), ("approval", "deny", "user")]
        wb.run("audit", "verify")
        wb.kill_daemon(signal.SIGTERM)


SNAPSHOT = 'heading "Our letter"\ntextbox "Email" f0e3\nbutton "Subscribe" f0e4\nbutton "Buy now" f0e5'


async def test_plan_mode_asks_once_then_only_outside_the_plan_and_for_irreversible_steps(
    wb: WbEnv, relays: Relays, tmp_path: Path
) -> None:
    task = "Subscribe me to the newsletter with me@example.org, then buy the print edition."
    steps: list[dict[str, Any]] = [
        {"expect": {"last_message_contains": task, "tools_include": ["propose_plan", "type_text"]},
         "reply": call("p1", "propose_plan", summary="Subscribe and buy on news.test", sites=["news.test"],
                       actions=["navigate", "interact", "type"])},
        {"expect": {"last_tool_result_for": "p1", "last_message_contains": "approved the plan"},
         "reply": call("c1", "tab_activate", tab_id=2)},
        {"expect": {"last_tool_result_for": "c1"}, "reply": call("c2", "snapshot")},
        {"expect": {"last_tool_result_for": "c2", "last_message_contains": 'button "Buy now" f0e5'},
         "reply": call("c3", "type_text", ref="f0e3", text="me@example.org")},
        {"expect": {"last_tool_result_for": "c3", "last_message_contains": "typed"},
         "reply": call("c4", "click", ref="f0e4")},
        {"expect": {"last_tool_result_for": "c4", "last_message_contains": "Subscribed"},
         "reply": call("c5", "navigate", url="https://other.test/offers")},
        {"expect": {"last_tool_result_for": "c5", "last_message_contains": "8001 policy_denied"},
         "reply": call("c6", "click", ref="f0e5")},
        {"expect": {"last_tool_result_for": "c6", "last_message_contains": "Order placed"},
         "reply": {"text": "Subscribed and bought the print edition."}},
    ]  # fmt: skip
    acts: list[tuple[str, str]] = []

    async def on_tabs_list(msg: Message) -> Message:
        return TabsListResult(tabs=list(TABS))

    async def on_activate(msg: Message) -> Message:
        return TabResult(tab=TABS[1].model_copy(update={"active": True}))

    async def on_snapshot(msg: Message) -> Message:
        return SnapshotResult(url=URL, title="Newsletter", text=SNAPSHOT, refs=3, frames=1, truncated=False)

    async def on_act(msg: Message) -> Message:
        ref, action = getattr(msg, "ref", ""), getattr(msg, "action", "")
        acts.append((action, ref))
        delta = {"f0e3": '- status "typed"', "f0e4": '- status "Subscribed"',
                 "f0e5": '- status "Order placed"'}
        return ActResult(url=URL, input_used="dom", navigated=False, delta=delta[ref])

    with scripted_model(tmp_path, steps) as url:
        use_model(wb, url, policy=PLAN_MODE, approval_timeout_s="120")
        paired = await pair(wb, relays, "Work")
        linked = await connect(relays, paired, tabs=TABS, handlers={
            "tabs.list": on_tabs_list, "tabs.activate": on_activate, "page.snapshot": on_snapshot,
            "page.act": on_act,
        })  # fmt: skip
        answers: list[dict[str, Any]] = []
        async with asyncio.TaskGroup() as group:
            run = group.create_task(cli(wb, "run", task, "--bridge", linked.bridge_id, "--tab", "current",
                                        "--json", check=False))
            for allow, lifetime in ((True, "task"), (False, "once"), (True, "once")):
                asked = await asyncio.to_thread(next_approval, wb)
                answers.append(asked["request"])
                args = [] if allow else ["--deny"]
                await cli(wb, "approve", asked["approval_id"], "--for", lifetime, *args)
        proc = run.result()

    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert events[-1]["outcome"] == "done"
    # Three prompts: the plan, the navigation outside it, the purchase inside it. Typing and clicking
    # "Subscribe" on news.test ran within the plan without asking.
    plan, outside, purchase = answers
    assert plan["plan"] == {"summary": "Subscribe and buy on news.test", "sites": ["news.test"],
                            "actions": ["navigate", "interact", "type"]}
    assert (outside["verb"], outside["domain"], outside["rule"]) == ("navigate", "other.test", "mode ask")
    assert (purchase["verb"], purchase["element_name"], purchase["irreversible"]) == (
        "purchase", "Buy now", True)
    assert [e["type"] for e in events].count("approval.requested") == 3
    finished = [(e["tool"], e["ok"], e["error_code"]) for e in events if e["type"] == "tool.finished"]
    assert finished == [
        ("propose_plan", True, None), ("tab_activate", True, None), ("snapshot", True, None),
        ("type_text", True, None), ("click", True, None), ("navigate", False, 8001), ("click", True, None),
    ]
    assert acts == [("fill", "f0e3"), ("click", "f0e4"), ("click", "f0e5")]
    linked.fake.assert_clean()
