"""Start Chromium with the WebBridge extension in a profile folder of our choosing.

Used by ``webbridge demo``, the end-to-end tests and the benchmarks. It drives the system Chromium through
Playwright (``executable_path``; never a browser download) and installs the native host manifest into the
profile's own ``NativeMessagingHosts`` folder, which is where Chromium on Linux looks for a browser started
with ``--user-data-dir``. Playwright is an optional dependency (the ``test`` extra).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import meta

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Playwright, Worker

EXTENSION_DIR = Path(__file__).resolve().parents[2] / "extension"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium")


def find_chromium() -> str:
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    raise FileNotFoundError("Chromium not found: install it (Debian: `apt-get install chromium`)")


def chromium_args(extension_dir: Path) -> list[str]:
    return [
        f"--disable-extensions-except={extension_dir}",
        f"--load-extension={extension_dir}",
        "--disable-gpu",
        "--disable-quic",
        "--disable-component-update",
        "--disable-background-networking",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
    ]


@dataclass
class Browser:
    context: BrowserContext
    profile: Path
    extension_id: str

    @property
    def worker(self) -> Worker:
        workers = self.context.service_workers
        if workers:
            return workers[0]
        return self.context.wait_for_event("serviceworker", timeout=30_000)

    def extension_page(self, path: str) -> Page:
        page = self.context.new_page()
        page.goto(f"chrome-extension://{self.extension_id}/{path}")
        return page

    def call(self, expression: str, arg: Any = None) -> Any:
        """Evaluate ``expression`` (a function source) in the service worker, e.g. the debug hook."""
        return self.worker.evaluate(expression, arg)


def launch(
    playwright: Playwright,
    profile: Path,
    *,
    env: dict[str, str] | None = None,
    headless: bool = True,
    extension_dir: Path = EXTENSION_DIR,
    install_manifest: bool = True,
) -> Browser:
    """Launch Chromium with the extension on ``profile`` from an existing Playwright instance.

    The caller closes ``browser.context`` (a clean close flushes cookies). Raises FileNotFoundError when no
    Chromium is installed.
    """
    profile.mkdir(parents=True, exist_ok=True)
    if install_manifest:
        from .install.installer import install_for_profile

        install_for_profile(profile, env=env)
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=find_chromium(),
        headless=headless,
        args=chromium_args(extension_dir),
        env={**os.environ, **(env or {})},
    )
    return Browser(context, profile, meta.EXTENSION_ID)


@contextmanager
def chromium_with_extension(
    profile: Path,
    *,
    env: dict[str, str] | None = None,
    headless: bool = True,
    extension_dir: Path = EXTENSION_DIR,
    install_manifest: bool = True,
) -> Iterator[Browser]:
    """Launch Chromium with the extension on ``profile``; closes it cleanly (cookies flushed) on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(
            p,
            profile,
            env=env,
            headless=headless,
            extension_dir=extension_dir,
            install_manifest=install_manifest,
        )
        try:
            yield browser
        finally:
            browser.context.close()
