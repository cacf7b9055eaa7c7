"""The side panel in real Chromium: a task typed in the panel runs in the user's tab with the scripted model
standing in for the provider; steps show up live, the answer at the end, the run in the history; Stop ends
a run mid-step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from webbridge.launch import launch

from ..conftest import WbEnv
from ..process._scripted import requests_seen, scripted_model, wait_until
from ._panel import RUN_TIMEOUT_MS, start
from .conftest import profile_dir, wait_connection

pytestmark = pytest.mark.e2e

ANSWER = "The page says Fixture."


def test_a_task_from_the_side_panel_completes_with_live_steps_and_history(
    wb: WbEnv, tmp_path: Path, site: str, playwright: Any
) -> None:
    steps = [
        {"expect": {"last_message_contains": "What does this page say?"},
         "reply": {"tool_calls": [{"id": "c1", "name": "page_text", "arguments": {}}]}},
        # The tool read the user's real tab: its text reaches the model as the result of c1.
        {"expect": {"last_tool_result_for": "c1", "last_message_contains": "Fixture"},
         "reply": {"text": ANSWER}},
    ]  # fmt: skip
    with scripted_model(tmp_path, steps) as url:
        env = start(playwright, wb, tmp_path, url, site)
        try:
            panel = env.side_panel()
            panel.fill("#task", "What does this page say?")
            panel.click("#run-button")
            step = panel.locator("#steps li[data-tool='page_text'][data-state='ok']")
            step.wait_for(timeout=RUN_TIMEOUT_MS)
            assert "page_text" in step.inner_text()
            panel.wait_for_selector("#run[data-status='done']", timeout=RUN_TIMEOUT_MS)
            assert panel.locator("#answer").inner_text() == ANSWER
            assert panel.locator("#stop-button").is_hidden()
            run_id = panel.locator("#run-id").inner_text()
            panel.wait_for_selector(f"#history-list button[data-run-id='{run_id}']", timeout=RUN_TIMEOUT_MS)

            [run] = env.runs()
            assert (run["run_id"], run["status"], run["source"]) == (run_id, "done", "sidepanel")
            assert run["tab_id"] == env.tab_id, "the task ran in the user's tab, not in the panel's"
            assert run["message"] == ANSWER

            # A reopened panel shows the run again from the daemon's record (events replayed by seq).
            again = env.side_panel()
            again.wait_for_selector("#run[data-status='done']", timeout=RUN_TIMEOUT_MS)
            assert again.locator("#run-id").inner_text() == run_id
            assert again.locator("#steps li[data-tool='page_text'][data-state='ok']").count() == 1
        finally:
            env.browser.context.close()


def test_stop_in_the_side_panel_ends_the_run_mid_step(
    wb: WbEnv, tmp_path: Path, site: str, playwright: Any
) -> None:
    steps = [
        {"reply": {"tool_calls": [{"id": "c1", "name": "page_text", "arguments": {}}]}},
        {"expect": {"last_tool_result_for": "c1"}, "reply": {"hang": True}},
    ]
    with scripted_model(tmp_path, steps) as url:
        env = start(playwright, wb, tmp_path, url, site)
        try:
            panel = env.side_panel()
            panel.fill("#task", "Read this page and think about it for ever")
            panel.click("#run-button")
            # The first step is visible while the run is still going.
            panel.wait_for_selector(
                "#steps li[data-tool='page_text'][data-state='ok']", timeout=RUN_TIMEOUT_MS
            )
            assert panel.locator("#run").get_attribute("data-status") == "running"
            # The model's second call now hangs (no cross-process event for that: ask the server).
            wait_until(lambda: requests_seen(url) == 2, what="the second model call")
            panel.click("#stop-button")
            panel.wait_for_selector("#run[data-status='cancelled']", timeout=RUN_TIMEOUT_MS)
            assert panel.locator("#stop-button").is_hidden()
            [run] = env.runs()
            assert run["status"] == "cancelled"
        finally:
            env.browser.context.close()


def test_toolbar_button_and_shortcut_open_the_panel_and_pairing_stays_reachable(
    wb: WbEnv, tmp_path: Path, playwright: Any
) -> None:
    browser = launch(playwright, profile_dir(tmp_path, "profile"), env=wb.env)
    try:
        wait_connection(browser, "not_paired")
        behaviour = browser.call("() => chrome.sidePanel.getPanelBehavior()")
        assert behaviour == {"openPanelOnActionClick": True}
        assert browser.call("() => chrome.action.getPopup({})") == "", "a popup would take the click"
        commands = browser.call("() => chrome.commands.getAll()")
        assert any(c["name"] == "open-side-panel" for c in commands), commands
        panel = browser.extension_page("ui/sidepanel.html")
        panel.wait_for_selector("#conn[data-state='not_paired']")
        assert panel.locator("#connection-details").get_attribute("open") is not None
        frame = panel.frame_locator("#pairing-frame")
        frame.locator("#pair-button").click()
        code = frame.locator("#sas:not([hidden])")
        code.wait_for()
        assert len(code.inner_text().replace(" ", "")) == 6
    finally:
        browser.context.close()
