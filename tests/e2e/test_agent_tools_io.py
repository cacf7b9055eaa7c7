"""The capture and page I/O tools in a real agent run: a task typed in the side panel runs in the daemon's
RunManager with the scripted model server as the model, in real headless Chromium on the fixture site. The
model takes a screenshot, evaluates a script, reads the console, handles an alert and waits for a download
(which asks: the user allows it once on the side panel's card); the files exist on disk, the run's
``tool.finished`` events list them as artifacts, and the side panel shows the screenshot it fetched with
``run.artifact``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..conftest import WbEnv
from ..fixtures.site import FixtureSite
from ..process._scripted import scripted_model
from ._panel import RUN_TIMEOUT_MS, start

pytestmark = pytest.mark.e2e

ANSWER = "Screenshot taken, console read, alert handled, report downloaded."
REPORT = "id,amount\n1,99.00\n2,12.50\n"


def call(call_id: str, name: str, **arguments: Any) -> dict[str, Any]:
    return {"tool_calls": [{"id": call_id, "name": name, "arguments": arguments}]}


def after(call_id: str, text: str) -> dict[str, Any]:
    return {"last_tool_result_for": call_id, "last_message_contains": text}


def script(site: FixtureSite) -> list[dict[str, Any]]:
    return [
        {"expect": {"last_message_contains": "Check the console page"},
         "reply": call("s1", "screenshot", filename="console")},
        {"expect": after("s1", "Saved a screenshot"),
         "reply": call("e1", "evaluate", script="document.getElementById('log').click(), document.title")},
        {"expect": after("e1", "Result (string)"), "reply": call("c1", "console_messages", levels=["log"])},
        {"expect": after("c1", "clicked 1"), "reply": call("n1", "navigate", url=site.url("/dialogs"))},
        {"expect": after("n1", "/dialogs"),
         "reply": call("e2", "evaluate", script="document.getElementById('alert').click()")},
        {"expect": after("e2", "6021"), "reply": call("d1", "dialog_state")},
        {"expect": after("d1", "Hello from the fixture"),
         "reply": call("h1", "handle_dialog", action="accept")},
        {"expect": after("h1", "next dialog will be answered: accept"),
         "reply": call("e4", "evaluate", script="document.getElementById('alert').click()")},
        {"expect": after("e4", "Result"), "reply": call("n2", "navigate", url=site.url("/downloads"))},
        {"expect": after("n2", "/downloads"),
         "reply": call("e3", "evaluate", script="document.getElementById('csv').click()")},
        {"expect": {"last_tool_result_for": "e3"}, "reply": call("w1", "download_wait", filename="report")},
        {"expect": after("w1", "Downloaded report.csv"), "reply": {"text": ANSWER}},
    ]  # fmt: skip


def finished_events(wb: WbEnv, run_id: str) -> dict[str, dict[str, Any]]:
    shown = json.loads(wb.run("runs", "show", run_id, "--json").stdout)
    return {e["call_id"]: e for e in shown["events"] if e["type"] == "tool.finished"}


def steps_of(wb: WbEnv, run_id: str) -> str:
    """The run as ``webbridge runs show`` tells it (for failure messages)."""
    return wb.run("runs", "show", run_id, check=False).stdout


def test_an_agent_run_screenshots_reads_the_console_handles_a_dialog_and_downloads(
    wb: WbEnv, tmp_path: Path, fixture_site: FixtureSite, playwright: Any
) -> None:
    with scripted_model(tmp_path, script(fixture_site)) as url:
        env = start(playwright, wb, tmp_path, url, fixture_site.url("/console"))
        try:
            # Playwright, which drives the user's side of this browser, would dismiss dialogs itself.
            env.browser.context.on("dialog", lambda dialog: None)
            downloads = tmp_path / "Downloads"
            downloads.mkdir()
            cdp = env.browser.context.new_cdp_session(env.page)
            cdp.send("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})

            panel = env.side_panel()
            panel.fill("#task", "Check the console page, the alert and the report download")
            panel.click("#run-button")
            panel.wait_for_selector("#run-id:not(:empty)", timeout=RUN_TIMEOUT_MS)
            run_id = panel.locator("#run-id").inner_text()
            # The download started by a script (not by a click the policy approved) asks, as downloads do:
            # the user allows it once on the side panel's card.
            card = panel.locator("#approval-list li.approval-card")
            try:
                card.wait_for(timeout=RUN_TIMEOUT_MS * 3)
            except Exception:
                raise AssertionError(f"no approval was asked:\n{steps_of(wb, run_id)}") from None
            assert "download" in card.locator(".title").inner_text()
            assert card.locator(".irreversible-mark").count() == 1
            card.locator("button[data-answer='once']").click()
            try:
                panel.wait_for_selector("#run[data-status='done']", timeout=RUN_TIMEOUT_MS * 3)
            except Exception:
                raise AssertionError(f"the run did not finish well:\n{steps_of(wb, run_id)}") from None
            assert panel.locator("#answer").inner_text() == ANSWER

            done = finished_events(wb, run_id)
            assert [done[c]["ok"] for c in ("s1", "e1", "c1", "d1", "h1", "e4", "w1")] == [True] * 7
            assert (done["e2"]["ok"], done["e2"]["error_code"]) == (False, 6021)

            # The screenshot: in the run's artifacts folder inside the workspace, a real PNG.
            [shot] = done["s1"]["artifacts"]
            assert Path(shot) == wb.paths.data / "workspace" / "artifacts" / run_id / "console.png"
            assert Path(shot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            # The download: where the browser saved it, with the server's bytes.
            [saved] = done["w1"]["artifacts"]
            assert Path(saved) == downloads / "report.csv" and Path(saved).read_text() == REPORT
            assert fixture_site.downloads == ["report.csv"]
            assert all(not e["artifacts"] for c, e in done.items() if c not in ("s1", "w1"))

            # The side panel fetched the screenshot through run.artifact and shows it.
            img = panel.locator("#steps li[data-tool='screenshot'] img")
            img.wait_for(timeout=RUN_TIMEOUT_MS)
            assert (img.get_attribute("src") or "").startswith("data:image/png;base64,iVBORw0KGgo")
        finally:
            env.browser.context.close()
