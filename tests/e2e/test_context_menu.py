"""The "Ask WebBridge" context menu in real Chromium: the real `contextMenus.onClicked` handler (driven
through the debug hook, as headless Chromium cannot click a native menu) hands the selection and the source
tab to the side panel, which runs the user's task in that tab with the selection attached as untrusted
context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..conftest import WbEnv
from ..process._scripted import scripted_model
from ._panel import RUN_TIMEOUT_MS, start

pytestmark = pytest.mark.e2e

SELECTION = "Fixture"


def _click_menu(env: Any, site: str, **info: Any) -> dict[str, Any]:
    data = {"menuItemId": "webbridge-ask", "editable": False, "pageUrl": site, **info}
    result: dict[str, Any] = env.browser.call(
        "([info, tab]) => self.__webbridge.contextMenuClick(info, tab)", [data, env.tab_id]
    )
    return result


def test_a_selection_sent_from_the_context_menu_runs_in_its_tab(
    wb: WbEnv, tmp_path: Path, site: str, playwright: Any
) -> None:
    steps = [
        # The model gets the user's words, and the selection as page data after them.
        {"expect": {"any_message_contains": "Explain the selection",
                    "last_message_contains": f"Selected text: {SELECTION}"},
         "reply": {"tool_calls": [{"id": "c1", "name": "page_text", "arguments": {}}]}},
        {"expect": {"last_tool_result_for": "c1", "last_message_contains": "Fixture"},
         "reply": {"text": "It is the heading of the fixture page."}},
    ]  # fmt: skip
    with scripted_model(tmp_path, steps) as url:
        env = start(playwright, wb, tmp_path, url, site)
        try:
            handed = _click_menu(env, site, selectionText=SELECTION)
            assert handed["tab_id"] == env.tab_id
            assert handed["context"] == {
                "what": "selection", "page_url": site, "page_title": "Fixture home", "selection": SELECTION,
                "link_url": None, "image_url": None,
            }  # fmt: skip

            panel = env.side_panel()
            context = panel.locator("#context")
            context.wait_for(state="visible", timeout=RUN_TIMEOUT_MS)
            assert panel.locator("#context-text").inner_text() == f"Selected text: “{SELECTION}”"
            panel.fill("#task", "Explain the selection")
            panel.click("#run-button")
            panel.wait_for_selector(
                "#steps li[data-tool='page_text'][data-state='ok']", timeout=RUN_TIMEOUT_MS
            )
            panel.wait_for_selector("#run[data-status='done']", timeout=RUN_TIMEOUT_MS)
            assert panel.locator("#answer").inner_text() == "It is the heading of the fixture page."
            assert context.is_hidden(), "the context is used once"

            [run] = env.runs()
            assert (run["source"], run["tab_id"], run["status"]) == ("context_menu", env.tab_id, "done")
        finally:
            env.browser.context.close()


def test_a_link_click_replaces_the_context_and_other_menus_are_ignored(
    wb: WbEnv, tmp_path: Path, site: str, playwright: Any
) -> None:
    with scripted_model(tmp_path, []) as url:
        env = start(playwright, wb, tmp_path, url, site)
        try:
            panel = env.side_panel()
            _click_menu(env, site, selectionText="first")
            panel.wait_for_selector("#context:not([hidden])", timeout=RUN_TIMEOUT_MS)
            # A second right-click while the panel is open replaces what is attached.
            _click_menu(env, site, linkUrl=f"{site}other")
            panel.wait_for_function(
                "t => document.querySelector('#context-text').textContent === t",
                arg=f"Link: {site}other",
                timeout=RUN_TIMEOUT_MS,
            )
            assert _click_menu(env, site, menuItemId="someone-else") is None
            panel.click("#context-clear")
            assert panel.locator("#context").is_hidden()
            assert env.browser.call("() => self.__webbridge.status()")["connection"] == "connected"
            assert env.runs() == []
        finally:
            env.browser.context.close()
