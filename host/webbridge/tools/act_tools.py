"""The action tools the model calls — click, hover, type_text, select_option, check, press, scroll — as
``@tool`` wrappers over :func:`.browser.act`.

Safety they add on top of :mod:`.browser`:

- actions carry ``expect_url``, the URL this run last saw the tab on (from a snapshot, page text, a
  navigation or the previous action), so a ref is never used on a page the model has not seen (6002), and
  ``expect_role``/``expect_name``, the element the policy decided the call on
  (``ctx.state[EXPECTED_ELEMENTS]``), so a ref whose element changed is not acted on (6008);
- a tool whose effect depends on its arguments (``press`` with Enter, ``type_text`` with ``submit``)
  declares the stronger :class:`ActionClass` for those calls (``classify``), so the policy sees a submit.

Errors: as :mod:`.browser_tools` says. Cancelling a tool forgets its request; what the browser already did is
not undone.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from ..errors import BadToolArguments
from ..policy.actions import ActionClass
from ..policy.page_elements import EXPECTED_ELEMENTS
from ..protocol.browser_kinds import ActionName, ActResult
from ..protocol.refs import ref_key
from . import browser
from .registry import RegisteredTool, ToolContext, ToolResult, tool
from .tool_support import OptRefArg, RefArg, TabArg, TextArg, acting_tab, checked_args, seen

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


#: The action tools, in the order the model is told about them.
ACT_TOOLS: tuple[RegisteredTool, ...] = (click, hover, type_text, select_option, check, press, scroll)

__all__ = ["ACT_TOOLS"]
