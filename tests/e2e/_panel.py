"""Shared set-up of the side panel and context menu end-to-end tests: a paired Chromium whose daemon uses the
scripted model server (a process), the user's own tab on the test site, and the side panel page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webbridge.launch import Browser, launch

from ..conftest import WbEnv
from ..process._scripted import use_model
from .conftest import pair, profile_dir

RUN_TIMEOUT_MS = 30_000


@dataclass
class Panelled:
    browser: Browser
    wb: WbEnv
    page: Any  # the user's own tab on the test site
    tab_id: int

    def side_panel(self) -> Any:
        """The side panel page (headless Chromium cannot show the panel: it is opened as a page)."""
        panel = self.browser.extension_page("ui/sidepanel.html")
        panel.wait_for_selector("#conn[data-state='connected']", timeout=RUN_TIMEOUT_MS)
        return panel

    def runs(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = json.loads(self.wb.run("runs", "--json").stdout)
        return result


def start(playwright: Any, wb: WbEnv, tmp_path: Path, model_url: str, site: str, **model: Any) -> Panelled:
    """Chromium with the extension, paired; its daemon (started by the relay with this environment) uses the
    scripted model at ``model_url``; ``model`` goes to ``use_model`` (``policy=``, settings). The caller
    closes ``browser.context``."""
    use_model(wb, model_url, **model)
    browser = launch(playwright, profile_dir(tmp_path, "profile"), env=wb.env)
    try:
        pair(browser, wb)
        page = browser.context.new_page()
        page.goto(site)
        tabs = browser.call("() => chrome.tabs.query({})")
        [tab_id] = [t["id"] for t in tabs if t["url"] == site]
        return Panelled(browser, wb, page, tab_id)
    except BaseException:
        browser.context.close()
        raise
