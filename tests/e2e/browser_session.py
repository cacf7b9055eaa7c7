"""A paired browser whose user is signed in to the fixture site, and calls through the real CLI → daemon →
relay → extension path. Shared by the browser-control end-to-end tests."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webbridge.launch import Browser, launch
from webbridge.protocol.refs import REF_TOKEN

from ..conftest import WbEnv
from ..fixtures.site import FixtureSite
from .conftest import pair, profile_dir

_ERROR = re.compile(r"\[(\d{4}) ([a-z_]+)\]")


@dataclass
class Session:
    browser: Browser
    wb: WbEnv
    site: FixtureSite
    page: Any  # the user's own, signed-in Playwright page

    def call(self, kind: str, body: dict[str, Any] | None = None, *, timeout: float = 30) -> dict[str, Any]:
        """The reply body of ``kind``; fails the test on an error reply."""
        out = self.wb.run("call", kind, "--body", json.dumps(body or {}), "--timeout", str(timeout),
                          timeout=timeout + 30)
        reply: dict[str, Any] = json.loads(out.stdout)
        return dict(reply["body"])

    def error(self, kind: str, body: dict[str, Any] | None = None, *, timeout: float = 30) -> tuple[int, str]:
        """The ``(code, name)`` of the error reply to ``kind``; fails the test if it succeeds."""
        proc = self.wb.run("call", kind, "--body", json.dumps(body or {}), "--timeout", str(timeout),
                           timeout=timeout + 30, check=False)
        assert proc.returncode != 0, f"{kind} {body} succeeded: {proc.stdout}"
        found = _ERROR.search(proc.stderr)
        assert found, proc.stderr
        return int(found.group(1)), found.group(2)

    def outcomes(self, kind: str, bodies: list[dict[str, Any]]) -> list[tuple[int, str] | None]:
        """Many calls over one control connection (the same daemon → relay → extension path as the CLI,
        without a process per call): ``(code, name)`` per error reply, ``None`` per success."""
        from webbridge.daemon.client import ControlClient
        from webbridge.errors import WebBridgeError

        results: list[tuple[int, str] | None] = []
        with ControlClient.connect(self.wb.paths) as client:
            for body in bodies:
                try:
                    client.call("bridge.call", deadline=60, bridge=None, kind=kind, body=body, timeout=30)
                    results.append(None)
                except WebBridgeError as exc:
                    results.append((exc.code, exc.name))
        return results

    def start(self, kind: str, body: dict[str, Any], *, timeout: float = 30) -> subprocess.Popen[str]:
        """Start a call in the background (for waits that something else must then satisfy)."""
        return subprocess.Popen(
            [sys.executable, "-m", "webbridge", "call", kind, "--body", json.dumps(body),
             "--timeout", str(timeout)],
            env=self.wb.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    @staticmethod
    def finish(proc: subprocess.Popen[str], timeout: float = 60) -> dict[str, Any]:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err
        return dict(json.loads(out)["body"])

    def tab_id(self, page: Any | None = None) -> int:
        """The extension's id of a Playwright page's tab (matched by URL; the page must have a unique URL)."""
        url = (page or self.page).url
        tabs = [t for t in self.call("tabs.list")["tabs"] if t["url"] == url]
        assert len(tabs) == 1, (url, tabs)
        return int(tabs[0]["id"])

    def worker(self, expression: str, arg: Any = None) -> Any:
        """Evaluate in the extension's service worker (chrome.* APIs, for checking what the browser did)."""
        return self.browser.call(expression, arg)

    def page_for(self, tab_url_part: str) -> Any:
        """The Playwright page whose URL contains the text (tabs the extension opened). Playwright's sync API
        learns of new tabs only during its own calls, hence the evaluate in the loop."""
        deadline = time.monotonic() + 10
        while True:
            for p in self.browser.context.pages:
                if tab_url_part in p.url:
                    return p
            if time.monotonic() > deadline:
                urls = [p.url for p in self.browser.context.pages]
                raise AssertionError(f"no page with {tab_url_part!r}: {urls}")
            self.page.evaluate("0")


def ref_of(text: str, role: str, name: str) -> str:
    """The ref on the line ``role "name" ref`` of a snapshot text (``eM`` in the top frame, ``fNeM`` in
    frame N)."""
    found = re.search(
        rf"^\s*(?:[+~] )?{re.escape(role)} {re.escape(json.dumps(name))} ({REF_TOKEN})(?=\s|$)", text, re.M
    )
    assert found, f"{role} {name!r} not in:\n{text}"
    return found.group(1)


def snap(s: Session, tab: int, **body: Any) -> dict[str, Any]:
    """``page.snapshot`` of ``tab`` with ``body``; the reply body; fails the test on an error reply."""
    return s.call("page.snapshot", {"tab_id": tab, **body})


def goto(s: Session, url: str) -> int:
    """Navigate the session's page to ``url``; its tab id."""
    s.page.goto(url)
    return s.tab_id()


@contextmanager
def signed_in_session(wb: WbEnv, tmp_path: Path, playwright: Any, site: FixtureSite) -> Iterator[Session]:
    """Chromium with the extension, paired with the daemon; the user signed in to the fixture site in the
    first tab (now on /inbox)."""
    browser = launch(playwright, profile_dir(tmp_path, "profile"), env=wb.env)
    try:
        pair(browser, wb)
        pages = browser.context.pages
        page = pages[0] if pages else browser.context.new_page()
        site.login(page)
        yield Session(browser, wb, site, page)
    finally:
        browser.context.close()
