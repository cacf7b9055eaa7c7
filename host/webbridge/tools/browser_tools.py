"""The browser tools the model calls: ``@tool`` wrappers over the typed functions of :mod:`.browser`.

Each tool acts in ``ctx.tab_id`` unless given ``tab_id``; ``tab_open`` and ``tab_activate`` make their tab
the current one. Results are short text for the model plus structured ``data``; anything read from a page
(snapshots, page text, the delta after an action) is marked ``untrusted``.

Safety the wrappers add on top of :mod:`.browser`:

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

from collections.abc import Awaitable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field

from ..errors import BadToolArguments, InvalidMessage, NoBrowser, NoTab
from ..policy.actions import ActionClass
from ..policy.page_elements import EXPECTED_ELEMENTS
from ..protocol.browser_kinds import ActionName, ActResult, Ref
from ..protocol.fields import Tab
from ..protocol.refs import ref_key
from . import browser, tab_scope
from .registry import BridgeHandle, RegisteredTool, ToolContext, ToolResult, tool

T = TypeVar("T")

#: ``ctx.state`` key: tab id -> the URL this run last saw the tab on (the ``expect_url`` of actions).
SEEN_URLS = "browser.seen_urls"

TabArg = Annotated[int | None, Field(ge=0, description="Tab id (default: the current tab)")]
RefArg = Annotated[Ref, Field(description="Element ref from the latest snapshot, e.g. e12 or f2e7")]
OptRefArg = Annotated[Ref | None, Field(description="Element ref from the latest snapshot")]
TextArg = Annotated[str, Field(max_length=8192)]
Timeout = Annotated[int, Field(ge=0, le=120_000, description="Give up after this many milliseconds")]


# --- shared helpers ---------------------------------------------------------------------------------------


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


# --- actions ----------------------------------------------------------------------------------------------


async def _act(ctx: ToolContext, tab_id: int | None, what: str, action: ActionName, **kw: Any) -> ToolResult:
    bridge, tid = await acting_tab(ctx, tab_id)
    # The role and name the policy decided this call on (from the snapshot the model read): the extension
    # acts only if the live element still has them (W6: 6008 target_changed, nothing done).
    expected = ctx.state.get(EXPECTED_ELEMENTS, {}).get((tid, ref_key(kw.get("ref"))))
    if expected is not None:
        kw["expect_role"], kw["expect_name"] = expected
    res: ActResult = await checked_args(browser.act(bridge, tid, action, expect_url=seen(ctx, tid), **kw))
    seen(ctx, tid, res.url)
    lines = [f"{what}" + (f"; the tab navigated to {res.url}" if res.navigated else "")]
    if res.input_used == "none":
        lines[0] += " (it was already so: nothing changed)"
    if res.delta:
        lines.append(f"Changes:\n{res.delta}")
    data = res.model_dump(mode="json", exclude={"kind"}) | {"tab_id": tid}
    return ToolResult("\n".join(lines), untrusted=bool(res.delta), data=data)


@tool(action=ActionClass.INTERACT)
async def click(
    ctx: ToolContext,
    ref: RefArg,
    button: Literal["left", "right"] = "left",
    double: bool = False,
    tab_id: TabArg = None,
) -> ToolResult:
    """Click an element.

    Args:
        button: left or right (context menu).
        double: Double-click.
    """
    if double and button == "right":
        raise BadToolArguments("click: double works with the left button only")
    action: ActionName = "dblclick" if double else ("rightclick" if button == "right" else "click")
    return await _act(ctx, tab_id, f"Clicked {ref}", action, ref=ref)


@tool(action=ActionClass.INTERACT)
async def hover(ctx: ToolContext, ref: RefArg, tab_id: TabArg = None) -> ToolResult:
    """Move the mouse over an element (opens menus and tooltips)."""
    return await _act(ctx, tab_id, f"Hovering {ref}", "hover", ref=ref)


def _classify_submit(args: BaseModel) -> ActionClass:
    return ActionClass.SUBMIT if getattr(args, "submit", False) else ActionClass.TYPE


@tool(action=ActionClass.TYPE, classify=_classify_submit)
async def type_text(
    ctx: ToolContext,
    ref: RefArg,
    text: TextArg,
    submit: bool = False,
    replace: bool = True,
    tab_id: TabArg = None,
) -> ToolResult:
    """Type text into a text field, replacing what it holds; optionally press Enter afterwards.

    Args:
        text: The text to enter.
        submit: Press Enter afterwards (submits most forms).
        replace: Replace the field's content (false: type at the end of it, key by key).
    """
    what = f"Typed {len(text)} characters into {ref}"
    result = await _act(
        ctx, tab_id, what, "fill" if replace else "type", ref=ref, text=text, delta=not submit
    )
    if not submit:
        return result
    pressed = await _act(ctx, tab_id, f"{what} and pressed Enter", "press", ref=ref, keys="Enter")
    return pressed


@tool(action=ActionClass.INTERACT)
async def select_option(
    ctx: ToolContext,
    ref: RefArg,
    values: Annotated[list[TextArg], Field(min_length=1, max_length=256)],
    tab_id: TabArg = None,
) -> ToolResult:
    """Choose options of a <select> (a combobox or list box) by their value or visible label.

    Args:
        values: The options to choose (several for a multi-select).
    """
    return await _act(ctx, tab_id, f"Selected {', '.join(values)} in {ref}", "select", ref=ref, values=values)


@tool(action=ActionClass.INTERACT)
async def check(ctx: ToolContext, ref: RefArg, checked: bool = True, tab_id: TabArg = None) -> ToolResult:
    """Tick or untick a checkbox, radio button or switch.

    Args:
        checked: true to tick, false to untick.
    """
    return await _act(
        ctx, tab_id, f"{'Checked' if checked else 'Unchecked'} {ref}", "check", ref=ref, checked=checked
    )


def _classify_press(args: BaseModel) -> ActionClass:
    keys = str(getattr(args, "keys", "")).lower().replace(" ", "")
    return (
        ActionClass.SUBMIT if "enter" in keys.split("+") or keys.endswith("enter") else ActionClass.INTERACT
    )


@tool(action=ActionClass.INTERACT, classify=_classify_press)
async def press(
    ctx: ToolContext,
    keys: Annotated[str, Field(min_length=1, max_length=256)],
    ref: OptRefArg = None,
    tab_id: TabArg = None,
) -> ToolResult:
    """Press a key or shortcut, e.g. Enter, Escape, Tab, ArrowDown, Control+a.

    Args:
        keys: Key names joined by +.
        ref: Focus this element first (default: the focused element).
    """
    return await _act(ctx, tab_id, f"Pressed {keys}", "press", ref=ref, keys=keys)


@tool(action=ActionClass.INTERACT)
async def scroll(
    ctx: ToolContext,
    ref: OptRefArg = None,
    dy: Annotated[int | None, Field(ge=-100_000, le=100_000)] = None,
    dx: Annotated[int | None, Field(ge=-100_000, le=100_000)] = None,
    tab_id: TabArg = None,
) -> ToolResult:
    """Scroll the page (default: down one screen), or scroll an element into view, or scroll inside it.

    Args:
        ref: Element to scroll into view (alone) or to scroll inside (with dx/dy).
        dy: Pixels down (negative: up).
        dx: Pixels right (negative: left).
    """
    return await _act(ctx, tab_id, f"Scrolled{' ' + ref if ref else ''}", "scroll", ref=ref, dx=dx, dy=dy)


# --- capture, page I/O, dialogs, console, network, evaluate ------------------------------------------------
# Their wrappers live in their own modules (they import the helpers above): capture_tools.py (screenshot,
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
    click,
    hover,
    type_text,
    select_option,
    check,
    press,
    scroll,
)

__all__ = ["BROWSER_TOOLS", "SEEN_URLS", "acting_tab", "bridge_of", "checked_args", "seen", "tab_of"]
