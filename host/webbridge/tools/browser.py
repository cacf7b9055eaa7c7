"""Browser-control tools: plain typed async functions over a connected bridge (docs/PROTOCOL.md §5.2).

Each builds the request model of ``webbridge.protocol.browser_kinds``, sends it with
``bridge.channel.request`` and returns the typed reply. Errors, translated in one place (:func:`_call`, in
``browser_call``):

- the extension's 6xxx replies become the matching :class:`~webbridge.errors.BrowserActionError`
  (``StaleRef``, ``NavigatedAway``, ``NotActionable``, ``UrlBlocked``, ``TabNotFound``, ``WaitTimeout``,
  ``ActionFailed``): outcomes the agent sees as tool results; nothing happened elsewhere instead;
- every other failure propagates unchanged: ``RemoteError`` for other remote codes, ``RequestTimeout``,
  ``ChannelClosed``, ``Busy`` (run failures), ``InvalidMessage`` for arguments the models refuse;
- ``ValueError`` for misuse the models cannot express (``wait_for`` needs exactly one condition,
  ``navigate`` with ``goto`` needs a URL).

URLs are checked by the daemon-side URL policy before anything is sent (:class:`UrlBlocked`); the extension
checks again. Cancelling a call forgets the request (a late reply is dropped); it is not undone in the
browser. None of these calls is idempotent except ``tabs_list``, ``page_text``, ``snapshot`` and
``wait_for``.

This module holds the tabs, navigation, text, waiting, snapshot and act functions; the capture and file
transfer functions (``browser_capture``) and the page I/O functions (``browser_page_io``) live in their own
modules and are re-exported here, so ``browser.screenshot`` or ``browser.evaluate`` work as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ..errors import TabNotFound
from ..protocol.browser_kinds import (
    Act,
    ActionName,
    ActResult,
    Describe,
    Described,
    Done,
    Navigate,
    Navigated,
    PageTextRequest,
    PageTextResult,
    Snapshot,
    SnapshotResult,
    TabResult,
    TabsActivate,
    TabsClose,
    TabsList,
    TabsListResult,
    TabsOpen,
    WaitFor,
    WaitResult,
)
from ..protocol.fields import Tab
from .browser_call import (
    REPLY_MARGIN_S,
    BridgeLike,
    RequestChannel,
    _build,
    _call,
    _deadline,
    translate_remote_error,
)
from .browser_capture import CAPTURE_TIMEOUT_S, Capture, downloads_wait, drag, save_pdf, screenshot, upload
from .browser_page_io import (
    arm_dialog,
    console_messages,
    dialog_state,
    evaluate,
    handle_dialog,
    network_requests,
)
from .url_policy import require_allowed_url

# --- tabs -----------------------------------------------------------------------------------------------


async def tabs_list(bridge: BridgeLike, *, url: str | None = None, title: str | None = None) -> list[Tab]:
    """Tabs of every normal window; ``url``/``title`` keep those containing the text (case-insensitive)."""
    result = await _call(bridge, _build(TabsList, url=url, title=title), TabsListResult)
    return list(result.tabs)


async def find_tab(bridge: BridgeLike, *, url: str | None = None, title: str | None = None) -> Tab:
    """The one tab matching ``url``/``title`` (the active one if several match, else the first).

    Raises :class:`~webbridge.errors.TabNotFound` when none matches and ``ValueError`` without a filter.
    """
    if url is None and title is None:
        raise ValueError("find_tab needs url or title")
    tabs = await tabs_list(bridge, url=url, title=title)
    if not tabs:
        raise TabNotFound("no tab matches")
    return next((t for t in tabs if t.active), tabs[0])


async def open_tab(bridge: BridgeLike, url: str, *, active: bool = False, group: str | None = None) -> Tab:
    """Open ``url`` in a new tab, in the tab group named ``group`` (created if needed).

    Returns the tab once its document is parsed (DOMContentLoaded), or after 15 s as it is then (follow with
    :func:`wait_for` for more). Raises :class:`~webbridge.errors.UrlBlocked` for URLs the policy refuses.
    """
    require_allowed_url(url, "open")
    result = await _call(bridge, _build(TabsOpen, url=url, active=active, group=group), TabResult)
    return result.tab


async def activate_tab(bridge: BridgeLike, tab_id: int) -> Tab:
    """Make the tab the active one of its window and focus the window. Raises TabNotFound."""
    result = await _call(bridge, _build(TabsActivate, tab_id=tab_id), TabResult)
    return result.tab


async def close_tab(bridge: BridgeLike, tab_id: int) -> None:
    """Close the tab. Raises TabNotFound (also when it is closed already)."""
    await _call(bridge, _build(TabsClose, tab_id=tab_id), Done)


# --- navigation, text, waiting --------------------------------------------------------------------------


async def navigate(
    bridge: BridgeLike,
    tab_id: int,
    url: str | None = None,
    *,
    action: Literal["goto", "back", "forward", "reload"] = "goto",
    wait: Literal["load", "none"] = "load",
    timeout_ms: int = 30_000,
) -> Navigated:
    """Go to ``url``, back, forward or reload; with ``wait="load"`` returns after the load event.

    Raises UrlBlocked (target or current page refused), TabNotFound, WaitTimeout (no load in time; the
    navigation itself is not undone) and ActionFailed (no history entry to go back/forward to).
    """
    if action == "goto":
        if url is None:
            raise ValueError("navigate(action='goto') needs a url")
        require_allowed_url(url)
    elif url is not None:
        raise ValueError(f"navigate(action={action!r}) takes no url")
    msg = _build(Navigate, tab_id=tab_id, action=action, url=url, wait=wait, timeout_ms=timeout_ms)
    return await _call(bridge, msg, Navigated, timeout=_deadline(timeout_ms))


async def page_text(bridge: BridgeLike, tab_id: int, *, max_chars: int | None = None) -> PageTextResult:
    """The page's readable text with links as markdown (``truncated`` says whether it was cut)."""
    return await _call(bridge, _build(PageTextRequest, tab_id=tab_id, max_chars=max_chars), PageTextResult)


async def wait_for(
    bridge: BridgeLike,
    tab_id: int,
    *,
    text: str | None = None,
    ref: str | None = None,
    url: str | None = None,
    state: Literal["network_idle", "dom_quiet"] | None = None,
    timeout_ms: int = 10_000,
) -> WaitResult:
    """Wait, event-driven, until exactly one condition holds: ``text`` visible, ``ref`` present, the URL
    contains ``url``, the network is idle or the DOM quiet. Raises WaitTimeout (6006) after ``timeout_ms``,
    StaleRef for a ref from a document the tab has left, ValueError unless exactly one condition is given."""
    given = [c for c in (text, ref, url, state) if c is not None]
    if len(given) != 1:
        raise ValueError("wait_for needs exactly one of text, ref, url, state")
    msg = _build(WaitFor, tab_id=tab_id, text=text, ref=ref, url=url, state=state, timeout_ms=timeout_ms)
    return await _call(bridge, msg, WaitResult, timeout=_deadline(timeout_ms))


# --- snapshot and actions (implemented in the extension by the snapshot/act modules) --------------------


async def snapshot(
    bridge: BridgeLike,
    tab_id: int,
    *,
    mode: Literal["default", "full", "subtree", "find", "delta"] = "default",
    ref: str | None = None,
    query: str | None = None,
    role: str | None = None,
    max_chars: int | None = None,
) -> SnapshotResult:
    """A text tree of the page with a ref on everything a user could act on (see ``Snapshot``)."""
    msg = _build(Snapshot, tab_id=tab_id, mode=mode, ref=ref, query=query, role=role, max_chars=max_chars)
    return await _call(bridge, msg, SnapshotResult)


async def act(
    bridge: BridgeLike,
    tab_id: int,
    action: ActionName,
    *,
    ref: str | None = None,
    expect_url: str | None = None,
    text: str | None = None,
    values: Sequence[str] | None = None,
    checked: bool | None = None,
    keys: str | None = None,
    dx: int | None = None,
    dy: int | None = None,
    input: Literal["auto", "dom", "trusted"] = "auto",
    delta: bool = True,
    expect_role: str | None = None,
    expect_name: str | None = None,
) -> ActResult:
    """One action on one element (or the page). Raises StaleRef, NavigatedAway (``expect_url`` no longer
    matches, W6), TargetChanged (the live element lost ``expect_role``/``expect_name``, W6), NotActionable,
    ActionFailed; never acts on another element instead."""
    msg = _build(
        Act,
        tab_id=tab_id, action=action, ref=ref, expect_url=expect_url, text=text,
        values=None if values is None else list(values), checked=checked, keys=keys, dx=dx, dy=dy,
        input=input, delta=delta, expect_role=expect_role, expect_name=expect_name,
    )  # fmt: skip
    return await _call(bridge, msg, ActResult)


async def describe(bridge: BridgeLike, tab_id: int, ref: str) -> Described:
    """What ``ref`` is now, from the live element: role, name, its form's action, method, fields and
    whether activating it submits, a link's href (read-only). Raises StaleRef, TabNotFound."""
    return await _call(bridge, _build(Describe, tab_id=tab_id, ref=ref), Described)


__all__ = [
    "CAPTURE_TIMEOUT_S",
    "REPLY_MARGIN_S",
    "BridgeLike",
    "Capture",
    "RequestChannel",
    "act",
    "activate_tab",
    "arm_dialog",
    "close_tab",
    "console_messages",
    "describe",
    "dialog_state",
    "downloads_wait",
    "drag",
    "evaluate",
    "find_tab",
    "handle_dialog",
    "navigate",
    "network_requests",
    "open_tab",
    "page_text",
    "save_pdf",
    "screenshot",
    "snapshot",
    "tabs_list",
    "translate_remote_error",
    "upload",
    "wait_for",
]
