"""Saved workflows in the real daemon process: a model-driven run (the scripted model server, a FakeExtension
behind a real relay) is saved with `webbridge workflows save`, then replayed with `webbridge workflows run`
with another parameter value — the model is not called again (the scripted server fails loudly on any
call past its script), and the extension receives the same actions, found again by role and name."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from webbridge.protocol.browser_kinds import ActResult
from webbridge.protocol.fields import Message

from ..conftest import WbEnv
from ._harness import Relays, cli, connect, pair
from ._newsletter import TABS, URL, newsletter
from ._scripted import ALLOW_ALL_POLICY, scripted_model, tool_call, use_model, write_policy

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Unix sockets and signals")

TASK = "Subscribe me to the news.test letter and note it."


async def test_a_finished_run_saved_as_a_workflow_replays_without_the_model(
    wb: WbEnv, relays: Relays, tmp_path: Path
) -> None:
    steps: list[dict[str, Any]] = [
        {"reply": tool_call("c1", "tab_activate", tab_id=2)},
        {"expect": {"last_tool_result_for": "c1"}, "reply": tool_call("c2", "snapshot")},
        {"expect": {"last_tool_result_for": "c2"}, "reply": tool_call("c3", "click", ref="f0e7")},
        {"expect": {"last_tool_result_for": "c3", "last_message_contains": "6001"},
         "reply": tool_call("c4", "click", ref="f0e4")},
        {"expect": {"last_tool_result_for": "c4"},
         "reply": tool_call("c5", "write_file", path="notes/done.md", content="subscribed to news.test\n")},
        {"expect": {"last_tool_result_for": "c5"}, "reply": {"text": "Subscribed."}},
    ]  # fmt: skip
    received: list[Message] = []

    async def on_act(msg: Message) -> Message:
        received.append(msg)
        if getattr(msg, "ref", None) != "f0e4":
            from webbridge.errors import StaleRef

            raise StaleRef("stale ref: take a new snapshot")
        return ActResult(url=URL, input_used="dom", navigated=False, delta='- status "Thanks"')

    with scripted_model(tmp_path, steps) as url:
        use_model(wb, url)
        paired = await pair(wb, relays, "Work")
        text = 'heading "Our letter"\nbutton "Subscribe" f0e4\nbutton "Subscribe later" f0e7'
        handlers = newsletter(received, snapshot=text, refs=2, on_act=on_act)
        linked = await connect(relays, paired, tabs=TABS, handlers=handlers)
        first = await cli(wb, "run", TASK, "--bridge", linked.bridge_id, "--json", check=False)
        assert first.returncode == 0, first.stdout + first.stderr
        run_id = json.loads(first.stdout.splitlines()[0])["run_id"]

        saved = await cli(wb, "workflows", "save", run_id, "subscribe", "-p", "site=news.test", check=False)
        assert saved.returncode == 0, saved.stderr
        assert "saved subscribe (3 steps)" in saved.stdout
        listed = await cli(wb, "workflows", check=False)
        assert "subscribe  3 steps  [site=news.test]" in listed.stdout
        flow = json.loads((await cli(wb, "workflows", "show", "subscribe")).stdout)
        assert [(s["tool"], s["target"]) for s in flow["steps"]] == [
            ("tab_activate", None),
            ("click", {"role": "button", "name": "Subscribe"}),  # the failed click and snapshot: left out
            ("write_file", None),
        ]
        assert flow["steps"][2]["args"]["content"] == "subscribed to {{site}}\n"

        received.clear()
        replay = await cli(wb, "workflows", "run", "subscribe", "-p", "site=example.test",
                           "--bridge", linked.bridge_id, "--json", check=False)  # fmt: skip

    assert replay.returncode == 0, replay.stderr
    events = [json.loads(line) for line in replay.stdout.splitlines()]
    assert events[0]["model"] == "workflow:subscribe"
    done = [(e["tool"], e["ok"]) for e in events if e["type"] == "tool.finished"]
    assert done == [("tab_activate", True), ("snapshot", True), ("click", True), ("write_file", True)]
    kinds = [m.kind for m in received if m.kind != "tabs.list"]
    assert kinds == ["tabs.activate", "page.snapshot", "page.act"]
    find = next(m for m in received if m.kind == "page.snapshot")
    assert (find.mode, find.query, find.role) == ("find", "Subscribe", "button")  # type: ignore[attr-defined]
    acts = [m for m in received if m.kind == "page.act"]
    assert [m.ref for m in acts] == ["f0e4"]  # type: ignore[attr-defined]
    note = wb.paths.data / "workspace" / "notes" / "done.md"
    assert note.read_text() == "subscribed to example.test\n"
    linked.fake.assert_clean()


async def test_a_failed_check_or_a_missing_workflow_fails_the_run_clearly(wb: WbEnv, relays: Relays) -> None:
    write_policy(wb, ALLOW_ALL_POLICY)  # not a policy test: list_files may read the workspace
    paired = await pair(wb, relays, "Work")
    linked = await connect(relays, paired, tabs=TABS)
    missing = await cli(wb, "workflows", "run", "nope", "--bridge", linked.bridge_id, check=False)
    assert missing.returncode == 1
    assert "no saved workflow named 'nope'" in missing.stderr

    folder = wb.paths.data / "workflows"
    folder.mkdir(parents=True)
    (folder / "check.json").write_text(json.dumps({
        "name": "check", "task": "list my files",
        "steps": [{"tool": "list_files", "expect": [{"contains": "Calendar"}]}],
    }))  # fmt: skip
    failed = await cli(wb, "workflows", "run", "check", "--bridge", linked.bridge_id, "--json", check=False)
    assert failed.returncode == 1
    last = json.loads(failed.stdout.splitlines()[-1])
    assert last["type"] == "run.finished" and last["outcome"] == "failed" and last["error_code"] == 7170
    assert "step 1 (list_files): expected the result to contain 'Calendar'" in last["message"]
    linked.fake.assert_clean()
