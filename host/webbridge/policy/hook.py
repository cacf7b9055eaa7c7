"""The policy as a tool-registry hook: every tool call is described, decided and audited before it runs.

:class:`PolicyHook` satisfies the registry's ``ToolHook`` protocol (``before_call``/``after_call``) through
the small :class:`ToolLike`/:class:`CallContext` protocols below, so it does not depend on registry
internals. ``before_call``:

1. describes the call as a :class:`~.proposed.ProposedAction` (:func:`describe_call`: the tool's declared
   class, its arguments, the URL the run last saw the tab on, and the role and name the last snapshot gave
   the ref, remembered by :class:`~.page_elements.ElementMemory` — never model prose);
2. decides it (:func:`~.decide.decide`) with the grants active now, using up a ``once`` grant atomically
   (if another call took it first, it decides again without it);
3. appends a ``decision`` entry to the audit log;
4. returns (allow) or raises :class:`~webbridge.errors.PolicyDenied` /
   :class:`~webbridge.errors.ApprovalRequired` (both ``model_visible``; the latter carries the
   :class:`~.approval.ApprovalRequest` for the user). A look-alike or malformed target host is denied.

``after_call`` appends an ``outcome`` entry linked to the decision. If the audit log cannot be written
(:class:`~webbridge.errors.AuditUnavailable`) the call is not made: nothing unaudited happens. Both methods
are synchronous inside (no await), so cancellation never leaves a decision half-recorded.
"""

from __future__ import annotations

import hashlib
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeGuard

from ..errors import ApprovalRequired, BrowserActionError, DomainRefused, PolicyDenied, WebBridgeError
from ..tools import browser
from .actions import ActionClass
from .approval import ApprovalRequest, url_origin
from .audit import AuditLog
from .decide import Decision, decide
from .grants import GrantStore
from .page_elements import ElementMemory
from .proposed import WEB_CLASSES, DataOut, Element, ProposedAction
from .rules import Policy

_MAX_PENDING = 10_000


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
    tool: ToolLike, args: Any, ctx: CallContext, elements: ElementLookup | None = None
) -> ProposedAction:
    """The structured action of a call (``args``: the validated pydantic model, or a mapping).

    The page is the navigation target for navigations, else the URL the run last saw the tab on; the
    element is what the last snapshot named the ref (``elements``). Raises :class:`DomainRefused` for a
    look-alike or malformed host.
    """
    cls = tool.action
    tab = _arg(args, "tab_id")
    tab_id = tab if isinstance(tab, int) and not isinstance(tab, bool) else ctx.tab_id
    url = _opt_str(_arg(args, "url")) if cls is ActionClass.NAVIGATE else None
    if url is None:
        url = _opt_str(getattr(ctx, "page_url", None)) or _seen_url(ctx, tab_id)
    element = None
    form_action = None
    ref = _arg(args, "ref")
    if isinstance(ref, str):
        lookup = getattr(ctx, "element_for", None)
        found = lookup(ref) if callable(lookup) else None
        if found is None and elements is not None:
            found = elements(ctx.run_id, tab_id, ref)
        if found is not None:
            element = Element(str(found[0]), str(found[1]), ref)
        form_lookup = getattr(ctx, "form_action_for", None)
        form_action = _opt_str(form_lookup(ref)) if callable(form_lookup) else None
    data: list[DataOut] = []
    if url is not None:
        text = _arg(args, "text")
        if cls in (ActionClass.TYPE, ActionClass.SUBMIT) and isinstance(text, str) and text:
            data.append(DataOut(text, form_action or url))
        if cls is ActionClass.NAVIGATE:
            query = urllib.parse.urlsplit(url).query
            if query:
                data.append(DataOut(urllib.parse.unquote_plus(query), url))
    return ProposedAction(
        tool=tool.name, action=cls, url=url, element=element, ref=ref if isinstance(ref, str) else None,
        form_action=form_action, data_out=tuple(data),
        run_id=ctx.run_id, task_id=_opt_str(getattr(ctx, "task_id", None)),
        session_id=_opt_str(getattr(ctx, "session_id", None)),
        schedule_id=_opt_str(getattr(ctx, "schedule_id", None)),
    )


def _is_snapshot_text(data: Any) -> TypeGuard[dict[str, Any]]:
    """Results whose text is the extension's snapshot format: a snapshot (``refs``, ``frames``) or an
    action's delta (``input_used``). Never page text, whose lines the page writes (it could forge one)."""
    return isinstance(data, dict) and (("refs" in data and "frames" in data) or "input_used" in data)


def _arg(args: Any, name: str) -> Any:
    if isinstance(args, Mapping):
        return args.get(name)
    return getattr(args, name, None)


def _seen_url(ctx: CallContext, tab_id: int | None) -> str | None:
    state = getattr(ctx, "state", None)
    urls = state.get(SEEN_URLS) if isinstance(state, dict) else None
    return _opt_str(urls.get(tab_id)) if isinstance(urls, dict) else None


class PolicyHook:
    """Decide and audit every tool call. ``policy`` may be replaced at any time (a reloaded file)."""

    def __init__(
        self,
        *,
        policy: Policy,
        grants: GrantStore,
        audit: AuditLog,
        clock: Callable[[], float] = time.time,
        describe: Describe | None = None,
        actor: str = "agent",
    ) -> None:
        self.policy = policy
        self.grants = grants
        self.audit = audit
        self.elements = ElementMemory()
        self._clock = clock
        self._describe: Describe = describe or (
            lambda tool, args, ctx: describe_call(tool, args, ctx, self.elements.lookup))
        self._actor = actor
        self._pending: OrderedDict[tuple[str | None, Any], int] = OrderedDict()

    async def before_call(self, tool: ToolLike, args: Any, ctx: CallContext) -> None:
        """Raises PolicyDenied, ApprovalRequired, AuditUnavailable; returns when the call may run.

        The only await is asking the browser for the tab's URL when the run has not seen it yet; a
        cancellation there records nothing. Channel errors from that request propagate (run failures)."""
        await self._learn_tab_url(tool, args, ctx)
        try:
            action = self._describe(tool, args, ctx)
        except DomainRefused as exc:
            entry = self.audit.append(
                time=self._ms(), actor=self._actor, kind="decision", run_id=ctx.run_id, tool=tool.name,
                action=tool.action.value, decision="deny",
                detail={"reason": exc.message, "rule": "domain_refused", "tab_id": ctx.tab_id},
            )
            self._remember(ctx, args, entry.seq)
            raise PolicyDenied(f"refused: {exc.message}", rule="domain_refused", seq=entry.seq) from exc
        decision, seq = self.check(action, tab_id=ctx.tab_id)
        self._remember(ctx, args, seq)
        if decision.outcome == "deny":
            raise PolicyDenied(f"{decision.reason} ({decision.rule})", decision=decision, seq=seq)
        if decision.outcome == "ask":
            request = ApprovalRequest.build(action, decision)
            raise ApprovalRequired(f"approval required: {decision.reason}", request=request,
                                   decision=decision, seq=seq)

    async def after_call(self, tool: ToolLike, args: Any, ctx: CallContext, result: Any) -> None:
        """Record the outcome (``ok``; ``error:<code>`` for an error result or exception) and learn the
        elements a snapshot or an action's delta names. Raises AuditUnavailable."""
        seq = self._pending.pop(self._key(ctx, args), None)
        if isinstance(result, WebBridgeError):
            outcome = f"error:{result.code}"
        elif isinstance(result, BaseException):
            outcome = f"error:{type(result).__name__}"
        elif getattr(result, "is_error", False):
            outcome = f"error:{getattr(result, 'error_code', None)}"
        else:
            outcome = "ok"
            content = getattr(result, "content", None)
            data = getattr(result, "data", None)
            if isinstance(content, str) and _is_snapshot_text(data):
                tab = data.get("tab_id")
                self.elements.learn(ctx.run_id, tab if isinstance(tab, int) else ctx.tab_id, content)
        self.audit.append(
            time=self._ms(), actor=self._actor, kind="outcome", run_id=ctx.run_id, tool=tool.name,
            action=tool.action.value, outcome=outcome, detail={"decision_seq": seq, "tab_id": ctx.tab_id},
        )

    async def _learn_tab_url(self, tool: ToolLike, args: Any, ctx: CallContext) -> None:
        """A web action on a tab whose URL the run has not seen: ask the browser (``tabs.list``) and record it
        in ``ctx.state[SEEN_URLS]``, so the decision is made on the real page rather than asking blind."""
        if tool.action not in WEB_CLASSES or (tool.action is ActionClass.NAVIGATE and _arg(args, "url")):
            return
        tab = _arg(args, "tab_id")
        tab_id = tab if isinstance(tab, int) and not isinstance(tab, bool) else ctx.tab_id
        state = getattr(ctx, "state", None)
        bridge = getattr(ctx, "bridge", None)
        if tab_id is None or bridge is None or not isinstance(state, dict):
            return
        if getattr(ctx, "page_url", None) or _seen_url(ctx, tab_id):
            return
        try:
            tabs = await browser.tabs_list(bridge)
        except BrowserActionError:
            return  # still unknown: the decision asks
        for t in tabs:
            if t.id == tab_id:
                state.setdefault(SEEN_URLS, {})[tab_id] = t.url

    def check(self, action: ProposedAction, *, tab_id: int | None = None) -> tuple[Decision, int]:
        """Decide ``action``, use up a once grant, audit it; returns the decision and its audit seq.
        Does not raise for deny/ask (that is :meth:`before_call`'s job); raises AuditUnavailable."""
        now = self._clock()
        for _ in range(8):
            decision = decide(action, self.policy, self.grants.active(now), now)
            grant = decision.grant
            if grant is None or grant.lifetime != "once":
                break
            if self.grants.consume(grant.id, now, action.run_id):
                break
        else:  # pragma: no cover - eight lost races in a row
            decision = Decision("ask", "the grant was used by another call", "grant race")
        entry = self.audit.append(
            time=int(now * 1000), actor=action.actor, kind="decision", run_id=action.run_id,
            tool=action.tool, action=action.action.value, target=_target(action),
            decision=decision.outcome, grant_id=decision.grant.id if decision.grant else None,
            detail=_detail(action, decision, tab_id),
        )
        return decision, entry.seq

    def _remember(self, ctx: CallContext, args: Any, seq: int) -> None:
        self._pending[self._key(ctx, args)] = seq
        while len(self._pending) > _MAX_PENDING:
            self._pending.popitem(last=False)

    @staticmethod
    def _key(ctx: CallContext, args: Any) -> tuple[str | None, Any]:
        return ctx.run_id, getattr(ctx, "call_id", None) or id(args)

    def _ms(self) -> int:
        return int(self._clock() * 1000)


def _target(action: ProposedAction) -> str | None:
    """The page without query or fragment (those may hold secrets; data leaving is in ``detail``)."""
    if action.url is None:
        return None
    parts = urllib.parse.urlsplit(action.url)
    if parts.scheme and parts.netloc:
        host = action.site.host if action.site else parts.hostname
        return f"{parts.scheme.lower()}://{host}{parts.path[:300]}"
    return action.site.host if action.site else None


def _detail(action: ProposedAction, decision: Decision, tab_id: int | None) -> dict[str, Any]:
    detail: dict[str, Any] = {"reason": decision.reason, "rule": decision.rule}
    if action.site is not None:
        detail["domain"] = action.site.domain
    if action.element is not None:
        detail["element"] = {"role": action.element.role, "name": action.element.name[:120]}
    if action.form_action:
        detail["form_action"] = urllib.parse.urlsplit(action.form_action).path[:300]
    if action.data_out:
        detail["data_out"] = [
            {"destination": url_origin(d.destination), "length": len(d.text),
             "sha256": hashlib.sha256(d.text.encode("utf-8", "replace")).hexdigest()[:16]}
            for d in action.data_out
        ]
    if decision.irreversible is not None:
        detail["irreversible"] = decision.irreversible.verb
    for key in ("task_id", "session_id", "schedule_id"):
        value = getattr(action, key)
        if value is not None:
            detail[key] = value
    if tab_id is not None:
        detail["tab_id"] = tab_id
    return detail


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


__all__ = ["SEEN_URLS", "CallContext", "Describe", "ElementLookup", "PolicyHook", "ToolLike", "describe_call"]
