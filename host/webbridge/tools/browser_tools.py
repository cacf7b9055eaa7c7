"""The browser tools the model calls: ``@tool`` wrappers over the typed functions of :mod:`.browser`. This
module holds the tab, navigation, reading and waiting tools and the list of them all (:data:`BROWSER_TOOLS`);
the actions are in :mod:`.act_tools`, what they share in :mod:`.tool_support` (re-exported here).

Each tool acts in ``ctx.tab_id`` unless given ``tab_id``; ``tab_open`` and ``tab_activate`` make their tab
the current one. Results are short text for the model plus structured ``data``; anything read from a page
(snapshots, page text, the delta after an action) is marked ``untrusted``.

Safety the wrappers add on top of :mod:`.browser` (the actions' part is in :mod:`.act_tools`):

- actions carry ``expect_url``, the URL this run last saw the tab on (from a snapshot, page text, a
  navigation or the previous action), so a ref is never used on a page the model has not seen (6002), and
  ``expect_role``/``expect_name``, the element the policy decided the call on
  (``ctx.state[EXPECTED_ELEMENTS]``), so a ref whose element changed is not acted on (6008);
- a tool whose effect depends on its arguments (``press`` with Enter, ``type_text`` with ``submit``)
  declares the stronger :class:`ActionClass` for those calls (``classify``), so the policy sees a submit.

Errors (all model-visible, so they come back as tool results): :class:`~webbridge.errors.NoBrowser` when no
browser is connected, :class:`~webbridge.errors.NoTab` without a current tab,
:class:`~webbridge.errors.BadToolArguments` for combinations the schema cannot express, and the 6xxx
:class:`~webbridge.errors.BrowserActionError` replies. ``ChannelClosed``/``RequestTimeout`` propagate and end
the run. Cancelling a tool forgets its request; what the browser already did is not undone.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..errors import BadToolArguments
from ..policy.actions import ActionClass
from ..protocol.fields import Tab
from . import browser, tab_scope
from .act_tools import ACT_TOOLS
from .registry import RegisteredTool, ToolContext, ToolResult, tool
from .tool_support import (
    SEEN_URLS,
    OptRefArg,
    RefArg,
    TabArg,
    TextArg,
    Timeout,
    acting_tab,
    bridge_of,
    checked_args,
    seen,
    tab_of,
)

# --- helpers for the tab tools ---------------------------------------------------------------------------


def _tab_line(t: Tab, current: int | None, off_limits: bool = False) -> str:
    flags = (("active", t.active), ("current", t.id == current), ("off-limits", off_limits))
    marks = [m for m, on in flags if on]
    extra = f" ({', '.join(marks)})" if marks else ""
    return f"[{t.id}] {t.title or '(no title)'} — {t.url}{extra}"


def _group(ctx: ToolContext) -> str | None:
    # A run's tabs join its own group through tab.control (tab_scope.adopt), titled after the task.
    return None if tab_scope.scope_of(ctx) is not None else f"WebBridge {ctx.run_id[:8]}"


# --- tabs -------------------------------------------------------------------------------------------------


@tool(action=ActionClass.READ)
async def tabs_list(
    ctx: ToolContext,
    url: Annotated[str | None, Field(max_length=8192)] = None,
    title: Annotated[str | None, Field(max_length=8192)] = None,
) -> ToolResult:
    """List the open tabs (id, title, URL). Filter by text contained in the URL or title. Tabs marked
    off-limits are the user's own, which this task does not name: leave them alone.

    Args:
        url: Keep tabs whose URL contains this text.
        title: Keep tabs whose title contains this text.
    """
    tabs = await checked_args(browser.tabs_list(bridge_of(ctx), url=url, title=title))
    scope = tab_scope.scope_of(ctx)  # in a run, the user's tabs this task may not use are marked
    lines = [
        _tab_line(t, ctx.tab_id, off_limits=scope is not None and not tab_scope.may_use(scope, t, ctx.run_id))
        for t in tabs
    ] or ["no tabs match"]
    return ToolResult("\n".join(lines), untrusted=True, data=[t.model_dump(mode="json") for t in tabs])


@tool(action=ActionClass.NAVIGATE)
async def tab_open(
    ctx: ToolContext, url: Annotated[str, Field(max_length=8192)], active: bool = False
) -> ToolResult:
    """Open a URL in a new tab (in this task's tab group); it becomes the current tab.

    Args:
        url: Absolute http(s) URL.
        active: Also show it to the user (bring it to the front).
    """
    bridge = bridge_of(ctx)
    t = await checked_args(browser.open_tab(bridge, url, active=active, group=_group(ctx)))
    await tab_scope.adopt(ctx, bridge, t)
    ctx.tab_id = t.id
    seen(ctx, t.id, t.url)
    return ToolResult(
        f"Opened tab {t.id}: {t.title or '(no title)'} — {t.url}", data=t.model_dump(mode="json")
    )


@tool(action=ActionClass.NAVIGATE)
async def tab_activate(ctx: ToolContext, tab_id: Annotated[int, Field(ge=0)]) -> ToolResult:
    """Bring a tab to the front and make it the current tab.

    Args:
        tab_id: Tab id from tabs_list.
    """
    bridge, _ = await acting_tab(ctx, tab_id)
    t = await checked_args(browser.activate_tab(bridge, tab_id))
    ctx.tab_id = t.id
    return ToolResult(
        f"Current tab {t.id}: {t.title or '(no title)'} — {t.url}", data=t.model_dump(mode="json")
    )


@tool(action=ActionClass.INTERACT)
async def tab_close(ctx: ToolContext, tab_id: TabArg = None) -> ToolResult:
    """Close a tab (default: the current tab)."""
    bridge, tid = await acting_tab(ctx, tab_id)
    await checked_args(browser.close_tab(bridge, tid))
    ctx.state.get(SEEN_URLS, {}).pop(tid, None)
    if (scope := tab_scope.scope_of(ctx)) is not None:
        scope.forget(tid)
    if ctx.tab_id == tid:
        ctx.tab_id = None
    return ToolResult(f"Closed tab {tid}", data={"tab_id": tid})


# --- navigation, reading, waiting -------------------------------------------------------------------------


@tool(action=ActionClass.NAVIGATE)
async def navigate(
    ctx: ToolContext,
    url: Annotated[str | None, Field(max_length=8192)] = None,
    go: Literal["back", "forward", "reload"] | None = None,
    tab_id: TabArg = None,
) -> ToolResult:
    """Load a URL in the tab, or go back, forward or reload. Waits for the page to load.

    Args:
        url: Absolute http(s) URL to load. Give either url or go.
        go: back, forward or reload instead of a URL.
    """
    if (url is None) == (go is None):
        raise BadToolArguments("navigate needs exactly one of url or go")
    bridge, tid = await acting_tab(ctx, tab_id)
    nav = await checked_args(browser.navigate(bridge, tid, url, action=go or "goto"))
    seen(ctx, tid, nav.url)
    return ToolResult(
        f"Tab {tid} is on {nav.title or '(no title)'} — {nav.url}", data=nav.model_dump(mode="json")
    )


@tool(action=ActionClass.READ)
async def snapshot(
    ctx: ToolContext,
    mode: Literal["default", "full", "subtree", "find", "delta"] = "default",
    ref: OptRefArg = None,
    query: Annotated[str | None, Field(max_length=8192)] = None,
    role: Annotated[str | None, Field(max_length=256)] = None,
    tab_id: TabArg = None,
) -> ToolResult:
    """The page as a text tree of roles and names, with a ref on everything you can act on.

    Args:
        mode: default (visible part and landmarks), full (whole page), subtree (below ref), find (elements
            matching query/role), delta (changes since the last snapshot of this tab).
        ref: The element whose subtree to show (mode subtree).
        query: Text to find in element names (mode find).
        role: Role to find, e.g. button, link, textbox (mode find).
    """
    if mode == "subtree" and ref is None:
        raise BadToolArguments("snapshot mode subtree needs ref")
    if mode == "find" and query is None and role is None:
        raise BadToolArguments("snapshot mode find needs query or role")
    bridge, tid = await acting_tab(ctx, tab_id)
    snap = await checked_args(browser.snapshot(bridge, tid, mode=mode, ref=ref, query=query, role=role))
    seen(ctx, tid, snap.url)
    cut = ", truncated: use find or subtree for the rest" if snap.truncated else ""
    head = f"Page: {snap.title or '(no title)'} — {snap.url} ({snap.refs} refs{cut})"
    data = snap.model_dump(mode="json", exclude={"kind", "text"}) | {"tab_id": tid}
    return ToolResult(f"{head}\n{snap.text}", untrusted=True, data=data)


@tool(action=ActionClass.READ)
async def page_text(
    ctx: ToolContext,
    max_chars: Annotated[int | None, Field(ge=1_000, le=200_000)] = None,
    tab_id: TabArg = None,
) -> ToolResult:
    """The page's readable text, with links as markdown. Use it to read articles, results and tables.

    Args:
        max_chars: Cut the text after this many characters.
    """
    bridge, tid = await acting_tab(ctx, tab_id)
    res = await checked_args(browser.page_text(bridge, tid, max_chars=max_chars))
    seen(ctx, tid, res.url)
    cut = "\n[truncated]" if res.truncated else ""
    data = res.model_dump(mode="json", exclude={"kind", "markdown"}) | {
        "tab_id": tid,
        "chars": len(res.markdown),
    }
    return ToolResult(f"# {res.title} — {res.url}\n{res.markdown}{cut}", untrusted=True, data=data)


@tool(action=ActionClass.READ)
async def wait_for(
    ctx: ToolContext,
    text: Annotated[str | None, Field(max_length=8192)] = None,
    ref: OptRefArg = None,
    url: Annotated[str | None, Field(max_length=8192)] = None,
    state: Literal["network_idle", "dom_quiet"] | None = None,
    timeout_ms: Timeout = 10_000,
    tab_id: TabArg = None,
) -> ToolResult:
    """Wait until text appears, an element exists, the URL contains some text, or the page is idle.

    Args:
        text: Wait until this text is visible.
        ref: Wait until this element exists.
        url: Wait until the tab's URL contains this text.
        state: network_idle (no requests in flight) or dom_quiet (the page stopped changing).
    """
    if sum(c is not None for c in (text, ref, url, state)) != 1:
        raise BadToolArguments("wait_for needs exactly one of text, ref, url, state")
    bridge, tid = await acting_tab(ctx, tab_id)
    res = await checked_args(
        browser.wait_for(bridge, tid, text=text, ref=ref, url=url, state=state, timeout_ms=timeout_ms)
    )
    seen(ctx, tid, res.url)
    return ToolResult(
        f"Done waiting after {res.elapsed_ms} ms; tab {tid} is on {res.url}",
        data=res.model_dump(mode="json", exclude={"kind"}),
    )


# --- capture, page I/O, dialogs, console, network, evaluate ------------------------------------------------
# Their wrappers live in their own modules (sharing tool_support.py): capture_tools.py (screenshot,
# save_pdf, download_wait, upload_files, drag) and page_io_tools.py (dialog_state, handle_dialog,
# console_messages, network_requests, evaluate); default_registry() registers them after these.


#: Every browser tool, in the order the model is told about them.
BROWSER_TOOLS: tuple[RegisteredTool, ...] = (
    tabs_list,
    tab_open,
    tab_activate,
    tab_close,
    navigate,
    snapshot,
    page_text,
    wait_for,
    *ACT_TOOLS,
)

__all__ = [
    "BROWSER_TOOLS",
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
