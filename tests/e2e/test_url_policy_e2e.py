"""W7 (blocked URL schemes and the extension stores) and W6 (the page navigates between calls) in real
Chromium, through the real daemon and relay, in the user's signed-in browser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from webbridge import meta
from webbridge.protocol.refs import is_ref

from .browser_session import Session

pytestmark = pytest.mark.e2e

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "url_policy.json").read_text("utf-8"))
BLOCKED = [c["url"] for c in VECTORS["cases"] if not c["allowed"]]


@pytest.fixture
def s(shared_s: Session) -> Session:
    """The module's one paired, signed-in browser, in a fresh tab of its own (conftest.shared_s)."""
    return shared_s


def tabs_state(s: Session) -> list[tuple[int, str]]:
    return sorted((t["id"], t["url"]) for t in s.call("tabs.list")["tabs"])


def test_w7_every_blocked_url_is_refused_and_nothing_navigates(s: Session) -> None:
    assert len(BLOCKED) > 50
    tab = s.tab_id()
    before = tabs_state(s)
    history = s.page.evaluate("history.length")
    dialogs: list[str] = []
    s.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    opened = s.outcomes("tabs.open", [{"url": u, "active": True} for u in BLOCKED])
    navigated = s.outcomes("page.navigate", [{"tab_id": tab, "url": u, "timeout_ms": 3_000} for u in BLOCKED])
    wrong = {u: (o, n) for u, o, n in zip(BLOCKED, opened, navigated, strict=True)
             if o != (6004, "url_blocked") or n != (6004, "url_blocked")}
    assert wrong == {}
    assert tabs_state(s) == before  # no tab opened, the user's tab still on its page
    assert s.page.url == s.site.url("/inbox") and s.page.evaluate("history.length") == history
    s.page.evaluate("0")  # let Playwright deliver any dialog event
    assert dialogs == []  # no javascript: URL ran
    # the allowed neighbours of those cases do work
    assert s.call("tabs.open", {"url": "about:blank"})["tab"]["url"] == "about:blank"
    assert s.call("page.navigate", {"tab_id": tab, "url": " " + s.site.url("/account")})["title"] == "Account"


def test_w7_no_acting_in_tabs_that_show_blocked_pages(s: Session) -> None:
    browser_page = s.browser.context.new_page()
    browser_page.goto("chrome://version")
    own_page = s.browser.extension_page("ui/popup.html")
    for url in ("chrome://version/", f"chrome-extension://{meta.EXTENSION_ID}/ui/popup.html"):
        (tab,) = [t["id"] for t in s.call("tabs.list")["tabs"] if t["url"] == url]
        for kind, body in (
            ("page.text", {}),
            ("page.wait_for", {"text": "Chromium"}),
            ("page.wait_for", {"state": "dom_quiet"}),
            ("page.navigate", {"action": "reload"}),
            ("page.navigate", {"action": "back"}),
        ):
            assert s.error(kind, {"tab_id": tab, **body}) == (6004, "url_blocked"), (url, kind, body)
    # the user may still have the agent bring such a tab to the front or close it: that is not acting in it
    assert s.call("tabs.activate", {"tab_id": tab})["tab"]["active"] is True
    assert own_page.url.endswith("ui/popup.html") and browser_page.url == "chrome://version/"


def test_w6_the_page_navigates_between_calls(s: Session) -> None:
    site, tab = s.site, s.tab_id()
    # a snapshot's ref names an element of one document; the page then leaves by itself
    s.call("page.navigate", {"tab_id": tab, "url": site.url("/leave?ms=700&to=/inbox/1")})
    snap = s.call("page.snapshot", {"tab_id": tab, "mode": "find", "query": "Stay button"})
    ref = next(w for w in snap["text"].split() if is_ref(w))
    s.call("page.wait_for", {"tab_id": tab, "url": site.url("/inbox/1")})
    assert s.error("page.wait_for", {"tab_id": tab, "ref": ref}) == (6001, "stale_ref")
    # what is read afterwards is the new page, still signed in
    text = s.call("page.text", {"tab_id": tab})
    assert text["url"] == site.url("/inbox/1") and "Quarterly report" in text["markdown"]
    assert "Signed in as alice" in text["markdown"]
    # the page leaves for a page the agent may not act in: refused from then on
    s.page.goto("chrome://version")
    assert s.error("page.text", {"tab_id": tab}) == (6004, "url_blocked")
