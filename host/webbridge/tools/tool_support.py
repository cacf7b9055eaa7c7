"""What every browser tool module shares (browser_tools, act_tools, capture_tools, page_io_tools): the
argument types, the tab a tool works in, the URL the run last saw a tab on, and turning a request the
message models refuse into a model-visible BadToolArguments.

Errors: :class:`~webbridge.errors.NoBrowser` (7103), :class:`~webbridge.errors.NoTab` (7104),
:class:`~webbridge.errors.TabNotGranted` (7130), :class:`~webbridge.errors.BadToolArguments` (7102).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, TypeVar

from pydantic import Field

from ..errors import BadToolArguments, InvalidMessage, NoBrowser, NoTab
from ..protocol.browser_kinds import Ref
from . import tab_scope
from .registry import BridgeHandle, ToolContext

T = TypeVar("T")

#: ``ctx.state`` key: tab id -> the URL this run last saw the tab on (the ``expect_url`` of actions).
SEEN_URLS = "browser.seen_urls"

TabArg = Annotated[int | None, Field(ge=0, description="Tab id (default: the current tab)")]
RefArg = Annotated[Ref, Field(description="Element ref from the latest snapshot, e.g. e12 or f2e7")]
OptRefArg = Annotated[Ref | None, Field(description="Element ref from the latest snapshot")]
TextArg = Annotated[str, Field(max_length=8192)]
Timeout = Annotated[int, Field(ge=0, le=120_000, description="Give up after this many milliseconds")]


# --- helpers ---------------------------------------------------------------------------------------


def bridge_of(ctx: ToolContext) -> BridgeHandle:
    """``ctx.bridge``; raises :class:`NoBrowser` (7103) when none is connected."""
    if ctx.bridge is None:
        raise NoBrowser("no browser is connected: open the browser with WebBridge and pair it")
    return ctx.bridge


def tab_of(ctx: ToolContext, tab_id: int | None) -> int:
    """``tab_id`` or the current tab; raises :class:`NoTab` (7104) when there is neither."""
    if tab_id is not None:
        return tab_id
    if ctx.tab_id is None:
        raise NoTab("no current tab: open one with tab_open, or pick one with tabs_list and tab_activate")
    return ctx.tab_id


async def acting_tab(ctx: ToolContext, tab_id: int | None) -> tuple[BridgeHandle, int]:
    """The bridge, and the tab a tool works in (``tab_id`` or the current tab) once the run may use it
    (:func:`.tab_scope.enter`, which also marks it controlled by the run). Raises :class:`NoBrowser`,
    :class:`NoTab`, :class:`~webbridge.errors.TabNotGranted` (7130) and ``TabNotFound`` (6005)."""
    bridge, tid = bridge_of(ctx), tab_of(ctx, tab_id)
    await tab_scope.enter(ctx, bridge, tid)
    return bridge, tid


def seen(ctx: ToolContext, tab_id: int, url: str | None = None) -> str | None:
    """The URL this run last saw ``tab_id`` on; with ``url``, record it first."""
    urls: dict[int, str] = ctx.state.setdefault(SEEN_URLS, {})
    if url is not None:
        urls[tab_id] = url
    return urls.get(tab_id)


async def checked_args(call: Awaitable[T]) -> T:
    """Await a :mod:`.browser` call; a request the message models refuse becomes BadToolArguments.

    A malformed *reply* (the extension's fault, marked by ``reply_to`` in its detail) stays InvalidMessage
    and ends the run.
    """
    try:
        return await call
    except InvalidMessage as exc:
        if "reply_to" in exc.detail:
            raise
        raise BadToolArguments(exc.message) from None


__all__ = [
    "SEEN_URLS",
    "OptRefArg",
    "RefArg",
    "TabArg",
    "TextArg",
    "Timeout",
    "acting_tab",
    "bridge_of",
    "checked_args",
    "seen",
    "tab_of",
]
