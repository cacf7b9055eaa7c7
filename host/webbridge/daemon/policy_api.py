"""The policy kinds a bridge may send (docs/PROTOCOL.md §5.4): approvals, grants and the policy summary.

The handlers delegate to the daemon's approval broker (``state.approvals``, :mod:`webbridge.policy.approvals`)
and to its policy runtime (``state.policy``: the policy in force and the grant store). A daemon without them
answers every policy kind with :class:`PolicyUnavailable` (8020).

Who may answer: any bridge with an open session may answer any pending approval, as any bridge may stop
any run. Every bridge is a browser of the same OS user, paired and authenticated end to end; the answer
records the surface (``sidepanel`` or ``notification``) and the daemon's audit log records it with the
approval. What the extension draws comes from the structured request only (W10).

``approvals.watch`` pumps the ``approval.*`` events of every run to the bridge as ``approval.event`` until
the connection closes (:meth:`BridgePolicyApi.aclose`); :func:`broadcast_policy_changed` tells every bridge
that the policy in force changed, so that the extension fetches its summary again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from ..agent.events import RunEvent
from ..errors import (
    ApprovalInvalid,
    ChannelError,
    PolicyUnavailable,
)
from ..policy.actions import ActionClass
from ..policy.grants import Grant
from ..policy.rules import Policy
from ..protocol import policy_kinds as pk
from ..protocol.channel import Handler
from ..protocol.fields import Message
from .run_api import event_json, runs_of
from .run_watch import ConnectionWatches

if TYPE_CHECKING:
    from ..policy.runtime import PolicyRuntime
    from .connection import RelayConnection

log = logging.getLogger("webbridge.daemon.policy_api")

#: The run event types ``approvals.watch`` forwards.
#: The run event types ``approvals.watch`` forwards: ``run.finished`` ends every approval of its run.
APPROVAL_EVENTS = frozenset({"approval.requested", "approval.resolved", "run.finished"})
_WATCH_KEY = "approvals"


class PendingLike(Protocol):
    """What the handlers read of ``webbridge.policy.approvals.PendingApproval``."""

    @property
    def approval_id(self) -> str: ...
    @property
    def run_id(self) -> str: ...
    @property
    def request(self) -> Mapping[str, Any]: ...
    @property
    def created_ms(self) -> int: ...
    @property
    def expires_ms(self) -> int: ...


class ApprovalService(Protocol):
    """What the handlers need of ``webbridge.policy.approvals.ApprovalBroker``."""

    def pending(self) -> Sequence[PendingLike]: ...

    async def answer(
        self,
        approval_id: str,
        *,
        allow: bool,
        lifetime: Literal["once", "task", "session", "always"] = "once",
        by: Literal["sidepanel", "cli", "notification", "api"],
    ) -> None: ...


def approvals_of(state: Any) -> ApprovalService:
    """The daemon's approval broker. Raises :class:`PolicyUnavailable` when it has none."""
    broker = getattr(state, "approvals", None)
    if broker is None:
        raise PolicyUnavailable("this daemon runs without an approval broker; see its log")
    service: ApprovalService = broker
    return service


def policy_of(state: Any) -> PolicyRuntime:
    """The daemon's policy runtime. Raises :class:`PolicyUnavailable` when it has none."""
    runtime = getattr(state, "policy", None)
    if runtime is None:
        raise PolicyUnavailable("this daemon runs without a policy (no policy runtime); see its log")
    result: PolicyRuntime = runtime
    return result


# --- shapes for the wire -----------------------------------------------------------------------------


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _data_out(raw: Any) -> list[pk.DataOutInfo]:
    """``ApprovalRequest.to_data()["data_out"]``: ``[[destination, preview], …]`` (dicts accepted too)."""
    found: list[pk.DataOutInfo] = []
    for item in raw if isinstance(raw, list | tuple) else ():
        if isinstance(item, Mapping):
            dest, preview = item.get("destination"), item.get("preview")
        elif isinstance(item, list | tuple) and len(item) == 2:
            dest, preview = item
        else:
            continue
        if isinstance(dest, str) and isinstance(preview, str):
            found.append(pk.DataOutInfo(destination=dest[:8192], preview=preview[:2000]))
    return found[:32]


def _flows(raw: Any) -> list[pk.FlowInfo]:
    """``flows``: ``[[source origin, destination origin, text matched], …]``."""
    found: list[pk.FlowInfo] = []
    for item in raw if isinstance(raw, list | tuple) else ():
        if isinstance(item, list | tuple) and len(item) == 3 and all(isinstance(x, str) for x in item):
            found.append(pk.FlowInfo(source=item[0][:8192], destination=item[1][:8192], text=item[2][:200]))
    return found[:32]


def _plan(raw: Any) -> pk.PlanInfo | None:
    """``plan``: ``{summary, sites, actions}``; a plan naming an unknown class is refused (ValueError)."""
    if not isinstance(raw, Mapping):
        return None
    sites = [s[:256] for s in raw.get("sites") or () if isinstance(s, str) and s][:64]
    actions = list(raw.get("actions") or ())
    unknown = [a for a in actions if a not in pk.CLASS_NAMES]
    if unknown:
        raise ValueError(f"plan with unknown action class(es) {unknown!r}")
    summary = raw.get("summary")
    return pk.PlanInfo(
        summary=summary[:2000] if isinstance(summary, str) else "",
        sites=sites,
        actions=[cast(pk.ClassName, a) for a in dict.fromkeys(actions)],
    )


def once_only(request: Mapping[str, Any]) -> bool:
    """Irreversible actions and data flows (text read on one site about to leave for another) are approved
    one at a time: no lasting grant answers them (the broker's rule, checked here before asking it)."""
    return request.get("irreversible") is True or bool(request.get("flows"))


def request_info(request: Mapping[str, Any]) -> pk.ApprovalRequestInfo:
    """The card's data from a structured :class:`~webbridge.policy.approval.ApprovalRequest` (its
    ``to_data()``): known fields only, each cut to its wire limit. Raises ``ValueError`` when the action class
    is not one the policy knows (a request the UI must not draw half)."""
    action = request.get("action")
    if action not in pk.CLASS_NAMES:
        raise ValueError(f"approval request with unknown action class {action!r}")
    return pk.ApprovalRequestInfo(
        tool=str(request.get("tool") or "")[:256],
        action=cast(pk.ClassName, action),
        verb=str(request.get("verb") or action)[:256],
        origin=_text(request.get("origin"), 8192),
        domain=_text(request.get("domain"), 256),
        element_role=_text(request.get("element_role"), 256),
        element_name=_text(request.get("element_name"), 200),
        data_out=_data_out(request.get("data_out")),
        reason=str(request.get("reason") or "")[:1000],
        rule=str(request.get("rule") or "")[:1000],
        irreversible=request.get("irreversible") is True,
        flows=_flows(request.get("flows")),
        once_only=once_only(request),
        plan=_plan(request.get("plan")),
        task_id=_text(request.get("task_id"), 256),
    )


def pending_info(p: PendingLike) -> pk.PendingApprovalInfo:
    return pk.PendingApprovalInfo(
        approval_id=p.approval_id,
        run_id=p.run_id,
        request=request_info(p.request),
        created=int(p.created_ms),
        expires=int(p.expires_ms),
    )


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else max(0, int(seconds * 1000))


def grant_info(grant: Grant, now: float) -> pk.GrantInfo:
    """The options page's row for ``grant`` (``active`` judged at ``now``, in seconds)."""
    return pk.GrantInfo(
        grant_id=grant.id,
        who=grant.who[:256],
        domain=str(grant.pattern) if grant.pattern else None,
        classes=[c.value for c in sorted(grant.classes)],
        lifetime=grant.lifetime,
        created=_ms(grant.created) or 0,
        expires=_ms(grant.expires),
        task_id=grant.task_id,
        schedule_id=grant.schedule_id,
        verbs=sorted(grant.verbs),
        used=grant.used_at is not None,
        revoked=grant.revoked_at is not None,
        active=grant.active(now),
    )


def policy_version(policy: Policy) -> str:
    """A 16-hex-digit fingerprint of the effective policy: equal policies give equal versions."""
    text = json.dumps(policy.to_data(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _class_names(classes: Iterable[ActionClass]) -> list[pk.ClassName]:
    return [c.value for c in sorted(classes)]


def policy_summary(policy: Policy) -> pk.PolicySummaryResult:
    """What the extension's re-check and options page need: mode, defaults, every site rule (an allow rule
    may lift a category for its sites), and the categories that deny. Raises ``ValueError`` when the policy
    has more rules than one summary may carry (:data:`~webbridge.protocol.policy_kinds.MAX_SITE_RULES`)."""
    if len(policy.sites) > pk.MAX_SITE_RULES:
        raise ValueError(f"{len(policy.sites)} site rules; a summary carries {pk.MAX_SITE_RULES}")
    sites = [
        pk.SiteRuleInfo(
            pattern=str(rule.pattern),
            classes={c.value: o for c, o in rule.classes.items()},
            all=rule.all,
        )
        for rule in policy.sites
    ]
    deny = [
        pk.DenyCategoryInfo(
            name=c.name[:256], patterns=[str(p) for p in c.patterns], classes=_class_names(c.classes)
        )
        for c in policy.categories
        if c.decision == "deny"
    ]
    return pk.PolicySummaryResult(
        mode=policy.mode,
        version=policy_version(policy),
        source=policy.source[:8192],
        defaults={c.value: o for c, o in policy.defaults.items()},
        sites=sites,
        deny_categories=deny,
    )


def check_answer(pending: Sequence[PendingLike], msg: pk.ApprovalAnswer) -> None:
    """Refuse at the edge, before the broker is asked, allowing an irreversible action or a data flow for
    longer than once (:class:`ApprovalInvalid`); nothing is changed. An id that is not pending is left to the
    broker, which tells "answered already" (8012) from "unknown" (8011)."""
    found = next((p for p in pending if p.approval_id == msg.approval_id), None)
    if found is None:
        return
    request = found.request
    if not msg.allow or msg.lifetime == "once" or request.get("plan") is not None:
        return  # an approved plan always stores task grants, whatever the lifetime says
    if request.get("irreversible") is True:
        verb = request.get("verb") or "this action"
        raise ApprovalInvalid(f"{verb} is irreversible: it can be allowed only once, each time")
    if once_only(request):
        raise ApprovalInvalid("sending data read on one site to another can be allowed only once, each time")


async def _approval_events(events: AsyncIterator[RunEvent]) -> AsyncIterator[RunEvent]:
    try:
        async for event in events:
            if event.type in APPROVAL_EVENTS:
                yield event
    finally:
        closer = getattr(events, "aclose", None)
        if closer is not None:
            await closer()


async def broadcast_policy_changed(state: Any, policy: Policy) -> int:
    """Send ``policy.changed`` to every bridge with an open session; returns how many it reached. A bridge
    that is gone meanwhile is skipped (its connection is closing). Cancelling stops the sending."""
    msg = pk.PolicyChanged(version=policy_version(policy))
    reached = 0
    for conn in list(getattr(state, "connections", ())):
        channel = conn.channel
        if channel is None or conn.bridge is None:
            continue
        try:
            await channel.notify(msg.kind, msg)
        except (ChannelError, ConnectionError, RuntimeError) as exc:
            log.info("%s: could not deliver policy.changed: %s", conn.conn_id, exc)
            continue
        reached += 1
    return reached


# --- the bridge handlers -----------------------------------------------------------------------------


class BridgePolicyApi(ConnectionWatches):
    """The policy handlers of one relay connection and its ``approvals.watch`` subscription."""

    def __init__(self, conn: RelayConnection) -> None:
        super().__init__(conn, limit=1)

    def handlers(self) -> dict[str, Handler]:
        return {
            "approvals.list": self._list,
            "approval.answer": self._answer,
            "approvals.watch": self._watch,
            "grants.list": self._grants,
            "grants.revoke": self._revoke,
            "policy.summary": self._summary,
        }

    async def _list(self, msg: Message) -> Message:
        assert isinstance(msg, pk.ApprovalsList)
        self._bridge_id()
        infos: list[pk.PendingApprovalInfo] = []
        for p in sorted(approvals_of(self._conn.state).pending(), key=lambda p: p.created_ms):
            try:
                infos.append(pending_info(p))
            except ValueError as exc:  # never drawn half: the CLI still lists it
                log.warning("approval %s not sent to the extension: %s", p.approval_id, exc)
        return pk.ApprovalsListResult(approvals=infos[: pk.MAX_PENDING])

    async def _answer(self, msg: Message) -> Message:
        assert isinstance(msg, pk.ApprovalAnswer)
        bridge_id = self._bridge_id()
        broker = approvals_of(self._conn.state)
        check_answer(broker.pending(), msg)
        await broker.answer(msg.approval_id, allow=msg.allow, lifetime=msg.lifetime, by=msg.via)
        log.info(
            "bridge %s answered approval %s: %s (%s, via %s)",
            bridge_id, msg.approval_id, "allow" if msg.allow else "deny", msg.lifetime, msg.via,
        )  # fmt: skip
        return pk.ApprovalAnswered(approval_id=msg.approval_id, allowed=msg.allow, lifetime=msg.lifetime)

    async def _watch(self, msg: Message) -> Message:
        assert isinstance(msg, pk.ApprovalsWatch)
        self._bridge_id()
        approvals_of(self._conn.state)  # 8020 now rather than a watch that never says anything
        events = _approval_events(runs_of(self._conn.state).watch_all())
        await self.watches.start(_WATCH_KEY, events, self._deliver)
        return pk.ApprovalsWatching()

    async def _grants(self, msg: Message) -> Message:
        assert isinstance(msg, pk.GrantsList)
        self._bridge_id()
        runtime = policy_of(self._conn.state)
        now = runtime.clock()
        grants = runtime.grants.list_grants(now=None if msg.include_inactive else now)
        shown = grants[-pk.MAX_GRANTS :]
        return pk.GrantsListResult(
            grants=[grant_info(g, now) for g in shown], truncated=len(grants) > len(shown)
        )

    async def _revoke(self, msg: Message) -> Message:
        assert isinstance(msg, pk.GrantsRevoke)
        bridge_id = self._bridge_id()
        runtime = policy_of(self._conn.state)
        now = runtime.clock()
        grant = runtime.grants.revoke(msg.grant_id, now)  # GrantNotFound (8005) before anything changes
        runtime.audit.append(
            time=int(time.time() * 1000), actor=f"user:bridge:{bridge_id}", kind="grant",
            grant_id=grant.id, outcome="revoked", target=str(grant.pattern) if grant.pattern else None,
            detail={"lifetime": grant.lifetime, "classes": sorted(c.value for c in grant.classes)},
        )  # fmt: skip
        log.info("bridge %s revoked %s", bridge_id, grant.describe())
        return pk.GrantsRevoked(grant=grant_info(grant, now))

    async def _summary(self, msg: Message) -> Message:
        assert isinstance(msg, pk.PolicySummary)
        self._bridge_id()
        runtime = policy_of(self._conn.state)
        # One stat: a policy file edited since the last decision is what the summary shows (and is announced).
        await runtime.refresh_and_announce()
        policy = runtime.policy
        try:
            return policy_summary(policy)
        except ValueError as exc:
            raise PolicyUnavailable(f"the policy cannot be summarised for the extension: {exc}") from None

    async def _deliver(self, event: RunEvent) -> None:
        await self._notify("approval.event", pk.ApprovalEventMsg(event=event_json(event)))
