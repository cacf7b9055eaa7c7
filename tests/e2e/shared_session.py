"""One paired, signed-in browser for every test of a module, and a fresh tab for each test.

Starting Chromium, the daemon and pairing costs about three seconds; the browser-control tests that only
drive tabs do not need a new browser each. :func:`shared_browser` starts one per module (its own
WebBridge home, daemon and fixture site); :func:`fresh_tab` gives each test what
:func:`~.browser_session.signed_in_session` gave it — one tab, on /inbox, signed in — and removes what an
earlier test could have left for it to see: every other tab (with its page state, dialog handlers,
debugger sessions and task-group membership) is closed, and the fixture site forgets the uploads and
downloads it saw. What lives in the service worker, the daemon or the profile carries over: a test here
compares the worker's counters (``debuggerUse().attaches``, ``policyStatus()`` refusals) before and after,
never with zero. A test that needs a fresh profile or worker, changes what the daemon holds for later
tests, restarts or kills processes, or counts what the daemon recorded since it started keeps using
``signed_in_session`` (the ``s`` fixture).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webbridge.launch import Browser

from ..conftest import WbEnv, make_wb
from ..fixtures.site import FixtureSite, serve
from .browser_session import Session, signed_in_session
from .conftest import wait_connection


@dataclass
class SharedBrowser:
    browser: Browser
    wb: WbEnv
    site: FixtureSite


@contextmanager
def shared_browser(root: Path, playwright: Any) -> Iterator[SharedBrowser]:
    """Chromium with the extension paired with its own daemon (in a WebBridge home under ``root``), the
    user signed in to a fixture site of its own. The browser is closed and the daemon stopped at the end."""
    wb = make_wb(root / "wb")
    try:
        with serve() as site, signed_in_session(wb, root, playwright, site) as first:
            yield SharedBrowser(first.browser, wb, site)
    finally:
        wb.kill_daemon(signal.SIGTERM)
        wb.kill_daemon(signal.SIGKILL)


def fresh_tab(shared: SharedBrowser) -> Session:
    """A session in ``shared``'s browser whose only tab is a new one on /inbox, signed in.

    Raises AssertionError if the bridge is no longer connected or the user is no longer signed in (an
    earlier test broke the shared browser: better to fail here than to test something else)."""
    context, site = shared.browser.context, shared.site
    wait_connection(shared.browser, "connected", timeout_ms=10_000)
    page = context.new_page()
    for other in list(context.pages):
        if other is not page:
            other.close()
    site.uploads.clear()
    site.downloads.clear()
    page.goto(site.url("/inbox"))
    if page.locator("#user").text_content() != site.username:
        raise AssertionError("the shared browser is no longer signed in to the fixture site")
    return Session(shared.browser, shared.wb, site, page)
