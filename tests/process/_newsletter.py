"""The browser the process tests' runs act in, as a FakeExtension answers it: a mail tab and a newsletter tab
(news.test) with a Subscribe button."""

from __future__ import annotations

from webbridge.protocol.browser_kinds import SnapshotResult, TabResult, TabsListResult
from webbridge.protocol.channel import Handler
from webbridge.protocol.fields import Message, Tab

URL = "https://news.test/letter"
TABS = (
    Tab(id=1, window_id=1, url="https://mail.test/", title="Mail", active=True),
    Tab(id=2, window_id=1, url=URL, title="Newsletter", active=False),
)


def newsletter(received: list[Message], *, snapshot: str, refs: int, on_act: Handler) -> dict[str, Handler]:
    """Handlers for ``tabs.activate`` (the newsletter tab comes to the front), ``page.snapshot`` (``snapshot``
    as its text), ``tabs.list`` (both tabs: the policy asks where a tab is before acting in it) and
    ``page.act`` (``on_act``). Activations and snapshots are appended to ``received``."""

    async def on_activate(msg: Message) -> Message:
        received.append(msg)
        return TabResult(tab=TABS[1].model_copy(update={"active": True}))

    async def on_snapshot(msg: Message) -> Message:
        received.append(msg)
        return SnapshotResult(url=URL, title="Newsletter", text=snapshot, refs=refs, frames=1,
                              truncated=False)  # fmt: skip

    async def on_tabs_list(msg: Message) -> Message:
        return TabsListResult(tabs=list(TABS))

    return {"tabs.activate": on_activate, "page.snapshot": on_snapshot, "page.act": on_act,
            "tabs.list": on_tabs_list}  # fmt: skip
