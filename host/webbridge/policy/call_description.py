"""A tool call as the policy sees it: :func:`describe_call` turns a call into a
:class:`~.proposed.ProposedAction` from facts, never from model prose.

The facts: the tool's declared class, its arguments, the URL the run last saw the tab on
(``ctx.state[SEEN_URLS]``), the role and name the last snapshot gave the ref, and what the browser says the
live element is (``page.describe``); where the call's data would go is :mod:`.destinations`' job.

:class:`ToolLike` and :class:`CallContext` are the small protocols the policy needs of a tool and of a run
context (the registry's ``ToolContext`` has them), so it does not depend on registry internals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ..protocol.browser_kinds import Described
from .actions import ActionClass
from .destinations import data_out, form_action_of
from .proposed import DataOut, Element, ProposedAction

#: ``ctx.state`` key where the browser tools keep tab id -> the URL the run last saw it on
#: (``webbridge.tools.browser_tools.SEEN_URLS``; a test keeps the two equal).
SEEN_URLS = "browser.seen_urls"


class ToolLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def action(self) -> ActionClass: ...


class CallContext(Protocol):
    """What the hook needs of the run context (the registry's ``ToolContext`` has it). Optional extras,
    read when present: ``state[SEEN_URLS]``, ``task_id``, ``session_id``, ``schedule_id``, ``call_id``,
    ``page_url`` (overrides the seen URL), ``element_for(ref) -> (role, name) | None`` (overrides what the
    hook learnt from snapshots) and ``form_action_for(ref) -> str | None``."""

    @property
    def run_id(self) -> str: ...

    @property
    def tab_id(self) -> int | None: ...


ElementLookup = Callable[[str, "int | None", str], "tuple[str, str] | None"]
Describe = Callable[[ToolLike, Any, CallContext], ProposedAction]


def describe_call(
    tool: ToolLike, args: Any, ctx: CallContext, elements: ElementLookup | None = None,
    live: Described | None = None,
) -> ProposedAction:
    """The structured action of a call (``args``: the validated pydantic model, or a mapping).

    The page is the navigation target for navigations, else the URL the run last saw the tab on; the
    element is what the last snapshot named the ref (``elements``). ``live`` is what the browser said the
    ref is right now (``page.describe``): typed text goes where the field's form sends it, and a click or
    key press that submits a form goes to the form's action URL, carrying the form's field values. Raises
    :class:`DomainRefused` for a look-alike or malformed host (the form's action URL included).
    """
    cls = tool.action
    tab_id = tab_of(args, ctx)
    url = opt_str(arg_of(args, "url")) if cls is ActionClass.NAVIGATE else None
    if url is None:
        url = opt_str(getattr(ctx, "page_url", None)) or seen_url(ctx, tab_id)
    element = None
    form_action = None
    ref = arg_of(args, "ref")
    if isinstance(ref, str):
        lookup = getattr(ctx, "element_for", None)
        found = lookup(ref) if callable(lookup) else None
        if found is None and elements is not None:
            found = elements(ctx.run_id, tab_id, ref)
        if found is not None:
            element = Element(str(found[0]), str(found[1]), ref)
        form_lookup = getattr(ctx, "form_action_for", None)
        form_action = form_action_of(cls, opt_str(form_lookup(ref)) if callable(form_lookup) else None, live)
    data: list[DataOut] = []
    if url is not None:
        data = data_out(cls, url, arg_of(args, "text"), form_action, live)
    return ProposedAction(
        tool=tool.name, action=cls, url=url, element=element, ref=ref if isinstance(ref, str) else None,
        form_action=form_action, data_out=tuple(data),
        run_id=ctx.run_id, task_id=opt_str(getattr(ctx, "task_id", None)),
        session_id=opt_str(getattr(ctx, "session_id", None)),
        schedule_id=opt_str(getattr(ctx, "schedule_id", None)),
    )


def arg_of(args: Any, name: str) -> Any:
    """The argument ``name`` of a call, from a validated pydantic model or a mapping; None when absent."""
    if isinstance(args, Mapping):
        return args.get(name)
    return getattr(args, name, None)


def tab_of(args: Any, ctx: CallContext) -> int | None:
    """The call's ``tab_id`` argument, else the run context's tab."""
    tab = arg_of(args, "tab_id")
    return tab if isinstance(tab, int) and not isinstance(tab, bool) else ctx.tab_id


def seen_url(ctx: CallContext, tab_id: int | None) -> str | None:
    """The URL the run last saw ``tab_id`` on (``ctx.state[SEEN_URLS]``), or None."""
    state = getattr(ctx, "state", None)
    urls = state.get(SEEN_URLS) if isinstance(state, dict) else None
    return opt_str(urls.get(tab_id)) if isinstance(urls, dict) else None


def opt_str(value: Any) -> str | None:
    """``value`` if it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


__all__ = [
    "SEEN_URLS",
    "CallContext",
    "Describe",
    "ElementLookup",
    "ToolLike",
    "arg_of",
    "describe_call",
    "opt_str",
    "seen_url",
    "tab_of",
]
