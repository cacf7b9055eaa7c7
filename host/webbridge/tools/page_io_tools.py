"""The page I/O tools the model calls: dialog_state, handle_dialog, console_messages, network_requests and
evaluate, as ``@tool`` wrappers over the typed functions of :mod:`.browser`.

Everything these tools return from the page (dialog messages, console texts, request URLs, evaluation
results) is marked ``untrusted``: the loop hands it to the model as data, never as instructions.

Dialogs: ``alert``/``confirm``/``prompt`` never block a tab the agent works in — the extension's page hook
answers each at once, dismissing it unless an answer was armed — so handle_dialog does one of two things:
with a browser dialog open (a "leave this page?" one, which only the browser can show) it answers that;
with none open it arms the answer to the page's next dialog (then the model repeats the action that opens
it). Action classes: dialog_state READ; handle_dialog INTERACT, except that accepting a "leave this page?"
(``beforeunload``) dialog lets a navigation go on, so it needs ``leave_page=true`` and is then NAVIGATE
(``classify``). The wrapper looks at the open dialog first and refuses to accept a beforeunload without it
(:class:`~webbridge.errors.BadToolArguments`); a page cannot open a second dialog while one is open, so the
dialog checked is the one handled unless the user handles it in between. console_messages and
network_requests are NETWORK; evaluate is SCRIPT.

console_messages and network_requests read only what is new since this run's previous read of the same tab
(a cursor per tab in ``ctx.state``) unless ``from_start`` is set.

Errors (model-visible): :class:`~webbridge.errors.BadToolArguments`, :class:`~webbridge.errors.NoBrowser`,
:class:`~webbridge.errors.NoTab`, and the 6xxx replies (``NoDialog``, ``DialogOpen``, ``DialogOpened``,
``ScriptError``, ``ScriptResultInvalid``, ``ScriptTimeout``, ``TabNotFound``, ...). Cancelling a call
forgets its request; a script already started keeps running in the page.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from ..errors import BadToolArguments
from ..policy.actions import ActionClass
from ..protocol.page_io_kinds import (
    MAX_LOG_ENTRIES,
    MAX_SCRIPT,
    AnsweredDialog,
    ConsoleLevel,
    ConsoleMessage,
    Dialog,
    NetworkRequest,
)
from . import browser
from .registry import RegisteredTool, ToolContext, ToolResult, tool
from .tool_support import TabArg, acting_tab, checked_args

#: ``ctx.state`` keys: tab id -> the ``next`` cursor of the previous console / network read of this run.
CONSOLE_CURSOR = "browser.console_next"
NETWORK_CURSOR = "browser.network_next"

Limit = Annotated[int, Field(ge=1, le=MAX_LOG_ENTRIES, description="Most entries to return")]
NOT_WATCHED = (
    "\n(Note: this tab is not being recorded yet; messages start to be kept once the agent works in it.)"
)


def _quote(text: str, limit: int = 2000) -> str:
    """Page text on one line, cut: a newline in a dialog or console text must not fake a line of ours."""
    flat = json.dumps(text[:limit], ensure_ascii=False)
    return flat if len(text) <= limit else flat[:-1] + '…"'


def _describe(d: Dialog) -> str:
    kind = "leave-page (beforeunload)" if d.type == "beforeunload" else d.type
    extra = f"; default answer {_quote(d.default_prompt)}" if d.type == "prompt" and d.default_prompt else ""
    return f"a {kind} dialog from {d.url}: {_quote(d.message)}{extra}"


def _answered(d: AnsweredDialog) -> str:
    if d.answer == "accept":
        how = f"accepted with {_quote(d.prompt_text or '')}" if d.type == "prompt" else "accepted"
    else:
        how = "closed" if d.type == "alert" else "dismissed"
    why = "as armed" if d.by == "armed" else "(no answer was armed)"
    return f"{_describe(d)} — {how} {why}"


# --- dialogs ------------------------------------------------------------------------------------------------


@tool(action=ActionClass.READ)
async def dialog_state(ctx: ToolContext, tab_id: TabArg = None) -> ToolResult:
    """Check whether a leave-page dialog blocks the tab, and list the dialogs the page opened lately."""
    bridge, tid = await acting_tab(ctx, tab_id)
    res = await checked_args(browser.dialog_state(bridge, tid))
    data = res.model_dump(mode="json", exclude={"kind"}) | {"tab_id": tid}
    lines = [f"Recent: {_answered(d)}" for d in res.recent[-5:]]
    if res.armed is not None:
        text = f" with {_quote(res.armed.prompt_text)}" if res.armed.prompt_text is not None else ""
        lines.append(f"The next dialog will be answered: {res.armed.action}{text}.")
    if res.dialog is None:
        note = "" if res.watched else " (the tab is not watched for dialogs yet)"
        head = f"No dialog is open in tab {tid}{note}"
        return ToolResult("\n".join([head, *lines]), untrusted=bool(res.recent), data=data)
    head = f"Tab {tid} is blocked by {_describe(res.dialog)}"
    return ToolResult(
        "\n".join([head, "Answer it with handle_dialog.", *lines]),
        untrusted=True,
        data=data,
    )


def _classify_dialog(args: BaseModel) -> ActionClass:
    leaving = getattr(args, "action", None) == "accept" and getattr(args, "leave_page", False)
    return ActionClass.NAVIGATE if leaving else ActionClass.INTERACT


@tool(action=ActionClass.INTERACT, classify=_classify_dialog)
async def handle_dialog(
    ctx: ToolContext,
    action: Literal["accept", "dismiss"],
    prompt_text: Annotated[str | None, Field(max_length=8192)] = None,
    leave_page: bool = False,
    tab_id: TabArg = None,
) -> ToolResult:
    """Answer the leave-page dialog blocking the tab, or else the page's next alert/confirm/prompt (call this
    first, then repeat the action that opens it).

    Args:
        action: accept (OK) or dismiss (Cancel).
        prompt_text: For a prompt dialog: the text to answer with (accept only).
        leave_page: Needed to accept a leave-page (beforeunload) dialog, which lets the page be left.
    """
    if prompt_text is not None and action != "accept":
        raise BadToolArguments("handle_dialog: prompt_text goes with accept only")
    bridge, tid = await acting_tab(ctx, tab_id)
    state = await checked_args(browser.dialog_state(bridge, tid))
    if state.dialog is None:
        armed = await checked_args(browser.arm_dialog(bridge, tid, action, prompt_text=prompt_text))
        text = f" with {_quote(prompt_text)}" if prompt_text is not None else ""
        data = armed.model_dump(mode="json", exclude={"kind"}) | {"tab_id": tid}
        return ToolResult(
            f"No dialog is open in tab {tid}. The page's next dialog will be answered: {action}{text}. "
            "Now do what opens it.",
            data=data,
        )
    if action == "accept" and not leave_page and state.dialog.type == "beforeunload":
        raise BadToolArguments(
            "handle_dialog: this is a leave-page dialog; accepting it leaves the page. "
            "Call again with leave_page=true to leave, or dismiss it to stay."
        )
    res = await checked_args(browser.handle_dialog(bridge, tid, action, prompt_text=prompt_text))
    verb = "Accepted" if res.action == "accept" else "Dismissed"
    answer = f" with {_quote(prompt_text)}" if prompt_text is not None and res.dialog.type == "prompt" else ""
    data = res.model_dump(mode="json", exclude={"kind"}) | {"tab_id": tid}
    return ToolResult(f"{verb}{answer} {_describe(res.dialog)}", untrusted=True, data=data)


# --- console and network ------------------------------------------------------------------------------------


def _cursor(ctx: ToolContext, key: str, tid: int, from_start: bool) -> int:
    cursors: dict[int, int] = ctx.state.setdefault(key, {})
    return 0 if from_start else cursors.get(tid, 0)


def _console_line(m: ConsoleMessage) -> str:
    where = f" ({m.url}:{m.line})" if m.url and m.line is not None else (f" ({m.url})" if m.url else "")
    origin = "" if m.source == "console" else f" {m.source}"
    return f"[{m.level}{origin}] {_quote(m.text, 1000)}{where}"


@tool(action=ActionClass.NETWORK)
async def console_messages(
    ctx: ToolContext,
    levels: Annotated[list[ConsoleLevel] | None, Field(min_length=1, max_length=5)] = None,
    from_start: bool = False,
    earlier: bool = False,
    limit: Limit = 100,
    tab_id: TabArg = None,
) -> ToolResult:
    """The page's console messages and uncaught errors that are new since the last call, oldest first.

    Args:
        levels: Only these levels (debug, log, info, warning, error).
        from_start: Read from the first recorded message, not only the new ones.
        earlier: Also fetch what the page logged before the agent started working in the tab (the browser
            briefly shows its debugging bar for this).
    """
    bridge, tid = await acting_tab(ctx, tab_id)
    since = _cursor(ctx, CONSOLE_CURSOR, tid, from_start)
    res = await checked_args(
        browser.console_messages(bridge, tid, since=since, limit=limit, levels=levels, earlier=earlier)
    )
    ctx.state[CONSOLE_CURSOR][tid] = res.next
    lines = [_console_line(m) for m in res.messages] or ["No new console messages."]
    if res.dropped:
        lines.append(f"({res.dropped} older messages were no longer kept)")
    more = "\n(more: call again)" if len(res.messages) >= limit else ""
    note = "" if res.watched else NOT_WATCHED
    data = res.model_dump(mode="json", exclude={"kind"}) | {"tab_id": tid}
    return ToolResult("\n".join(lines) + more + note, untrusted=bool(res.messages), data=data)


def _request_line(r: NetworkRequest) -> str:
    outcome = str(r.status) if r.status is not None else (f"failed: {r.error}" if r.error else "pending")
    took = f" {r.duration_ms} ms" if r.duration_ms is not None else ""
    size = f" {r.response_size} bytes" if r.response_size is not None else ""
    cache = " (cache)" if r.from_cache else ""
    return f"{r.method} {outcome} {r.type} {_quote(r.url, 500)}{took}{size}{cache}"


@tool(action=ActionClass.NETWORK)
async def network_requests(
    ctx: ToolContext,
    url: Annotated[str | None, Field(max_length=8192)] = None,
    from_start: bool = False,
    limit: Limit = 100,
    tab_id: TabArg = None,
) -> ToolResult:
    """The requests the page made since the last call (method, status, type, URL, time, size; no bodies).

    Args:
        url: Only requests whose URL contains this text.
        from_start: Read from the first recorded request, not only the new ones.
    """
    bridge, tid = await acting_tab(ctx, tab_id)
    since = _cursor(ctx, NETWORK_CURSOR, tid, from_start)
    res = await checked_args(browser.network_requests(bridge, tid, since=since, limit=limit, url=url))
    ctx.state[NETWORK_CURSOR][tid] = res.next
    lines = [_request_line(r) for r in res.requests] or ["No new requests."]
    if res.dropped:
        lines.append(f"({res.dropped} older requests were no longer kept)")
    more = "\n(more: call again)" if len(res.requests) >= limit else ""
    data = res.model_dump(mode="json", exclude={"kind"}) | {"tab_id": tid}
    return ToolResult("\n".join(lines) + more, untrusted=bool(res.requests), data=data)


# --- evaluate -----------------------------------------------------------------------------------------------


@tool(action=ActionClass.SCRIPT)
async def evaluate(
    ctx: ToolContext,
    script: Annotated[str, Field(min_length=1, max_length=MAX_SCRIPT)],
    args: Annotated[list[Any], Field(max_length=64)] | None = None,
    timeout_ms: Annotated[int, Field(ge=1, le=120_000)] = 10_000,
    tab_id: TabArg = None,
) -> ToolResult:
    """Run JavaScript in the page and return its JSON result. Prefer snapshot and the action tools.

    Args:
        script: An expression (document.title), or a function called with args
            ((sel) => document.querySelectorAll(sel).length). Promises are awaited; the result must be JSON.
        args: Arguments for the function.
        timeout_ms: Give up after this many milliseconds.
    """
    bridge, tid = await acting_tab(ctx, tab_id)
    res = await checked_args(browser.evaluate(bridge, tid, script, args or (), timeout_ms=timeout_ms))
    shown = json.dumps(res.value, ensure_ascii=False)
    data = res.model_dump(mode="json", exclude={"kind"}) | {"tab_id": tid}
    return ToolResult(f"Result ({res.type}): {shown}", untrusted=True, data=data)


#: The tools of this module, in the order the model is told about them.
PAGE_IO_TOOLS: tuple[RegisteredTool, ...] = (
    dialog_state,
    handle_dialog,
    console_messages,
    network_requests,
    evaluate,
)

__all__ = ["CONSOLE_CURSOR", "NETWORK_CURSOR", "PAGE_IO_TOOLS"]
