"""The model-facing tools inside the real daemon process: a run started with the real `webbridge run` CLI, the
scripted model server (a process) calling browser and file tools, and a FakeExtension behind a real relay
answering the browser requests. Checks what reaches the extension (typed requests, the current tab,
``expect_url``), what reaches the model (results, untrusted page content, a bad call as an error result),
and the file the run leaves in the workspace."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from webbridge.errors import StaleRef
from webbridge.protocol.browser_kinds import ActResult
from webbridge.protocol.fields import Message

from ..conftest import WbEnv
from ._harness import Relays, cli, connect, pair
from ._newsletter import TABS, URL, newsletter
from ._scripted import scripted_model, tool_call, use_model

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Unix sockets and signals")

TASK = "Subscribe me to the newsletter and note that you did."
ANSWER = "Subscribed; noted in notes/done.md."


async def test_a_run_drives_the_browser_and_writes_a_file_through_the_real_daemon(
    wb: WbEnv, relays: Relays, tmp_path: Path
) -> None:
    steps: list[dict[str, Any]] = [
        {"expect": {"last_message_contains": TASK, "tools_include": ["tab_activate", "snapshot", "click",
                                                                    "write_file", "read_file"]},
         "reply": tool_call("c1", "tab_activate", tab_id=2)},
        {"expect": {"last_tool_result_for": "c1", "last_message_contains": "Current tab 2"},
         "reply": tool_call("c2", "snapshot")},
        {"expect": {"last_tool_result_for": "c2", "last_message_contains": 'button "Subscribe" f0e4'},
         "reply": tool_call("c3", "click", ref="subscribe-button")},
        {"expect": {"last_tool_result_for": "c3", "last_message_contains": "7102 bad_tool_arguments"},
         "reply": tool_call("c4", "click", ref="f0e9")},
        {"expect": {"last_tool_result_for": "c4", "last_message_contains": "6001 stale_ref"},
         "reply": tool_call("c5", "click", ref="f0e4")},
        {"expect": {"last_tool_result_for": "c5", "last_message_contains": "Thanks for subscribing"},
         "reply": tool_call("c6", "write_file", path="notes/done.md", content="subscribed\n")},
        {"expect": {"last_tool_result_for": "c6", "last_message_contains": "Wrote 11 bytes to notes/done.md"},
         "reply": tool_call("c7", "read_file", path="../../keys.json")},
        {"expect": {"last_tool_result_for": "c7", "last_message_contains": "7111 path_refused"},
         "reply": {"text": ANSWER}},
    ]  # fmt: skip
    received: list[Message] = []

    async def on_act(msg: Message) -> Message:
        received.append(msg)
        if getattr(msg, "ref", None) == "f0e9":
            raise StaleRef("stale ref f0e9: take a new snapshot")
        delta = '- status "Thanks for subscribing"'
        return ActResult(url=URL, input_used="dom", navigated=False, delta=delta)

    with scripted_model(tmp_path, steps) as url:
        use_model(wb, url)
        paired = await pair(wb, relays, "Work")  # the first relay starts the daemon with that model
        # The snapshot format (PROTOCOL.md §5.2): the policy learns each ref's role and name from it.
        text = 'heading "Our letter"\nlink "Last week\'s letter" f0e9\nbutton "Subscribe" f0e4'
        handlers = newsletter(received, snapshot=text, refs=1, on_act=on_act)
        linked = await connect(relays, paired, tabs=TABS, handlers=handlers)
        proc = await cli(wb, "run", TASK, "--bridge", linked.bridge_id, "--json", check=False)

    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    finished = [(e["tool"], e["ok"], e.get("error_code")) for e in events if e["type"] == "tool.finished"]
    assert finished == [
        ("tab_activate", True, None),
        ("snapshot", True, None),
        ("click", False, 7102),
        ("click", False, 6001),
        ("click", True, None),
        ("write_file", True, None),
        ("read_file", False, 7111),
    ]
    assert events[-1]["type"] == "run.finished" and events[-1]["outcome"] == "done"

    # The extension got typed requests for the current tab; actions carry the URL the model last saw.
    kinds = [(m.kind, getattr(m, "tab_id", None)) for m in received]
    assert kinds == [("tabs.activate", 2), ("page.snapshot", 2), ("page.act", 2), ("page.act", 2)]
    clicks = [(m.ref, m.action, m.expect_url) for m in received if m.kind == "page.act"]  # type: ignore[attr-defined]
    assert clicks == [("f0e9", "click", URL), ("f0e4", "click", URL)]
    linked.fake.assert_clean()

    written = list((wb.paths.data / "workspace").rglob("done.md"))
    assert [p.read_text() for p in written] == ["subscribed\n"]
    artifacts = [e["artifacts"] for e in events if e["type"] == "tool.finished" and e["tool"] == "write_file"]
    assert artifacts == [[str(written[0])]]
