"""What the policy hook learns about the page from the browser, never from the model's words.

- :func:`learn_elements`: the role and name every ref has in a snapshot (or an action's delta) the run was
  shown, kept in the hook's :class:`~.page_elements.ElementMemory` for the next decision on that ref;
- :func:`live_element`: what the browser says a ref is right now (``page.describe``), for calls that may
  send data;
- :func:`learn_tab_url`: the URL of a tab the run has not seen yet (``tabs.list``), so the decision is made
  on the real page rather than asking blind.
"""

from __future__ import annotations

import logging
from typing import Any, TypeGuard

from ..errors import BrowserActionError, RemoteError
from ..protocol.browser_kinds import Described
from ..tools import browser
from .actions import ActionClass
from .call_description import SEEN_URLS, CallContext, ToolLike, arg_of, seen_url, tab_of
from .page_elements import ElementMemory
from .proposed import WEB_CLASSES

log = logging.getLogger("webbridge.policy.hook")

#: Calls on a ref whose live element the hook describes before deciding (they may send data).
_DESCRIBED = frozenset({ActionClass.INTERACT, ActionClass.TYPE, ActionClass.SUBMIT})


def is_snapshot_text(data: Any) -> TypeGuard[dict[str, Any]]:
    """Results whose text is the extension's snapshot format: a snapshot (``refs``, ``frames``) or an
    action's delta (``input_used``). Never page text, whose lines the page writes (it could forge one)."""
    return isinstance(data, dict) and (("refs" in data and "frames" in data) or "input_used" in data)


def learn_elements(elements: ElementMemory, ctx: CallContext, content: Any, data: Any) -> None:
    """Remember the elements a successful result names, if its text is in the snapshot format (on the tab
    the result names, else the run context's)."""
    if isinstance(content, str) and is_snapshot_text(data):
        tab = data.get("tab_id")
        elements.learn(ctx.run_id, tab if isinstance(tab, int) else ctx.tab_id, content)


async def live_element(tool: ToolLike, args: Any, ctx: CallContext) -> Described | None:
    """What the browser says the call's ref is now (``page.describe``), for calls that may send data;
    None without a ref, a bridge or a tab, or when the browser cannot say (a stale ref: the action
    itself will fail). A cancellation propagates; channel errors end the run."""
    ref = arg_of(args, "ref")
    bridge = getattr(ctx, "bridge", None)
    tab_id = tab_of(args, ctx)
    if tool.action not in _DESCRIBED or not isinstance(ref, str) or bridge is None or tab_id is None:
        return None
    try:
        return await browser.describe(bridge, tab_id, ref)
    except (BrowserActionError, RemoteError) as exc:
        log.debug("page.describe %s on tab %s: %s", ref, tab_id, exc)
        return None


async def learn_tab_url(tool: ToolLike, args: Any, ctx: CallContext) -> None:
    """A web action on a tab whose URL the run has not seen: ask the browser (``tabs.list``) and record it
    in ``ctx.state[SEEN_URLS]``, so the decision is made on the real page rather than asking blind. A
    :class:`~webbridge.errors.BrowserActionError` leaves it unknown (the decision then asks); channel errors
    and a cancellation propagate, recording nothing."""
    if tool.action not in WEB_CLASSES or (tool.action is ActionClass.NAVIGATE and arg_of(args, "url")):
        return
    tab = arg_of(args, "tab_id")
    tab_id = tab if isinstance(tab, int) and not isinstance(tab, bool) else ctx.tab_id
    state = getattr(ctx, "state", None)
    bridge = getattr(ctx, "bridge", None)
    if tab_id is None or bridge is None or not isinstance(state, dict):
        return
    if getattr(ctx, "page_url", None) or seen_url(ctx, tab_id):
        return
    try:
        tabs = await browser.tabs_list(bridge)
    except BrowserActionError:
        return  # still unknown: the decision asks
    for t in tabs:
        if t.id == tab_id:
            state.setdefault(SEEN_URLS, {})[tab_id] = t.url


__all__ = ["is_snapshot_text", "learn_elements", "learn_tab_url", "live_element"]
