"""``webbridge demo``: a real browser, paired with a private daemon, doing a real task over the bridge.

Everything lives in a throwaway folder: the browser profile, the daemon's home (keys, logs, socket). The demo
serves a small portal page on 127.0.0.1, starts Chromium with the extension (headless when there is no
display, and it says so), pairs the extension with the daemon the way a user does — both sides show the
six-digit code and the user confirms it (``--yes`` confirms for you) — then asks the browser over the
authenticated bridge for its open tabs and writes them to a JSON file. The agent that plans tasks in the
browser arrives with the agent work; this proves the bridge it stands on.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import paths as paths_mod
from ..errors import WebBridgeError

PORTAL = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Acme portal — Inbox</title></head><body>
<header><h1>Acme portal</h1><p>Signed in as <b>demo@example.test</b></p></header>
<main><h2>Inbox</h2><ul><li>Quarterly report is ready</li><li>Team lunch on Friday</li></ul></main>
</body></html>""".encode()


class _Portal(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PORTAL)))
        self.end_headers()
        self.wfile.write(PORTAL)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def _serve_portal() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Portal)
    thread = threading.Thread(target=server.serve_forever, name="portal", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/inbox"
    finally:
        server.shutdown()
        server.server_close()


def _say(text: str) -> None:
    print(text, flush=True)


def run(*, yes: bool, headed: bool | None, out: Path, keep: bool) -> int:
    """Run the demo. Returns an exit code; raises WebBridgeError for failures the user must act on."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("webbridge demo needs Playwright: run scripts/setup.sh (or pip install 'webbridge[test]')",
              file=sys.stderr)
        return 1
    from ..daemon.client import ControlClient
    from ..launch import find_chromium, launch

    chromium = find_chromium()
    work = Path(tempfile.mkdtemp(prefix="webbridge-demo-"))
    # The daemon the demo starts (through the relay or the control client) inherits this environment.
    os.environ[paths_mod.HOME_ENV] = str(work / "home")
    where = paths_mod.resolve()
    if headed is None:
        headed = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    _say(f"Chromium: {chromium} ({'with a window' if headed else 'headless: no display found'})")
    _say(f"Throwaway profile and daemon home: {work}")
    control: ControlClient | None = None
    try:
        with _serve_portal() as portal, sync_playwright() as p:
            browser = launch(p, work / "profile", headless=not headed)
            try:
                page = browser.context.new_page()
                page.goto(portal)
                _say(f"Opened the portal at {portal} (you are signed in there).")
                popup = browser.extension_page("ui/popup.html")
                popup.wait_for_selector("#status[data-state='not_paired']", timeout=30_000)
                _say("The extension is running and not paired yet. Clicking “Pair this browser”…")
                popup.click("#pair-button")
                shown = popup.locator("#sas:not([hidden])")
                shown.wait_for(timeout=30_000)
                browser_code = shown.inner_text().strip()

                control = ControlClient.connect(where, start=True)
                pending = control.call("pairs.pending", deadline=40, wait=30)
                if not pending:
                    raise RuntimeError("the daemon saw no pairing request")
                request = pending[-1]
                daemon_code = f"{request['code'][:3]} {request['code'][3:]}"
                _say(f"\n  The extension popup shows:  {browser_code}")
                _say(f"  `webbridge pair` shows:     {daemon_code}\n")
                if yes:
                    _say("--yes: confirming for you.")
                    answer = "y"
                else:
                    answer = input("Do the two codes match? [y/N] ").strip().lower()
                if answer not in ("y", "yes"):
                    control.call("pairs.reject", pair_id=request["pair_id"])
                    _say("Not confirmed: pairing rejected, nothing stored.")
                    return 1
                popup.click("#confirm-button")
                done = control.call("pairs.confirm", deadline=70, pair_id=request["pair_id"], wait=60)
                if not done.get("completed"):
                    raise RuntimeError("the extension did not confirm the pairing in time")
                popup.wait_for_selector("#status[data-state='connected']", timeout=30_000)
                _say(f"Paired ({done['pairing_id']}); the popup says Connected.")

                started = time.perf_counter()
                result = control.call("bridge.call", deadline=40, kind="browser.info", body={}, timeout=30)
                elapsed = (time.perf_counter() - started) * 1000
                info = result["body"]
                report = {
                    "task": "list the browser's open tabs over the authenticated bridge",
                    "bridge_id": result["bridge_id"],
                    "pairing_id": done["pairing_id"],
                    "round_trip_ms": round(elapsed, 1),
                    "browser": {k: info[k] for k in ("browser", "version", "profile")},
                    "tabs": info["tabs"],
                }
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp = out.with_suffix(out.suffix + ".tmp")
                tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
                os.replace(tmp, out)
                _say(f"{info['browser']} {info['version']} has {len(info['tabs'])} tabs open:")
                for tab in info["tabs"]:
                    _say(f"  - {tab['title'] or '(untitled)'}  {tab['url']}")
                _say(f"\nResult written to {out.resolve()}")
            finally:
                browser.context.close()
    finally:
        if control is not None:
            try:
                control.call("shutdown", deadline=5)
            except WebBridgeError as exc:  # the daemon may already be gone: nothing left to stop
                print(f"note: stopping the demo daemon: {exc}", file=sys.stderr)
            control.close()
        if keep:
            _say(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0
