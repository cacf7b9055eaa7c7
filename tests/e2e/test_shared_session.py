"""The shared browser's reset between tests (shared_session.fresh_tab): a test in a module that shares one
browser must not see, and so cannot pass because of, what an earlier test left — tabs and their page state,
what the fixture site recorded — while the pairing and the sign-in carry over."""

from __future__ import annotations

import pytest

from .shared_session import SharedBrowser, fresh_tab

pytestmark = pytest.mark.e2e


def test_a_fresh_tab_keeps_nothing_an_earlier_test_left_but_the_sign_in(
    shared_browser: SharedBrowser,
) -> None:
    site = shared_browser.site
    first = fresh_tab(shared_browser)
    # what a test may leave behind: page state, a navigation, tabs it opened (one in a task group), a
    # dialog handler, and records on the fixture site
    first.page.evaluate("window.leftOver = 1")
    first.page.on("dialog", lambda d: d.accept())
    opened = first.call("tabs.open", {"url": site.url("/account"), "group": "Left over"})["tab"]
    first.call("page.navigate", {"tab_id": first.tab_id(), "url": site.url("/forms")})
    site.uploads.append({"name": "left-over.txt"})
    site.downloads.append("left-over.csv")

    second = fresh_tab(shared_browser)
    assert first.page.is_closed() and second.page is not first.page
    tabs = second.call("tabs.list")["tabs"]  # the daemon's and extension's view, not just Playwright's
    assert [t["url"] for t in tabs] == [site.url("/inbox")] and opened["id"] not in {t["id"] for t in tabs}
    assert second.browser.context.pages == [second.page]
    assert second.page.evaluate("window.leftOver") is None
    assert site.uploads == [] and site.downloads == []
    assert second.page.locator("#user").text_content() == site.username  # still signed in
    assert second.call("page.text", {"tab_id": second.tab_id()})["title"] == "Inbox"  # and still paired
