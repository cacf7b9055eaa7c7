"""The fixture site's pages in real Chromium (no extension): they load without script errors and behave."""

from __future__ import annotations

import json
from typing import Any

import pytest

from webbridge.launch import find_chromium

from ..fixtures.site import FixtureSite

pytestmark = pytest.mark.e2e

PAGES = [
    "/", "/login", "/forms", "/upload", "/editor", "/spa", "/spa/items/2", "/frames", "/shadow", "/dialogs",
    "/downloads", "/trusted", "/rerender", "/moving?delay=50", "/slow?ms=10", "/slow-load?ms=10",
    "/late?ms=10", "/network?ms=10", "/mutating?ms=50", "/page/3", "/big?n=1000",
]


def test_pages_load_without_script_errors(fixture_site: FixtureSite, playwright: Any) -> None:
    browser = playwright.chromium.launch(executable_path=find_chromium(), headless=True)
    try:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        fixture_site.login(page)
        assert page.url.endswith("/inbox")
        for path in PAGES:
            page.goto(fixture_site.url(path))
            assert page.locator("#user").text_content() == "alice", path
        assert errors == []

        page.goto(fixture_site.url("/frames"))
        cross = page.frame_locator("#cross")
        cross.locator("#cross-button").click()
        assert cross.locator("#cross-out").text_content() == "cross clicked"

        page.goto(fixture_site.url("/trusted"))
        page.dispatch_event("#trusted", "click")  # synthetic: ignored
        assert page.evaluate("window.untrusted") == 1
        page.click("#trusted")  # Playwright's CDP input is trusted
        assert page.locator("#status").text_content() == "trusted click 1"

        page.goto(fixture_site.url("/spa"))
        page.click("text=Items")
        page.click("text=Item 3")
        assert page.url.endswith("/spa/items/3") and page.title() == "SPA · Item 3"
        assert page.locator("#renders").text_content() == "3"

        page.goto(fixture_site.url("/forms"))
        page.fill("#name", "Ada")
        page.select_option("#toppings", ["ham", "olives"])
        live = json.loads(page.locator("#live").text_content() or "{}")
        assert live["name"] == ["Ada"] and live["toppings"] == ["ham", "olives"]

        page.goto(fixture_site.url("/big?n=10000"))
        assert 9_900 <= page.evaluate("document.querySelectorAll('main *').length") <= 10_100
    finally:
        browser.close()
