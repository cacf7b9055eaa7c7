"""The scripted browser behind :class:`~webbridge.testing.fake_extension.FakeExtension`: what it answers.

:class:`ScriptedBrowser` holds what the fake reports about its browser (name, version, profile, tabs, clock)
and answers the host's browser requests from it: ``browser.info``, ``tabs.list`` (filtered by url and
title, case-insensitively), ``ping`` and ``tab.control`` (recorded in :attr:`ScriptedBrowser.tab_controls`).
:meth:`ScriptedBrowser.browser_handlers` is the kind → handler table the session channel dispatches to.
"""

from __future__ import annotations

from collections.abc import Sequence

from webbridge.protocol.browser_kinds import TabsList, TabsListResult
from webbridge.protocol.channel import Handler
from webbridge.protocol.messages import BrowserDesc, BrowserInfoResult, Message, Pong, Tab
from webbridge.protocol.session import Clock, now_ms
from webbridge.protocol.tab_control_kinds import TabControl, TabControlled

__all__ = ["DEFAULT_BROWSER", "DEFAULT_TABS", "ScriptedBrowser"]

#: The tab list the fake reports for ``browser.info`` unless told otherwise.
DEFAULT_TABS: tuple[Tab, ...] = (
    Tab(id=1, window_id=1, url="https://example.test/", title="Example", active=True),
    Tab(id=2, window_id=1, url="https://example.test/docs?q=1", title="Docs — Example", active=False),
)
#: The browser the fake says it is unless told otherwise.
DEFAULT_BROWSER = BrowserDesc(name="Chromium", version="156.0.0.0", user_agent="Mozilla/5.0 (FakeExtension)")


class ScriptedBrowser:
    """A browser profile's answers to the host, from plain attributes a test may change at any time."""

    def __init__(
        self,
        *,
        browser: BrowserDesc = DEFAULT_BROWSER,
        profile: str = "Default",
        tabs: Sequence[Tab] = DEFAULT_TABS,
        clock: Clock = now_ms,
    ) -> None:
        self.browser, self.profile = browser, profile
        self.tabs: list[Tab] = list(tabs)
        self.clock = clock
        #: The ``tab.control`` requests received (visible control: which run controls which tab), in order.
        self.tab_controls: list[TabControl] = []

    def browser_handlers(self) -> dict[str, Handler]:
        """A new kind → handler table answering the browser requests above."""
        return {
            "browser.info": self._on_browser_info,
            "ping": self._on_ping,
            "tab.control": self._on_tab_control,
            "tabs.list": self._on_tabs_list,
        }

    async def _on_browser_info(self, msg: Message) -> Message:
        return BrowserInfoResult(
            browser=self.browser.name, version=self.browser.version, user_agent=self.browser.user_agent,
            profile=self.profile, tabs=self.tabs,
        )  # fmt: skip

    async def _on_ping(self, msg: Message) -> Message:
        return Pong(time=self.clock())

    async def _on_tabs_list(self, msg: Message) -> Message:
        assert isinstance(msg, TabsList)
        url, title = (msg.url or "").casefold(), (msg.title or "").casefold()
        tabs = [t for t in self.tabs if url in t.url.casefold() and title in t.title.casefold()]
        return TabsListResult(tabs=tabs)

    async def _on_tab_control(self, msg: Message) -> Message:
        assert isinstance(msg, TabControl)
        self.tab_controls.append(msg)
        return TabControlled(tab_id=msg.tab_id, shown=msg.on, group_id=1 if msg.group else None)
