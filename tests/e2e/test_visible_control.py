"""Visible control in real Chromium (issue 3 item 5): a run started in the side panel works in the user's
current tab and shows the indicator there; it is refused (7130) in another of the user's tabs, where nothing
happens; the indicator's Stop ends the run (cancelled) and the indicator goes; a task that names a tab by URL
may work in it; tabs the run opens are grouped under the task's first words; the group stays after the run;
tabs the run's clicks open (``target=_blank``, ``window.open``) are the run's, while a tab the user opened
from the same page before the run stays refused.

The scripted model names tab ids, which exist only once the browser runs, while the daemon learns the model's
URL when the browser starts it: the model server's port is reserved first and the server is started on it
once the tabs are known."""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from webbridge.launch import Browser, launch

from ..conftest import WbEnv
from ..fixtures.site import FixtureSite
from ..process._scripted import API_KEY, model_server, requests_seen, scripted_model, use_model
from ._panel import RUN_TIMEOUT_MS
from .conftest import pair, profile_dir, wait_until
from .opener_agent import HELP, REPORT, WINDOW

pytestmark = pytest.mark.e2e

INDICATOR = "[data-webbridge-indicator]"
TAB_RUNS = "async () => (await chrome.storage.session.get('tab_runs')).tab_runs ?? {}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def tab_id_of(browser: Browser, url: str) -> int:
    [tab_id] = [t["id"] for t in browser.call("() => chrome.tabs.query({})") if t["url"] == url]
    return int(tab_id)


def call(call_id: str, name: str, **arguments: Any) -> dict[str, Any]:
    return {"tool_calls": [{"id": call_id, "name": name, "arguments": arguments}]}


def scrolled(page: Any) -> int:
    return int(page.evaluate("window.scrollY"))


def start_run(browser: Browser, task: str) -> Any:
    panel = browser.extension_page("ui/sidepanel.html")
    panel.wait_for_selector("#conn[data-state='connected']", timeout=RUN_TIMEOUT_MS)
    panel.fill("#task", task)
    panel.click("#run-button")
    panel.wait_for_selector("#run[data-status='running'], #run[data-status='done']", timeout=RUN_TIMEOUT_MS)
    return panel


def test_a_run_acts_in_its_tab_only_and_the_indicators_stop_ends_it(
    wb: WbEnv, tmp_path: Path, fixture_site: FixtureSite, playwright: Any
) -> None:
    port = free_port()
    use_model(wb, f"http://127.0.0.1:{port}")
    browser = launch(playwright, profile_dir(tmp_path, "profile"), env=wb.env)
    try:
        pair(browser, wb)
        # The user's own tabs: another page first, then the one the task is about (the current tab).
        other_url, current_url = fixture_site.url("/big?n=600&tab=other"), fixture_site.url("/big?n=600")
        other = browser.context.new_page()
        other.goto(other_url)
        current = browser.context.new_page()
        current.goto(current_url)
        current.bring_to_front()
        other_id, current_id = tab_id_of(browser, other_url), tab_id_of(browser, current_url)
        steps = [
            {"expect": {"last_message_contains": "Scroll down"}, "reply": call("c1", "scroll", dy=700)},
            {"expect": {"last_tool_result_for": "c1"},
             "reply": call("c2", "scroll", dy=700, tab_id=other_id)},
            # Reading the other tab is refused too (only the tab list is free).
            {"expect": {"last_tool_result_for": "c2", "last_message_contains": "7130"},
             "reply": call("c3", "page_text", tab_id=other_id)},
            {"expect": {"last_tool_result_for": "c3", "last_message_contains": "tab_not_granted"},
             "reply": {"hang": True}},
        ]  # fmt: skip
        with scripted_model(tmp_path, steps, port=port) as url:
            panel = start_run(browser, "Scroll down the page and look around")
            wait_until(lambda: requests_seen(url) == 4, what="the model's fourth call")
            # It worked in the current tab, which shows the indicator with the task's words ...
            current.wait_for_selector(INDICATOR, state="attached", timeout=RUN_TIMEOUT_MS)
            assert scrolled(current) > 0
            run_id = panel.locator("#run-id").inner_text()
            assert browser.call(TAB_RUNS) == {
                str(current_id): {"runs": [run_id], "label": "WebBridge: Scroll down the page and"}
            }
            # ... and nothing happened in the user's other tab: not scrolled, not marked, no indicator.
            assert scrolled(other) == 0
            assert other.locator(INDICATOR).count() == 0
            # The panel shows both refusals as failed steps.
            for tool in ("scroll", "page_text"):
                refused = panel.locator(f"#steps li[data-tool='{tool}'][data-state='error']")
                refused.wait_for(timeout=RUN_TIMEOUT_MS)

            # The user presses Stop in the page (a trusted click on the pill's button).
            box = current.locator(INDICATOR).bounding_box()
            assert box is not None
            current.mouse.click(box["x"] + box["width"] - 24, box["y"] + box["height"] / 2)
            panel.wait_for_selector("#run[data-status='cancelled']", timeout=RUN_TIMEOUT_MS)
            current.wait_for_selector(INDICATOR, state="detached", timeout=RUN_TIMEOUT_MS)
            [run] = [r for r in wb_runs(wb) if r["run_id"] == run_id]
            assert run["status"] == "cancelled" and run["tab_id"] == current_id
            assert browser.call(TAB_RUNS) == {}
    finally:
        browser.context.close()


def test_a_task_naming_a_tab_may_act_there_and_opened_tabs_join_the_tasks_group(
    wb: WbEnv, tmp_path: Path, fixture_site: FixtureSite, playwright: Any
) -> None:
    port = free_port()
    use_model(wb, f"http://127.0.0.1:{port}")
    browser = launch(playwright, profile_dir(tmp_path, "profile"), env=wb.env)
    try:
        pair(browser, wb)
        # The named tab is on "localhost" (the same server): another host than the current tab's 127.0.0.1.
        named_url = fixture_site.url("/big?n=600").replace("127.0.0.1", "localhost")
        named = browser.context.new_page()
        named.goto(named_url)
        current = browser.context.new_page()
        current.goto(fixture_site.url("/"))
        current.bring_to_front()
        named_id = tab_id_of(browser, named_url)
        task = f"Read the list at {named_url.split('?')[0]} and take notes"
        forms_url = fixture_site.url("/forms")
        steps = [
            {"reply": call("c1", "scroll", dy=700, tab_id=named_id)},
            {"expect": {"last_tool_result_for": "c1"}, "reply": call("c2", "tab_open", url=forms_url)},
            {"expect": {"last_tool_result_for": "c2", "last_message_contains": "Opened tab"},
             "reply": call("c3", "tab_open", url=forms_url + "?second=1")},
            {"expect": {"last_tool_result_for": "c3"}, "reply": {"text": "Noted."}},
        ]  # fmt: skip
        with scripted_model(tmp_path, steps, port=port):
            panel = start_run(browser, task)
            panel.wait_for_selector("#run[data-status='done']", timeout=RUN_TIMEOUT_MS)
        assert scrolled(named) > 0
        # The run is over: its indicators are gone, in the named tab too.
        named.wait_for_selector(INDICATOR, state="detached", timeout=RUN_TIMEOUT_MS)
        wait_until(lambda: browser.call(TAB_RUNS) == {}, what="every tab released")

        tabs = browser.call("() => chrome.tabs.query({})")
        opened = [t for t in tabs if t["url"].startswith(forms_url)]
        assert len(opened) == 2
        [group_id] = {t["groupId"] for t in opened}
        assert group_id != -1, "the tabs the run opened are grouped"
        group = browser.call("(id) => chrome.tabGroups.get(id)", group_id)
        assert group["title"] == "Read the list at"  # the task's first words, at most 24 characters
        # The user's own tabs stay where they were.
        assert {t["groupId"] for t in tabs if not t["url"].startswith(forms_url)} == {-1}
    finally:
        browser.context.close()


def wb_runs(wb: WbEnv) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = json.loads(wb.run("runs", "--json").stdout)
    return result


def test_tabs_the_runs_clicks_open_are_its_own_but_not_one_the_user_opened_before(
    wb: WbEnv, tmp_path: Path, fixture_site: FixtureSite, playwright: Any
) -> None:
    agent = ("--handler", "tests.e2e.opener_agent:agent", "--api-key", API_KEY, "--port", "0")
    with model_server(*agent, what="opener agent") as url:
        use_model(wb, url)
        browser = launch(playwright, profile_dir(tmp_path, "profile"), env=wb.env)
        try:
            pair(browser, wb)
            current = browser.context.new_page()
            current.goto(fixture_site.url("/opener"))
            with browser.context.expect_page() as opened:  # the user opens the help, before any run
                current.click("#help")
            opened.value.wait_for_load_state()
            current.bring_to_front()
            # No "page" in the task: the fixture pages' title "Page" would name them all.
            task = "Follow the report and the window links here"
            panel = start_run(browser, task)
            panel.wait_for_selector("#run[data-status='done']", timeout=RUN_TIMEOUT_MS)
            run_id = panel.locator("#run-id").inner_text()
            with urllib.request.urlopen(f"{url}/__scripted__/state", timeout=10) as res:
                last = json.load(res)["requests"][-1]
            tabs = browser.call("() => chrome.tabs.query({})")
            opened_by = browser.call("async () => (await chrome.storage.session.get('opened_by')).opened_by")
        finally:
            browser.context.close()
    results = [str(m["text"]) for m in last["messages"] if m["role"] == "tool"]
    assert len(results) == 7 and not any(r.startswith("Error") for r in results[:6]), results
    # The run read both tabs its clicks opened, and was refused the one the user had opened.
    assert "# Page 1" in results[4] and "# Page 3" in results[5]
    assert results[6].startswith("Error 7130 tab_not_granted: tab "), results[6]
    paths = (REPORT, WINDOW, HELP, "/opener")
    ids = {path: int(t["id"]) for t in tabs for path in paths if t["url"].endswith(path)}
    assert opened_by == {str(ids[REPORT]): run_id, str(ids[WINDOW]): run_id}
    # The run's new tabs joined its group; the user's tabs stay where they were.
    groups = {int(t["id"]): t["groupId"] for t in tabs}
    assert groups[ids[REPORT]] == groups[ids[WINDOW]] != -1
    assert groups[ids[HELP]] == groups[ids["/opener"]] == -1
