"""page.wait_for (every condition, event-driven, with timeouts) and page.text, end to end in the user's
signed-in browser on the fixture site."""

from __future__ import annotations

import re

import pytest

from .browser_session import Session

pytestmark = pytest.mark.e2e


@pytest.fixture
def s(shared_s: Session) -> Session:
    """The module's one paired, signed-in browser, in a fresh tab of its own (conftest.shared_s)."""
    return shared_s


def ref_of(s: Session, tab: int, name: str) -> str:
    snap = s.call("page.snapshot", {"tab_id": tab, "mode": "find", "query": name})
    found = re.search(rf'"{re.escape(name)}"[^\n]*?\b((?:f\d+)?e\d+)\b', snap["text"])
    assert found, snap["text"]
    return found.group(1)


def test_wait_for_text_url_dom_quiet_network_idle(s: Session) -> None:
    site, tab = s.site, s.tab_id()
    s.call("page.navigate", {"tab_id": tab, "url": site.url("/late?ms=800")})
    got = s.call("page.wait_for", {"tab_id": tab, "text": "the  ANSWER is 42"})  # case and spaces ignored
    assert s.page.locator("#late-text").count() == 1  # it really was there when the wait returned
    assert got["elapsed_ms"] < 5_000
    got = s.call("page.wait_for", {"tab_id": tab, "url": "ready=1"})  # replaceState, no navigation
    assert got["url"] == site.url("/late?ready=1")
    # already true: answered at once
    assert s.call("page.wait_for", {"tab_id": tab, "text": "Late content"})["elapsed_ms"] < 1_000

    s.call("page.navigate", {"tab_id": tab, "url": site.url("/mutating?ms=900")})
    got = s.call("page.wait_for", {"tab_id": tab, "state": "dom_quiet"})
    assert s.page.locator("#state").text_content() == "quiet"
    assert got["elapsed_ms"] >= 500  # at least the quiet period

    s.call("page.navigate", {"tab_id": tab, "url": site.url("/network?ms=400&count=4")})
    assert s.page.locator("#net").text_content() == "busy"
    s.call("page.wait_for", {"tab_id": tab, "state": "network_idle"})
    assert s.page.locator("#net").text_content() == "idle"
    # a request the page starts later (the counter is in place now): idle again only after it ended
    s.page.evaluate("window.done = false; fetch('/api/slow?ms=900').then(() => { window.done = true; })")
    s.call("page.wait_for", {"tab_id": tab, "state": "network_idle"})
    assert s.page.evaluate("window.done") is True

    # text in a cross-origin frame counts too
    s.call("page.navigate", {"tab_id": tab, "url": site.url("/frames")})
    s.call("page.wait_for", {"tab_id": tab, "text": "Cross button"})


def test_waits_time_out_with_6006(s: Session) -> None:
    site, tab = s.site, s.tab_id()
    s.call("page.navigate", {"tab_id": tab, "url": site.url("/mutating?ms=60000")})
    assert s.error("page.wait_for", {"tab_id": tab, "text": "never shown", "timeout_ms": 400}) == (
        6006, "wait_timeout")
    assert s.error("page.wait_for", {"tab_id": tab, "state": "dom_quiet", "timeout_ms": 700})[0] == 6006
    assert s.error("page.wait_for", {"tab_id": tab, "url": "/elsewhere", "timeout_ms": 300})[0] == 6006
    s.call("page.navigate", {"tab_id": tab, "url": site.url("/network?ms=2000&count=1")})
    assert s.error("page.wait_for", {"tab_id": tab, "state": "network_idle", "timeout_ms": 600})[0] == 6006
    # not exactly one condition
    assert s.error("page.wait_for", {"tab_id": tab}) == (2002, "invalid_message")
    assert s.error("page.wait_for", {"tab_id": tab, "text": "a", "url": "b"})[0] == 2002


def test_wait_for_text_follows_the_page_to_its_next_document(s: Session) -> None:
    site, tab = s.site, s.tab_id()
    s.call("page.navigate", {"tab_id": tab, "url": site.url("/leave?ms=600&to=/inbox/2")})
    got = s.call("page.wait_for", {"tab_id": tab, "text": "ramen place on Elm Street"})
    assert got["url"] == site.url("/inbox/2")  # the page navigated itself; the wait went with it
    assert s.page.locator("#user").text_content() == "alice"


def test_wait_for_ref_and_stale_refs(s: Session) -> None:
    site, tab = s.site, s.tab_id()
    s.call("page.navigate", {"tab_id": tab, "url": site.url("/rerender")})
    ref = ref_of(s, tab, "Select Banana")
    assert s.call("page.wait_for", {"tab_id": tab, "ref": ref})["elapsed_ms"] < 1_000  # visible already
    # hidden, then shown by the page 2 s later: the wait returns only once it renders again
    s.page.evaluate("""() => {
        const b = document.querySelector('[data-name=Banana]');
        b.style.display = 'none';
        setTimeout(() => { b.style.display = ''; window.shown = true; }, 2000);
    }""")
    proc = s.start("page.wait_for", {"tab_id": tab, "ref": ref, "timeout_ms": 10_000})
    s.finish(proc)
    assert s.page.evaluate("window.shown") is True

    # the list re-renders: every node is new, the old ref is stale (never another element)
    s.page.click("#shuffle")
    assert s.error("page.wait_for", {"tab_id": tab, "ref": ref}) == (6001, "stale_ref")
    # W6: the page navigated between the snapshot and the wait
    ref = ref_of(s, tab, "Select Cherry")
    s.call("page.navigate", {"tab_id": tab, "url": site.url("/page/1")})
    assert s.error("page.wait_for", {"tab_id": tab, "ref": ref}) == (6001, "stale_ref")
    s.call("page.navigate", {"tab_id": tab, "action": "back"})  # same URL, new document: still stale
    assert s.error("page.wait_for", {"tab_id": tab, "ref": ref}) == (6001, "stale_ref")


def test_page_text_of_the_inbox(s: Session) -> None:
    site, tab = s.site, s.tab_id()
    got = s.call("page.text", {"tab_id": tab})
    assert got["url"] == site.url("/inbox") and got["title"] == "Inbox" and got["truncated"] is False
    md = got["markdown"]
    assert "Signed in as alice" in md  # the signed-in page, not the login form
    assert "# Inbox" in md
    assert f"[help pages]({site.url('/help')})" in md
    assert "| Subject | From |" in md
    assert f"| [Quarterly report]({site.url('/inbox/1')}) | Finance team |" in md
    assert f"- [Archive]({site.url('/inbox?folder=archive')})" in md
    assert "hidden paragraph" not in md and "inboxLoaded" not in md

    s.call("page.navigate", {"tab_id": tab, "url": site.url("/frames")})
    md = s.call("page.text", {"tab_id": tab})["markdown"]
    assert md.index("# Frames") < md.index("--- frame: ") < md.index("Cross-origin frame")
    assert "Nested button" in md

    s.call("page.navigate", {"tab_id": tab, "url": site.url("/shadow")})
    md = s.call("page.text", {"tab_id": tab})["markdown"]
    assert "Press me" in md and "Deep checkbox" in md  # open shadow roots, slots resolved
    assert "Closed shadow button" not in md  # a closed root cannot be read

    s.call("page.navigate", {"tab_id": tab, "url": site.url("/upload")})
    s.page.fill("#title", "hunter2")
    md = s.call("page.text", {"tab_id": tab})["markdown"]
    assert "hunter2" not in md and "Attachments" in md and "Upload" in md  # field values are never read

    s.call("page.navigate", {"tab_id": tab, "url": site.url("/big?n=10000")})
    short = s.call("page.text", {"tab_id": tab, "max_chars": 1_000})
    assert short["truncated"] is True and len(short["markdown"]) <= 1_000
    whole = s.call("page.text", {"tab_id": tab, "max_chars": 1_000_000})
    assert whole["truncated"] is False and "Button 1999" in whole["markdown"]
