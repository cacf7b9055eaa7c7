"""Page I/O tools: JavaScript dialogs, the console, the network log and evaluating JavaScript
(``protocol/page_io_kinds.py``, docs/PROTOCOL.md §5.2).

Plain typed async functions over a connected bridge, like those of ``webbridge.tools.browser`` (which
re-exports them); requests and error translation go through ``browser_call``. Console texts and request URLs
are page data (untrusted). Only ``dialog_state`` is idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from ..protocol.page_io_kinds import (
    DEFAULT_RESULT_BYTES,
    ConsoleLevel,
    ConsoleRead,
    ConsoleResult,
    DialogArm,
    DialogArmed,
    DialogHandle,
    DialogHandled,
    DialogState,
    DialogStateResult,
    Evaluate,
    EvaluateResult,
    NetworkRead,
    NetworkResult,
)
from .browser_call import BridgeLike, _build, _call, _deadline


async def dialog_state(bridge: BridgeLike, tab_id: int) -> DialogStateResult:
    """The browser dialog blocking the tab now (``dialog`` is None when there is none), whether the tab's
    dialogs are seen at all, the armed answer and the dialogs the page hook answered lately. Raises
    TabNotFound. Idempotent."""
    return await _call(bridge, _build(DialogState, tab_id=tab_id), DialogStateResult)


async def handle_dialog(
    bridge: BridgeLike,
    tab_id: int,
    action: Literal["accept", "dismiss"],
    *,
    prompt_text: str | None = None,
) -> DialogHandled:
    """Accept or dismiss the dialog blocking the tab (``prompt_text``: what an accepted prompt returns;
    accepting a beforeunload dialog lets the navigation go on). Returns the dialog that was handled. Raises
    NoDialog (none open), TabNotFound, ActionFailed. Not idempotent."""
    msg = _build(DialogHandle, tab_id=tab_id, action=action, prompt_text=prompt_text)
    return await _call(bridge, msg, DialogHandled)


async def arm_dialog(
    bridge: BridgeLike,
    tab_id: int,
    action: Literal["accept", "dismiss"] | None,
    *,
    prompt_text: str | None = None,
) -> DialogArmed:
    """Set the answer to the tab's next alert/confirm/prompt (used once; ``None`` disarms). Without one, the
    page hook dismisses dialogs. Raises TabNotFound. Idempotent."""
    msg = _build(DialogArm, tab_id=tab_id, action=action, prompt_text=prompt_text)
    return await _call(bridge, msg, DialogArmed)


async def console_messages(
    bridge: BridgeLike,
    tab_id: int,
    *,
    since: int = 0,
    limit: int = 200,
    levels: Sequence[ConsoleLevel] | None = None,
    clear: bool = False,
    earlier: bool = False,
) -> ConsoleResult:
    """The tab's console messages after ``since`` (pass the previous reply's ``next`` to read only newer
    ones), oldest first; ``levels`` filters; ``dropped`` counts those the bounded log lost; ``earlier``
    first adds what the current document logged before recording began (the extension attaches the debugger
    briefly for it). Texts are page data. Raises TabNotFound, InvalidMessage (bad arguments), ActionFailed
    (``earlier`` and the debugger cannot attach)."""
    msg = _build(ConsoleRead, tab_id=tab_id, since=since, limit=limit,
                 levels=None if levels is None else list(levels), clear=clear, earlier=earlier)  # fmt: skip
    return await _call(bridge, msg, ConsoleResult)


async def network_requests(
    bridge: BridgeLike,
    tab_id: int,
    *,
    since: int = 0,
    limit: int = 200,
    url: str | None = None,
    clear: bool = False,
) -> NetworkResult:
    """The tab's requests after ``since`` as the browser saw them (method, URL, type, status or error,
    timing, declared sizes; never headers or bodies); ``url`` keeps those containing the text. URLs are page
    data. Raises TabNotFound, InvalidMessage."""
    msg = _build(NetworkRead, tab_id=tab_id, since=since, limit=limit, url=url, clear=clear)
    return await _call(bridge, msg, NetworkResult)


async def evaluate(
    bridge: BridgeLike,
    tab_id: int,
    script: str,
    args: Sequence[Any] = (),
    *,
    timeout_ms: int = 10_000,
    max_bytes: int = DEFAULT_RESULT_BYTES,
) -> EvaluateResult:
    """Run ``script`` in the page's main world: an expression, or a function called with ``args``; a
    promise is awaited. Returns the JSON value (``type`` is its JavaScript type). The action class is
    SCRIPT. Raises ScriptError (it threw, or the page's CSP forbids eval), ScriptResultInvalid (not
    JSON-serialisable, or over ``max_bytes``), ScriptTimeout (after ``timeout_ms``; the script may go on in
    the page), DialogOpen/DialogOpened, UrlBlocked, TabNotFound, InvalidMessage (bad arguments). Cancelling
    forgets the reply; the script is not stopped."""
    msg = _build(Evaluate, tab_id=tab_id, script=script, args=list(args), timeout_ms=timeout_ms,
                 max_bytes=max_bytes)  # fmt: skip
    return await _call(bridge, msg, EvaluateResult, timeout=_deadline(timeout_ms))


__all__ = ["arm_dialog", "console_messages", "dialog_state", "evaluate", "handle_dialog", "network_requests"]
