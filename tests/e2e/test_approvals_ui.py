"""Approvals in real Chromium: a run started from the side panel meets the shipped policy (clicks ask), the
panel shows the approval card drawn from the structured request, and the user's answer decides what the
real daemon lets through; the options page lists the grant and revokes it. The scripted model server plays
the provider; a small shop on 127.0.0.1 records every state-changing request, so "nothing happened" is
checked where it would have happened."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ..conftest import WbEnv
from ..fixtures.site import FixtureSite
from ..process._scripted import scripted_model, wait_until, write_policy
from ._panel import RUN_TIMEOUT_MS, Panelled, start
from .browser_session import signed_in_session

pytestmark = pytest.mark.e2e

SHOP_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mug shop</title></head>
<body><main><h1>Blue mug</h1><p id="cart">Cart: 0</p>
<button id="add" type="button">Add to cart</button>
<button id="buy" type="button">Buy now</button></main>
<script>
const say = (t) => { document.getElementById("cart").textContent = t; };
const post = (path) => fetch(path, {method: "POST"}).then((r) => r.text());
document.getElementById("add").onclick = () => post("/add").then((n) => say("Cart: " + n));
document.getElementById("buy").onclick = () => post("/buy").then(() => say("Bought"));
</script></body></html>"""
#: The snapshot's refs of the two buttons (stable: the page never changes shape).
ADD, BUY = "e3", "e4"  # top-frame refs: no frame prefix


class Shop:
    """A real HTTP server on 127.0.0.1 that counts every POST (the state-changing requests)."""

    def __init__(self) -> None:
        self.posts: Counter[str] = Counter()
        lock = threading.Lock()
        shop = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._send(200, "text/html; charset=utf-8", SHOP_PAGE)

            def do_POST(self) -> None:
                with lock:
                    shop.posts[self.path] += 1
                    count = shop.posts[self.path]
                self._send(200, "text/plain", str(count))

            def _send(self, status: int, ctype: str, text: str) -> None:
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"


@pytest.fixture
def shop() -> Iterator[Shop]:
    s = Shop()
    thread = threading.Thread(target=s.server.serve_forever, daemon=True)
    thread.start()
    yield s
    s.server.shutdown()
    s.server.server_close()


def call(call_id: str, name: str, **arguments: object) -> dict[str, object]:
    return {"tool_calls": [{"id": call_id, "name": name, "arguments": arguments}]}


def _start(playwright: Any, wb: WbEnv, tmp_path: Path, url: str, shop: Shop) -> Panelled:
    # The shipped policy (clicks ask); a timeout long enough that only the test's answer decides.
    return start(playwright, wb, tmp_path, url, shop.url, policy=None, approval_timeout_s="120")


def _run_task(panel: Any, task: str) -> None:
    panel.fill("#task", task)
    panel.click("#run-button")


@contextmanager
def _asked(
    playwright: Any, wb: WbEnv, tmp_path: Path, shop: Shop, task: str, steps: list[dict[str, Any]]
) -> Iterator[tuple[Panelled, Any, Any]]:
    """``task`` run from the side panel against the scripted ``steps`` until its first approval card shows;
    yields the browser, the panel and the card. The browser is closed afterwards."""
    with scripted_model(tmp_path, steps) as url:
        env = _start(playwright, wb, tmp_path, url, shop)
        try:
            panel = env.side_panel()
            _run_task(panel, task)
            card = panel.locator("#approval-list li.approval-card")
            card.wait_for(timeout=RUN_TIMEOUT_MS)
            yield env, panel, card
        finally:
            env.browser.context.close()


def test_allow_for_this_task_lets_the_run_finish_and_a_similar_action_ask_no_more(
    wb: WbEnv, tmp_path: Path, shop: Shop, playwright: Any
) -> None:
    task = "Put two blue mugs in the cart"
    steps = [
        {"expect": {"last_message_contains": task}, "reply": call("c1", "snapshot")},
        {"expect": {"last_tool_result_for": "c1", "last_message_contains": f'button "Add to cart" {ADD}'},
         "reply": call("c2", "click", ref=ADD)},
        {"expect": {"last_tool_result_for": "c2", "last_message_contains": "Cart: 1"},
         "reply": call("c3", "click", ref=ADD)},
        {"expect": {"last_tool_result_for": "c3", "last_message_contains": "Cart: 2"},
         "reply": {"text": "Two mugs are in the cart."}},
    ]  # fmt: skip
    with _asked(playwright, wb, tmp_path, shop, task, steps) as (env, panel, card):
        assert card.locator(".title").inner_text() == "Allow interact on 127.0.0.1?"
        assert card.locator(".where").inner_text() == "http://127.0.0.1"  # origin as the policy sees it
        assert card.locator(".element").inner_text() == "button “Add to cart”"
        assert card.get_attribute("data-irreversible") == "false"
        assert card.locator(".irreversible-mark").count() == 0
        answers = card.locator("button").evaluate_all("bs => bs.map(b => b.dataset.answer)")
        assert answers == ["once", "task", "session", "always", "deny"]
        assert card.locator("button[data-answer='always']").inner_text() == "Always allow for 127.0.0.1"
        assert card.locator(".countdown").inner_text() in ("2:00", "1:59", "1:58")
        assert shop.posts["/add"] == 0, "nothing happened before the answer"

        card.locator("button[data-answer='task']").click()
        panel.wait_for_selector("#run[data-status='done']", timeout=RUN_TIMEOUT_MS)
        assert panel.locator("#answer").inner_text() == "Two mugs are in the cart."
        assert panel.locator("#approvals").is_hidden(), "the card left with approval.resolved"
        # One approval in the run's steps (the second click asked nobody), allowed for the task.
        asked = panel.locator("#steps li.approval")
        assert asked.count() == 1
        assert asked.get_attribute("data-state") == "allowed"
        assert "allowed for this task (side panel)" in asked.inner_text()
        assert shop.posts["/add"] == 2
        run_id = panel.locator("#run-id").inner_text()

        # The options page, from the panel's Settings button: it lists the grant, and revokes it.
        with env.browser.context.expect_page() as opened:
            panel.click("#open-options")
        options = opened.value
        options.wait_for_selector("#conn[data-state='connected']", timeout=RUN_TIMEOUT_MS)
        assert options.url.endswith("/ui/options.html")
        assert options.locator("#mode").get_attribute("data-mode") == "grants"
        row = options.locator("#grants-list li[data-active='true']")
        row.wait_for(timeout=RUN_TIMEOUT_MS)
        assert row.locator(".what").inner_text() == f"interact on 127.0.0.1 — for task {run_id}"
        grant_id = row.get_attribute("data-grant-id")
        row.locator("button.revoke").click()
        options.wait_for_selector("#grants-empty:not([hidden])", timeout=RUN_TIMEOUT_MS)
        grants = json.loads(wb.run("grants", "list", "--all", "--json").stdout)
        [revoked] = [g for g in grants if g["id"] == grant_id]
        assert revoked["revoked_at"] is not None
        assert (revoked["domain"], revoked["classes"]) == ("127.0.0.1", ["interact"])
        assert revoked["task_id"] == run_id


def test_deny_reaches_the_model_and_an_irreversible_buy_offers_no_lasting_grant(
    wb: WbEnv, tmp_path: Path, shop: Shop, playwright: Any
) -> None:
    task = "Buy the blue mug"
    steps = [
        {"expect": {"last_message_contains": task}, "reply": call("c1", "snapshot")},
        {"expect": {"last_tool_result_for": "c1", "last_message_contains": f'button "Buy now" {BUY}'},
         "reply": call("c2", "click", ref=BUY)},
        # The user's Deny reaches the model as PolicyDenied, as the result of that very call.
        {"expect": {"last_tool_result_for": "c2", "last_message_contains": "8001"},
         "reply": {"text": "You declined the purchase, so I did not buy it."}},
    ]  # fmt: skip
    with _asked(playwright, wb, tmp_path, shop, task, steps) as (_, panel, card):
        assert card.get_attribute("data-irreversible") == "true"
        assert card.locator(".title").inner_text() == "Allow purchase on 127.0.0.1?"
        assert card.locator(".element").inner_text() == "button “Buy now”"
        mark = card.locator(".irreversible-mark").inner_text()
        assert mark == "Irreversible: purchase cannot be undone"
        answers = card.locator("button").evaluate_all("bs => bs.map(b => b.dataset.answer)")
        assert answers == ["once", "deny"], "no lasting grant, and no 'always', for an irreversible verb"

        card.locator("button[data-answer='deny']").click()
        panel.wait_for_selector("#run[data-status='done']", timeout=RUN_TIMEOUT_MS)
        assert panel.locator("#answer").inner_text() == "You declined the purchase, so I did not buy it."
        asked = panel.locator("#steps li.approval")
        assert asked.get_attribute("data-state") == "denied"
        step = panel.locator("#steps li[data-tool='click']")
        assert step.get_attribute("data-state") == "error" and "[8001]" in step.inner_text()
        assert shop.posts["/buy"] == 0, "the purchase never reached the shop"
        grants = json.loads(wb.run("grants", "list", "--all", "--json").stdout)
        assert grants == []


#: The fixture site is on 127.0.0.1: clicking and typing there are denied by a site rule; reading is not.
DENY_ACTING = """
[sites."127.0.0.1"]
interact = "deny"
type = "deny"
submit = "deny"
"""


def test_the_extension_refuses_acting_on_a_denied_site_even_when_the_daemon_asks(
    wb: WbEnv, tmp_path: Path, playwright: Any, fixture_site: FixtureSite
) -> None:
    write_policy(wb, DENY_ACTING)
    with signed_in_session(wb, tmp_path, playwright, fixture_site) as s:
        s.page.goto(fixture_site.url("/forms"))
        tab = s.tab_id()
        snapshot = s.call("page.snapshot", {"tab_id": tab})  # reading is allowed
        ref = snapshot["text"].split('textbox "Full name"', 1)[1].split("\n")[0].split()[-1]
        before = s.page.evaluate("document.querySelector('#live').textContent")
        # The daemon asks (bridge.call goes straight to the extension, past the daemon's own policy):
        assert s.error("page.act", {"tab_id": tab, "action": "fill", "ref": ref, "text": "Mallory"}) == (
            8021, "extension_policy_refused")
        assert s.error("page.act", {"tab_id": tab, "action": "click", "ref": ref}) == (
            8021, "extension_policy_refused")
        assert s.page.evaluate("document.querySelector('#live').textContent") == before, "nothing was typed"
        status = s.worker("() => self.__webbridge.policyStatus()")
        assert status["summary"]["state"] == "ready" and status["summary"]["refusals"] == 2

        # The options page shows the policy the extension holds, and the grants (one added from the CLI).
        wb.run("grants", "add", "shop.example.com", "submit", "--lifetime", "always")
        options = s.browser.extension_page("ui/options.html")
        options.wait_for_selector("#conn[data-state='connected']", timeout=RUN_TIMEOUT_MS)
        options.wait_for_selector("#denied-list li", timeout=RUN_TIMEOUT_MS)
        denied = options.locator("#denied-list li").all_inner_texts()
        assert "127.0.0.1 (site rule: interact, type, submit)" in denied
        assert "paypal.com (banking: everything)" in denied
        row = options.locator("#grants-list li[data-active='true']")
        row.wait_for(timeout=RUN_TIMEOUT_MS)
        assert row.locator(".what").inner_text() == "submit on shop.example.com — always"
        row.locator("button.revoke").click()
        options.wait_for_selector("#grants-empty:not([hidden])", timeout=RUN_TIMEOUT_MS)
        [grant] = json.loads(wb.run("grants", "list", "--all", "--json").stdout)
        assert grant["revoked_at"] is not None

        # The user lifts the rule: a new session fetches the new summary, and the same request acts.
        write_policy(wb, None)
        version = status["summary"]["version"]
        s.worker("() => self.__webbridge.reconnect()")
        s.worker("() => self.__webbridge.waitForStatus('connected')")
        s.call("page.act", {"tab_id": tab, "action": "fill", "ref": ref, "text": "Alice"})
        after = s.worker("() => self.__webbridge.policyStatus()")["summary"]
        assert after["state"] == "ready" and after["version"] != version
        assert json.loads(s.page.evaluate("document.querySelector('#live').textContent"))["name"] == ["Alice"]


def test_with_no_side_panel_open_a_notification_asks_and_its_deny_button_answers(
    wb: WbEnv, tmp_path: Path, shop: Shop, playwright: Any
) -> None:
    task = "Buy the blue mug now"
    steps = [
        {"expect": {"last_message_contains": task}, "reply": call("c1", "snapshot")},
        {"expect": {"last_tool_result_for": "c1", "last_message_contains": f'button "Buy now" {BUY}'},
         "reply": call("c2", "click", ref=BUY)},
        {"expect": {"last_tool_result_for": "c2", "last_message_contains": "8001"},
         "reply": {"text": "Not bought: you said no."}},
    ]  # fmt: skip
    with scripted_model(tmp_path, steps) as url:
        env = _start(playwright, wb, tmp_path, url, shop)

        def status() -> dict[str, Any]:
            result: dict[str, Any] = env.browser.call("() => self.__webbridge.policyStatus()")
            return result

        try:
            env.page.bring_to_front()
            # From the command line, in the user's current tab: no side panel is open.
            proc = subprocess.Popen(
                [sys.executable, "-m", "webbridge", "run", task, "--tab", "current", "--json"],
                env=wb.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            try:
                # A notification in another process's UI has no event this test can wait on: poll it.
                wait_until(lambda: bool(status()["notifications"]), what="the approval notification")
                [note] = status()["notifications"]
                [pending] = status()["approvals"]["pending"]
                assert note == f"webbridge-approval:{pending}"
                shown = env.browser.call("() => chrome.notifications.getAll()")
                assert list(shown) == [note]
                assert shop.posts["/buy"] == 0
                assert env.browser.call(f"() => self.__webbridge.notificationButton({note!r}, 1)") == {
                    "answered": True}
                out, err = proc.communicate(timeout=RUN_TIMEOUT_MS / 1000)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()
            assert proc.returncode == 0, err
            events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
            [resolved] = [e for e in events if e.get("type") == "approval.resolved"]
            assert (resolved["allowed"], resolved["by"]) == (False, "notification")
            assert events[-1]["type"] == "run.finished"
            assert events[-1]["message"] == "Not bought: you said no."
            assert status()["notifications"] == [], "answered: the notification is gone"
            assert shop.posts["/buy"] == 0
        finally:
            env.browser.context.close()
