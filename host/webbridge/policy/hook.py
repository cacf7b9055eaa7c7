"""The policy as a tool-registry hook: every tool call is described, decided and audited before it runs.

:class:`PolicyHook` satisfies the registry's ``ToolHook`` protocol (``before_call``/``after_call``) through
the small :class:`ToolLike`/:class:`CallContext` protocols (:mod:`.call_description`), so it does not depend
on registry internals. ``before_call``:

1. describes the call as a :class:`~.proposed.ProposedAction` (:func:`describe_call`: the tool's declared
   class, its arguments, the URL the run last saw the tab on, and the role and name the last snapshot gave
   the ref, remembered by :class:`~.page_elements.ElementMemory` — never model prose). For a click, key
   press or typing on a ref it first asks the browser what the live element is (``page.describe``): the
   action URL of its form, whether activating it submits, and the form's field values, so that the decision
   sees where data would really go (W8: a form on one site that posts to another; :mod:`.destinations`).
   What the hook learns from the browser and from results (elements, live elements, tab URLs) is
   :mod:`.learning`; what a decision's audit entry says is :mod:`.decision_audit`;
2. decides it (:func:`~.decide.decide`) with the grants active now, using up a ``once`` grant atomically
   (if another call took it first, it decides again without it);
3. appends a ``decision`` entry to the audit log;
4. returns (allow) or raises :class:`~webbridge.errors.PolicyDenied` (``model_visible``). On "ask" with an
   :class:`~.approvals.ApprovalBroker` it waits for the user's answer (an ``approval`` audit entry records
   it): allowed, the call runs; declined or timed out, the model gets PolicyDenied; an unattended run gets
   :class:`~webbridge.errors.NeedsYou` (not model-visible: the run ends ``needs_you``). Without a broker
   it raises :class:`~webbridge.errors.ApprovalRequired` carrying the :class:`~.approval.ApprovalRequest`.
   A look-alike or malformed target host is denied.

The data-flow guard: ``after_call`` remembers the text of untrusted results under the origin of the page
they came from (:class:`~.flows.FlowMemory`); ``before_call`` marks data about to be typed, submitted or
sent in a URL that was read on another origin, and the decision asks (:mod:`.decide`).

When a call may run, the role and name it was decided on are left in ``ctx.state[EXPECTED_ELEMENTS]`` for
the browser tools to send with the action (the extension refuses with 6008 if the live element is another
one: W6), and a call that starts a download the user approved is recorded (:mod:`.approved_downloads`) so
that the ``download_wait`` reporting it does not ask again.

``after_call`` appends an ``outcome`` entry linked to the decision. If the audit log cannot be written
(:class:`~webbridge.errors.AuditUnavailable`) the call is not made: nothing unaudited happens. Audit writes
are synchronous; a cancellation while waiting for an answer is recorded (``approval``, outcome
``cancelled``) before it propagates.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ApprovalRequired, DomainRefused, NeedsYou, PolicyDenied, WebBridgeError
from ..protocol.refs import ref_key
from .actions import ActionClass
from .approval import ApprovalRequest
from .approved_downloads import ApprovedDownloads
from .audit import AuditLog
from .call_description import (
    SEEN_URLS,
    CallContext,
    Describe,
    ElementLookup,
    ToolLike,
    describe_call,
    opt_str,
    tab_of,
)
from .decide import Decision, decide
from .decision_audit import detail_of, target_of
from .flows import FlowMemory
from .grants import GrantStore
from .learning import learn_elements, learn_tab_url, live_element
from .page_elements import EXPECTED_ELEMENTS, ElementMemory
from .proposed import WEB_CLASSES, DataOut, ProposedAction
from .rules import Policy
from .run_info import run_info_of

if TYPE_CHECKING:
    from .approvals import Answer, ApprovalBroker

_MAX_PENDING = 10_000
_MAX_EXPECTED = 10_000
#: Classes whose arguments may carry data out (a click carries data only when it submits a form).
_CARRIES_DATA = frozenset({ActionClass.TYPE, ActionClass.SUBMIT, ActionClass.NAVIGATE})


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
        broker: ApprovalBroker | None = None,
        refresh: Callable[[], object] | None = None,
    ) -> None:
        self.policy = policy
        self.grants = grants
        self.audit = audit
        self.broker = broker
        #: Called (and awaited, if it returns an awaitable) before each decision: the runtime's cheap
        #: policy-file reload check, which announces a changed policy.
        self.refresh = refresh
        self.elements = ElementMemory()
        self.flows = FlowMemory()
        self.downloads = ApprovedDownloads()
        self._clock = clock
        self._describe: Describe | None = describe
        self._actor = actor
        self._pending: OrderedDict[tuple[str | None, Any], tuple[int, str | None]] = OrderedDict()

    async def before_call(self, tool: ToolLike, args: Any, ctx: CallContext) -> None:
        """Raises PolicyDenied, ApprovalRequired (no broker), NeedsYou (unattended run), AuditUnavailable;
        returns when the call may run.

        Awaits: asking the browser for the tab's URL when the run has not seen it yet (a cancellation
        there records nothing; channel errors propagate as run failures), and the user's answer (a
        cancellation there is audited, resolves nothing, and propagates)."""
        if self.refresh is not None:
            checked = self.refresh()
            if inspect.isawaitable(checked):
                await checked
        await learn_tab_url(tool, args, ctx)
        try:
            if self._describe is not None:
                described = self._describe(tool, args, ctx)
            else:
                live = await live_element(tool, args, ctx)
                described = describe_call(tool, args, ctx, self.elements.lookup, live)
            action = self._with_download(self._with_flows(self._with_task(described, ctx), ctx))
        except DomainRefused as exc:
            entry = self.audit.append(
                time=self._ms(), actor=self._actor, kind="decision", run_id=ctx.run_id, tool=tool.name,
                action=tool.action.value, decision="deny",
                detail={"reason": exc.message, "rule": "domain_refused", "tab_id": ctx.tab_id},
            )
            self._remember(ctx, args, entry.seq, None)
            raise PolicyDenied(f"refused: {exc.message}", rule="domain_refused", seq=entry.seq) from exc
        decision, seq = self.check(action, tab_id=ctx.tab_id)
        self._remember(ctx, args, seq, action.url)
        if decision.outcome == "deny":
            raise PolicyDenied(f"{decision.reason} ({decision.rule})", decision=decision, seq=seq)
        if decision.outcome == "ask":
            request = ApprovalRequest.build(action, decision)
            if self.broker is None:
                raise ApprovalRequired(f"approval required: {decision.reason}", request=request,
                                       decision=decision, seq=seq)
            answer = await self.ask_user(request, action, ctx, seq)
            if not answer.allowed:
                why = (f"no answer within {self.broker.timeout:g} s, so it was not done" if answer.timed_out
                       else "the user declined it")
                raise PolicyDenied(f"{decision.reason}: {why}", decision=decision, seq=seq,
                                   approval_id=answer.approval_id)
        self._allowed(action, decision, args, ctx)

    def _with_download(self, action: ProposedAction) -> ProposedAction:
        """A download report takes the run's record of a download the user approved on that site."""
        if action.action is not ActionClass.DOWNLOAD or action.run_id is None:
            return action
        what = self.downloads.take(action.run_id, action.site.domain if action.site else None)
        return action if what is None else dataclasses.replace(action, approved_download=what)

    def _allowed(self, action: ProposedAction, decision: Decision, args: Any, ctx: CallContext) -> None:
        """The call will run: leave the element it was decided on for the act's ``expect_*`` check, and
        record a download it starts with the user's approval."""
        state = getattr(ctx, "state", None)
        if action.element is not None and action.ref is not None and isinstance(state, dict):
            expected = state.setdefault(EXPECTED_ELEMENTS, {})
            key = (tab_of(args, ctx), ref_key(action.ref))  # canonical, as the act looks it up
            expected.pop(key, None)
            expected[key] = (action.element.role, action.element.name)
            while len(expected) > _MAX_EXPECTED:
                del expected[next(iter(expected))]
        verb = decision.irreversible.verb if decision.irreversible else None
        if verb == "download" and action.action is not ActionClass.DOWNLOAD and action.run_id is not None:
            what = (f'{action.element.role} "{action.element.name[:80]}"' if action.element
                    else f"the approved {action.tool}")
            self.downloads.add(action.run_id, action.site.domain if action.site else None, what)

    async def ask_user(self, request: ApprovalRequest, action: ProposedAction | None, ctx: CallContext,
                       seq: int | None = None) -> Answer:
        """Ask the broker about ``request`` and audit the answer (``kind="approval"``). Raises NeedsYou for
        an unattended run (audited); a cancellation is audited and propagates."""
        assert self.broker is not None
        info = run_info_of(ctx)
        base: dict[str, Any] = {"decision_seq": seq, "verb": request.verb, "domain": request.domain}
        tool, cls = request.tool, request.action
        try:
            answer = await self.broker.ask(ctx.run_id, request, unattended=info.unattended, emit=info.emit,
                                           task_id=(action.task_id if action else None) or info.task_id)
        except NeedsYou:
            self._audit_approval(ctx, tool, cls, "needs_you", None, base)
            raise
        except asyncio.CancelledError:
            self._audit_approval(ctx, tool, cls, "cancelled", None, base)
            raise
        detail = {**base, "approval_id": answer.approval_id, "by": answer.by, "lifetime": answer.lifetime,
                  "timed_out": answer.timed_out, "grants": [g.id for g in answer.grants]}
        self._audit_approval(ctx, tool, cls, "allow" if answer.allowed else "deny",
                             answer.grants[0].id if answer.grants else None, detail)
        return answer

    def _audit_approval(self, ctx: CallContext, tool: str, cls: str, decision: str, grant_id: str | None,
                        detail: dict[str, Any]) -> None:
        self.audit.append(time=self._ms(), actor="user" if decision in ("allow", "deny") else self._actor,
                          kind="approval", run_id=ctx.run_id, tool=tool, action=cls, decision=decision,
                          grant_id=grant_id, detail=detail)

    def _with_task(self, action: ProposedAction, ctx: CallContext) -> ProposedAction:
        """Task grants are scoped to the run's task id (the run's own id unless a scheduler set one)."""
        if action.task_id is not None:
            return action
        task_id = run_info_of(ctx).task_id or ctx.run_id
        return dataclasses.replace(action, task_id=task_id)

    def _with_flows(self, action: ProposedAction, ctx: CallContext) -> ProposedAction:
        """Mark data about to leave that the run read on another origin (the data-flow guard)."""
        if action.action not in _CARRIES_DATA and not action.data_out:
            return action
        trusted = run_info_of(ctx).task
        outs = list(action.data_out)
        if action.action is ActionClass.NAVIGATE and action.url is not None:
            if self.flows.linked(ctx.run_id, action.url):
                return action  # a link a page showed: it carries nothing the page did not publish itself
            parts = urllib.parse.urlsplit(action.url)
            rest = urllib.parse.unquote(parts.path + ("#" + parts.fragment if parts.fragment else ""))
            if len(rest.strip("/#")) >= 6:
                outs.append(DataOut(rest, action.url))
        marked: list[DataOut] = []
        found = False
        for out in outs:
            flow = self.flows.find(ctx.run_id, out.text, out.destination, trusted=trusted)
            if flow is not None:
                marked.append(dataclasses.replace(out, source=flow.source, matched=flow.matched))
                found = True
            elif out in action.data_out:
                marked.append(out)
        return dataclasses.replace(action, data_out=tuple(marked)) if found else action

    async def after_call(self, tool: ToolLike, args: Any, ctx: CallContext, result: Any) -> None:
        """Record the outcome (``ok``; ``error:<code>`` for an error result or exception) and learn the
        elements a snapshot or an action's delta names. Raises AuditUnavailable."""
        seq, url = self._pending.pop(self._key(ctx, args), (None, None))
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
            learn_elements(self.elements, ctx, content, data)
            untrusted = getattr(result, "untrusted", False)
            if isinstance(content, str) and untrusted and tool.action in WEB_CLASSES:
                page = opt_str(data.get("url")) if isinstance(data, dict) else None
                self.flows.record(ctx.run_id, page or url, content)
        self.audit.append(
            time=self._ms(), actor=self._actor, kind="outcome", run_id=ctx.run_id, tool=tool.name,
            action=tool.action.value, outcome=outcome, detail={"decision_seq": seq, "tab_id": ctx.tab_id},
        )

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
            tool=action.tool, action=action.action.value, target=target_of(action),
            decision=decision.outcome, grant_id=decision.grant.id if decision.grant else None,
            detail=detail_of(action, decision, tab_id),
        )
        return decision, entry.seq

    def _remember(self, ctx: CallContext, args: Any, seq: int, url: str | None) -> None:
        self._pending[self._key(ctx, args)] = (seq, url)
        while len(self._pending) > _MAX_PENDING:
            self._pending.popitem(last=False)

    @staticmethod
    def _key(ctx: CallContext, args: Any) -> tuple[str | None, Any]:
        return ctx.run_id, getattr(ctx, "call_id", None) or id(args)

    def _ms(self) -> int:
        return int(self._clock() * 1000)


__all__ = ["SEEN_URLS", "CallContext", "Describe", "ElementLookup", "PolicyHook", "ToolLike", "describe_call"]
