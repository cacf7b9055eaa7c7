"""Tabs and navigation in the user's signed-in browser, end to end: the real CLI → daemon → relay →
extension, real headless Chromium, the fixture site. The user signs in first; the agent then works in that
session (its tabs and navigations stay signed in)."""

from __future__ import annotations

import pytest

from .browser_session import Session

pytestmark = pytest.mark.e2e

GROUP_OF = "async (id) => { const t = await chrome.tabs.get(id); return t.groupId < 0 ? null : " \
    "{id: t.groupId, title: (await chrome.tabGroups.get(t.groupId)).title}; }"


@pytest.fixture
def s(shared_s: Session) -> Session:
    """The module's one paired, signed-in browser, in a fresh tab of its own (conftest.shared_s)."""
    return shared_s


def test_list_find_open_activate_close_with_task_groups(s: Session) -> None:
    site = s.site
    mine = s.tab_id()
    everything = s.call("tabs.list")["tabs"]
    assert [t["id"] for t in everything if t["url"] == site.url("/inbox")] == [mine]
    # find by title or URL: case-insensitive substrings, both filters must match
    assert [t["id"] for t in s.call("tabs.list", {"title": "INBOX"})["tabs"]] == [mine]
    assert [t["id"] for t in s.call("tabs.list", {"url": "/inbox", "title": "inbox"})["tabs"]] == [mine]
    assert s.call("tabs.list", {"url": "/inbox", "title": "Account"})["tabs"] == []

    # Tabs the agent opens join the task's group and are signed in (the session cookie is the user's).
    a = s.call("tabs.open", {"url": site.url("/account"), "group": "Pay invoices"})["tab"]
    assert a["url"] == site.url("/account") and a["title"] == "Account" and a["active"] is False
    b = s.call("tabs.open", {"url": site.url("/inbox/3"), "group": "Pay invoices", "active": True})["tab"]
    c = s.call("tabs.open", {"url": site.url("/inbox/2"), "group": "Plan lunch"})["tab"]
    ga, gb, gc = (s.worker(GROUP_OF, t["id"]) for t in (a, b, c))
    assert ga == gb and ga["title"] == "Pay invoices"
    assert gc["title"] == "Plan lunch" and gc["id"] != ga["id"]
    assert s.worker(GROUP_OF, mine) is None  # the user's own tab is left alone
    account = s.page_for("/account")
    assert account.locator("#user").text_content() == "alice"
    assert account.locator("#plan").text_content() == "Plan: Team (5 seats)"
    # ... and show the indicator (the agent controls them)
    assert account.locator("[data-webbridge-indicator]").count() == 1
    assert s.page.locator("[data-webbridge-indicator]").count() == 0

    # a tab opened without a group is not grouped
    d = s.call("tabs.open", {"url": "about:blank"})["tab"]
    assert s.worker(GROUP_OF, d["id"]) is None

    active = s.call("tabs.activate", {"tab_id": a["id"]})["tab"]
    assert active["id"] == a["id"] and active["active"] is True
    now = {t["id"]: t["active"] for t in s.call("tabs.list")["tabs"]}
    assert now[a["id"]] is True and now[b["id"]] is False and now[mine] is False

    assert s.call("tabs.close", {"tab_id": c["id"]}) == {}
    assert c["id"] not in {t["id"] for t in s.call("tabs.list")["tabs"]}
    assert s.error("tabs.close", {"tab_id": c["id"]}) == (6005, "tab_not_found")
    assert s.error("tabs.activate", {"tab_id": 2_000_000_000}) == (6005, "tab_not_found")
    gone = {"tab_id": 2_000_000_000, "url": site.url("/")}
    assert s.error("page.navigate", gone) == (6005, "tab_not_found")


def test_goto_back_forward_reload_stay_signed_in(s: Session) -> None:
    site, tab = s.site, s.tab_id()
    nav = s.call("page.navigate", {"tab_id": tab, "url": site.url("/account")})
    assert nav == {"url": site.url("/account"), "title": "Account"}
    assert s.page.locator("#user").text_content() == "alice"  # still signed in
    assert s.page.locator("[data-webbridge-indicator]").count() == 1  # the tab is now the agent's

    s.call("page.navigate", {"tab_id": tab, "url": site.url("/page/1")})
    s.call("page.navigate", {"tab_id": tab, "url": site.url("/page/2")})
    back = s.call("page.navigate", {"tab_id": tab, "action": "back"})
    assert back["url"] == site.url("/page/1") and s.page.locator("#n").text_content() == "1"
    back = s.call("page.navigate", {"tab_id": tab, "action": "back"})
    assert back == {"url": site.url("/account"), "title": "Account"}
    assert s.page.locator("#user").text_content() == "alice"
    fwd = s.call("page.navigate", {"tab_id": tab, "action": "forward"})
    assert fwd["url"] == site.url("/page/1")
    # reload: a new document (a marker set in the old one is gone), same URL, still signed in
    s.page.evaluate("window.marker = 1")
    again = s.call("page.navigate", {"tab_id": tab, "action": "reload"})
    assert again["url"] == site.url("/page/1")
    assert s.page.evaluate("window.marker") is None
    assert s.page.locator("#user").text_content() == "alice"
    assert s.page.locator("[data-webbridge-indicator]").count() == 1  # shown again in the new document

    # wait: load waits for the load event (a slow image holds it back)
    s.call("page.navigate", {"tab_id": tab, "url": site.url("/slow-load?ms=700")})
    assert s.page.evaluate("document.readyState") == "complete"
    assert s.page.evaluate("document.getElementById('slow-img').complete") is True
    # wait: none returns before the (slow) server has answered
    quick = s.call("page.navigate", {"tab_id": tab, "url": site.url("/slow?ms=1500"), "wait": "none"})
    assert quick["url"] in (site.url("/slow?ms=1500"), site.url("/slow-load?ms=700"))
    s.call("page.wait_for", {"tab_id": tab, "text": "Served after 1500 ms"})


def test_same_document_history_and_navigation_failures(s: Session) -> None:
    site, tab = s.site, s.tab_id()
    s.call("page.navigate", {"tab_id": tab, "url": site.url("/spa")})
    s.page.click("text=Items")
    s.page.click("text=Item 2")
    assert s.page.url == site.url("/spa/items/2")
    # back through pushState entries: same document, no load event, still answered at once
    back = s.call("page.navigate", {"tab_id": tab, "action": "back", "timeout_ms": 5_000})
    assert back["url"] == site.url("/spa/items")
    assert s.page.locator("#renders").text_content() == "4"  # popstate re-rendered the same document
    frag = s.call("page.navigate", {"tab_id": tab, "url": site.url("/spa/items#top"), "timeout_ms": 5_000})
    assert frag["url"] == site.url("/spa/items#top")

    # a page slower than the timeout: 6006, and the navigation carries on
    assert s.error("page.navigate", {"tab_id": tab, "url": site.url("/slow?ms=3000"), "timeout_ms": 300}) == (
        6006, "wait_timeout")
    s.call("page.wait_for", {"tab_id": tab, "url": "/slow?ms=3000"})
    # nothing listens there: the navigation fails without loading a page
    code, _ = s.error("page.navigate", {"tab_id": tab, "url": "http://127.0.0.1:9/"})
    assert code == 6007
    # a download loads no page either
    code, _ = s.error("page.navigate", {"tab_id": tab, "url": site.url("/download/notes.txt")})
    assert code == 6007
    # a fresh tab has nowhere to go back to
    fresh = s.call("tabs.open", {"url": site.url("/page/9")})["tab"]
    assert s.error("page.navigate", {"tab_id": fresh["id"], "action": "back", "timeout_ms": 3_000})[0] == 6007
    # goto needs a URL, reload takes none (refused before anything happens)
    assert s.error("page.navigate", {"tab_id": tab, "action": "goto"}) == (2002, "invalid_message")
    assert s.error("page.navigate", {"tab_id": tab, "action": "reload", "url": site.url("/")})[0] == 2002


def test_indicator_stop_is_recorded_only_for_a_real_click(s: Session) -> None:
    opened = s.call("tabs.open", {"url": s.site.url("/forms"), "active": True})["tab"]
    page = s.page_for("/forms")
    host = page.locator("[data-webbridge-indicator]")
    assert host.count() == 1
    assert page.evaluate("document.querySelector('[data-webbridge-indicator]').shadowRoot") is None  # closed
    stops = "async () => (await chrome.storage.session.get('stop_requests')).stop_requests ?? []"
    controlled = "async () => (await chrome.storage.session.get('controlled_tabs')).controlled_tabs ?? {}"
    assert str(opened["id"]) in s.worker(controlled)

    # The page cannot press Stop: synthetic clicks on the host reach nothing, and the button ignores them.
    page.evaluate("document.querySelector('[data-webbridge-indicator]').click()")
    page.dispatch_event("[data-webbridge-indicator]", "click")
    assert s.worker(stops) == []

    box = host.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] - 24, box["y"] + box["height"] / 2)  # the user's click
    from .conftest import wait_until

    recorded = wait_until(lambda: s.worker(stops), what="a stop request")
    assert recorded[0]["tab_id"] == opened["id"] and recorded[0]["url"] == s.site.url("/forms")
    wait_until(lambda: str(opened["id"]) not in s.worker(controlled), what="the tab released")
