"""End-to-end fixtures: real headless Chromium with the real extension, the real relay and daemon.

Each test gets a private WEBBRIDGE_HOME and HOME (the `wb` fixture), temporary profile folders and a
small site served on 127.0.0.1 on a port the OS picks (`site`), and the full fixture site (`fixture_site`).
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from webbridge.launch import Browser, find_chromium

from ..conftest import WbEnv
from ..fixtures.site import FixtureSite, serve

if TYPE_CHECKING:
    from .browser_session import Session
    from .control_bridge import ControlBridge
    from .shared_session import SharedBrowser

try:
    find_chromium()
except FileNotFoundError:  # pragma: no cover - CI installs it; say so loudly rather than pass silently
    pytest.fail("Chromium is not installed: run scripts/setup.sh", pytrace=False)

PAGE = b"""<!doctype html><html><head><title>Fixture home</title></head>
<body><h1>Fixture</h1><a href="/other">other</a></body></html>"""


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def fixture_site() -> Iterator[FixtureSite]:
    """The fixture site (tests/fixtures/site.py: routes in its docstring) and its second origin.

    ``fixture_site.url("/inbox")``, ``fixture_site.cross_url("/frame")``, ``fixture_site.login(page)``
    signs in as the user in a Playwright page; ``uploads``/``downloads`` record what the server saw.
    """
    with serve() as s:
        yield s


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    """Playwright's driver, started once per module (each test still launches and closes its own browser).
    Module scope, not wider: a module that starts its own (_attack_harness.lab) must not find one running."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def s(wb: WbEnv, tmp_path: Path, playwright: Any, fixture_site: FixtureSite) -> Iterator[Session]:
    """The browser-control tests' session: Chromium with the extension, paired, the user signed in to the
    fixture site (browser_session.signed_in_session)."""
    from .browser_session import signed_in_session  # it imports this module

    with signed_in_session(wb, tmp_path, playwright, fixture_site) as session:
        yield session


@pytest.fixture(scope="module")
def shared_browser(tmp_path_factory: pytest.TempPathFactory, playwright: Any) -> Iterator[SharedBrowser]:
    """One paired browser, daemon and fixture site for a whole module (shared_session.py)."""
    from .shared_session import shared_browser as start

    with start(tmp_path_factory.mktemp("shared"), playwright) as shared:
        yield shared


@pytest.fixture
def shared_s(shared_browser: SharedBrowser) -> Session:
    """Like ``s``, in the module's shared browser: a fresh signed-in tab, every other tab closed
    (shared_session.fresh_tab). For modules whose tests leave nothing behind but tabs."""
    from .shared_session import fresh_tab

    return fresh_tab(shared_browser)


@pytest.fixture
def bridge(s: Session) -> ControlBridge:
    """The daemon's typed browser functions (tools/browser.py) over the control socket, for ``s``."""
    from .control_bridge import ControlBridge, ControlChannel

    return ControlBridge(ControlChannel(s.wb.paths))


@pytest.fixture(scope="module")
def lab() -> Iterator[str]:
    """The page lab (page_lab.py) on 127.0.0.1; its base URL, for every test of a module."""
    from .page_lab import serve_lab

    with serve_lab() as base:
        yield base


def status(browser: Browser) -> dict[str, Any]:
    result: dict[str, Any] = browser.call("() => self.__webbridge.status()")
    return result


def wait_connection(browser: Browser, state: str, timeout_ms: int = 30_000) -> dict[str, Any]:
    result: dict[str, Any] = browser.call(
        "([s, t]) => self.__webbridge.waitForStatus(s, t)", [state, timeout_ms]
    )
    return result


def pair(browser: Browser, wb: WbEnv) -> str:
    """Pair through the debug hook and the real CLI (`webbridge pair --confirm CODE`). Returns pairing id."""
    wait_connection(browser, "not_paired")
    code = browser.call("() => self.__webbridge.pair()")["sas"]
    cli = subprocess.Popen(
        [sys.executable, "-m", "webbridge", "pair", "--confirm", code, "--wait", "60", "--json"],
        env=wb.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    browser.call("() => self.__webbridge.confirmPairing()")
    out, err = cli.communicate(timeout=90)
    assert cli.returncode == 0, f"webbridge pair failed: {out}\n{err}"
    wait_connection(browser, "connected")
    pairing_id: str = json.loads(out)["pairing_id"]
    return pairing_id


def bridges(wb: WbEnv) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = json.loads(wb.run("bridges", "--json").stdout)
    return result


def wait_until(predicate: Any, timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll a cross-process condition that has no event to wait on, with a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def profile_dir(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path
