"""Policy messages (docs/PROTOCOL.md §5.4): approvals, grants and the policy summary, for the extension.

Extension → daemon requests:

- ``approvals.list`` / ``approval.answer``: the pending approvals of every run, and the user's answer to one
  (from the side panel's approval card or a notification button). Any paired bridge may answer any pending
  approval, as any bridge may stop any run: every bridge is the same OS user's browser, authenticated end to
  end; the answer says which surface gave it (``via``) and the audit records it.
- ``approvals.watch``: from now on, send this bridge ``approval.event`` for every approval asked or
  resolved in any run (so the service worker can raise a notification while no side panel is open).
- ``grants.list`` / ``grants.revoke``: the options page's list of grants, and its Revoke button.
- ``policy.summary``: the mode, the per-class defaults, the site rules and the blocked categories that deny,
  which the extension uses for its own re-check of each action (``extension/background/policy_check.js``)
  and the options page shows.

Daemon → extension events: ``approval.event`` (one ``approval.requested``, ``approval.resolved`` or
``run.finished`` run event: a run that ends drops its pending approvals)
and ``policy.changed`` (the policy in force changed: fetch the summary again).

Everything an approval card shows comes from :class:`ApprovalRequestInfo`, built from the structured
:class:`~webbridge.policy.approval.ApprovalRequest` (verb, origin, element, data that would leave), never
from model text (W10).
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, WithJsonSchema

from webbridge.protocol.fields import Message, Model, MsgId, Short, Text, TimeMs
from webbridge.protocol.run_kinds import EventBody

__all__ = [
    "CLASS_NAMES",
    "EVENTS",
    "MAX_GRANTS",
    "MAX_PENDING",
    "MAX_SITE_RULES",
    "REQUESTS",
    "ApprovalAnswer",
    "ApprovalAnswered",
    "ApprovalEventMsg",
    "ApprovalRequestInfo",
    "ApprovalsList",
    "ApprovalsListResult",
    "ApprovalsWatch",
    "ApprovalsWatching",
    "ClassName",
    "DataOutInfo",
    "DenyCategoryInfo",
    "FlowInfo",
    "GrantInfo",
    "GrantsList",
    "GrantsListResult",
    "GrantsRevoke",
    "GrantsRevoked",
    "Lifetime",
    "PendingApprovalInfo",
    "PlanInfo",
    "PolicyChanged",
    "PolicySummary",
    "PolicySummaryResult",
    "SiteRuleInfo",
]

#: Most pending approvals one ``approvals.list`` reply carries (oldest first).
MAX_PENDING = 200
#: Most grants one ``grants.list`` reply carries (the newest; ``truncated`` says when more exist).
MAX_GRANTS = 2000
#: Most site rules (and patterns per category) a summary carries; a larger policy is refused at the edge.
MAX_SITE_RULES = 10_000

#: The values of :class:`webbridge.policy.actions.ActionClass` (a unit test keeps them equal).
ClassName = Literal[
    "read", "navigate", "interact", "type", "submit", "upload", "download", "script", "network",
    "file_read", "file_write", "schedule", "spawn", "none",
]  # fmt: skip
CLASS_NAMES: tuple[str, ...] = get_args(ClassName)
Outcome = Literal["allow", "ask", "deny"]
Lifetime = Literal["once", "task", "session", "always"]
#: An outcome per action class. Its exported schema lists the classes as properties (the extension's schema
#: compiler has no ``propertyNames``); Python validates the keys as :data:`ClassName`.
ByClass = Annotated[
    dict[ClassName, Outcome],
    WithJsonSchema({
        "type": "object",
        "properties": {c: {"enum": ["allow", "ask", "deny"]} for c in CLASS_NAMES},
        "additionalProperties": False,
    }),
]  # fmt: skip
Reason = Annotated[str, Field(max_length=1000)]
Pattern = Annotated[str, Field(min_length=1, max_length=256)]


# --- shapes -------------------------------------------------------------------------------------------


class DataOutInfo(Model):
    """One piece of data that would leave: where to (an origin) and a preview of it."""

    destination: Text
    preview: Annotated[str, Field(max_length=2000)]


class FlowInfo(Model):
    """A data-flow guard hit: text read on ``source`` (an origin) that would go to ``destination``."""

    source: Text
    destination: Text
    text: Annotated[str, Field(max_length=200)]


class PlanInfo(Model):
    """A plan to approve (``propose_plan``): the sites and action classes are validated by the daemon;
    ``summary`` is the model's own words, which the card shows labelled as such, never as the request."""

    summary: Annotated[str, Field(max_length=2000)]
    sites: Annotated[list[Pattern], Field(max_length=64)]
    actions: Annotated[list[ClassName], Field(max_length=len(CLASS_NAMES))]


class ApprovalRequestInfo(Model):
    """What the approval card draws: the structured request, never model prose (W10).

    ``verb``: the irreversible verb (purchase, send, delete, …) or the action class; ``data_out``: what would
    leave, and where to; ``flows``: text read on one site about to leave for another; ``once_only``: no
    lasting grant may be offered (irreversible, or a data flow); ``plan``: a plan to approve instead of one
    action (its approval stores task grants for its sites × classes).
    """

    tool: Short
    action: ClassName
    verb: Short
    origin: Text | None = None
    domain: Short | None = None
    element_role: Short | None = None
    element_name: Annotated[str, Field(max_length=200)] | None = None
    data_out: Annotated[list[DataOutInfo], Field(default_factory=list, max_length=32)]
    reason: Reason = ""
    rule: Reason = ""
    irreversible: bool = False
    flows: Annotated[list[FlowInfo], Field(default_factory=list, max_length=32)]
    once_only: bool = False
    plan: PlanInfo | None = None
    task_id: Short | None = None


class PendingApprovalInfo(Model):
    """One approval waiting for the user. ``created``/``expires``: ms since the epoch (no answer by then:
    denied)."""

    approval_id: MsgId
    run_id: MsgId
    request: ApprovalRequestInfo
    created: TimeMs
    expires: TimeMs


class GrantInfo(Model):
    """One grant as the options page lists it. Times are ms since the epoch. ``active``: it still answers
    for actions (not revoked, not used up, not expired)."""

    grant_id: MsgId
    who: Short
    domain: Pattern | None = None
    classes: Annotated[list[ClassName], Field(min_length=1, max_length=len(CLASS_NAMES))]
    lifetime: Lifetime
    created: TimeMs
    expires: TimeMs | None = None
    task_id: Short | None = None
    schedule_id: Short | None = None
    verbs: Annotated[list[Short], Field(default_factory=list, max_length=16)]
    used: bool = False
    revoked: bool = False
    active: bool


class SiteRuleInfo(Model):
    """A ``[sites."pattern"]`` rule: an outcome per class listed, and ``all`` for the rest (or none)."""

    pattern: Pattern
    classes: ByClass
    all: Outcome | None = None


class DenyCategoryInfo(Model):
    """A blocked category that denies: ``classes`` empty means every class."""

    name: Short
    patterns: Annotated[list[Pattern], Field(max_length=MAX_SITE_RULES)]
    classes: Annotated[list[ClassName], Field(default_factory=list, max_length=len(CLASS_NAMES))]


# --- requests and replies ----------------------------------------------------------------------------


class ApprovalsList(Message):
    kind: Literal["approvals.list"] = "approvals.list"


class ApprovalsListResult(Message):
    """Every pending approval of every run, oldest first (at most :data:`MAX_PENDING`)."""

    kind: Literal["approvals.list.result"] = "approvals.list.result"
    approvals: Annotated[list[PendingApprovalInfo], Field(max_length=MAX_PENDING)]


class ApprovalAnswer(Message):
    """The user's answer. ``lifetime`` applies to an allow (a grant for the request's domain and class, for
    once / this task / this daemon session / always); irreversible requests take only ``once`` (8013).
    ``via``: which surface the user answered in (for the audit)."""

    kind: Literal["approval.answer"] = "approval.answer"
    approval_id: MsgId
    allow: bool
    lifetime: Lifetime = "once"
    via: Literal["sidepanel", "notification"] = "sidepanel"


class ApprovalAnswered(Message):
    kind: Literal["approval.answered"] = "approval.answered"
    approval_id: MsgId
    allowed: bool
    lifetime: Lifetime


class ApprovalsWatch(Message):
    """Send this bridge ``approval.event`` for every approval asked or resolved, and every run that finished,
    from now on (idempotent; ends with the connection)."""

    kind: Literal["approvals.watch"] = "approvals.watch"


class ApprovalsWatching(Message):
    kind: Literal["approvals.watching"] = "approvals.watching"


class GrantsList(Message):
    """The grants, oldest first; with ``include_inactive`` also used-up, revoked and expired ones."""

    kind: Literal["grants.list"] = "grants.list"
    include_inactive: bool = False


class GrantsListResult(Message):
    kind: Literal["grants.list.result"] = "grants.list.result"
    grants: Annotated[list[GrantInfo], Field(max_length=MAX_GRANTS)]
    #: More grants exist than were sent (the oldest were left out).
    truncated: bool = False


class GrantsRevoke(Message):
    """Revoke one grant (idempotent: a revoked grant stays revoked); unknown id: 8005."""

    kind: Literal["grants.revoke"] = "grants.revoke"
    grant_id: MsgId


class GrantsRevoked(Message):
    kind: Literal["grants.revoked"] = "grants.revoked"
    grant: GrantInfo


class PolicySummary(Message):
    kind: Literal["policy.summary"] = "policy.summary"


class PolicySummaryResult(Message):
    """The policy in force as the extension needs it. ``version``: changes whenever the policy does;
    ``sites`` and ``deny_categories`` are what the extension's own re-check evaluates (a site rule is
    consulted first, most specific pattern wins; otherwise a denying category listing the site denies)."""

    kind: Literal["policy.summary.result"] = "policy.summary.result"
    mode: Literal["ask", "grants"]
    version: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
    source: Text
    defaults: ByClass
    sites: Annotated[list[SiteRuleInfo], Field(max_length=MAX_SITE_RULES)]
    deny_categories: Annotated[list[DenyCategoryInfo], Field(max_length=256)]


class ApprovalEventMsg(Message):
    """Daemon → extension: an ``approval.requested``, ``approval.resolved`` or ``run.finished`` run event
    (after ``approvals.watch``)."""

    kind: Literal["approval.event"] = "approval.event"
    event: EventBody


class PolicyChanged(Message):
    """Daemon → extension: the policy in force changed (now ``version``); fetch ``policy.summary`` again."""

    kind: Literal["policy.changed"] = "policy.changed"
    version: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]


#: (request, reply) of every policy kind, all extension → daemon.
REQUESTS: tuple[tuple[type[Message], type[Message]], ...] = (
    (ApprovalsList, ApprovalsListResult),
    (ApprovalAnswer, ApprovalAnswered),
    (ApprovalsWatch, ApprovalsWatching),
    (GrantsList, GrantsListResult),
    (GrantsRevoke, GrantsRevoked),
    (PolicySummary, PolicySummaryResult),
)
#: Daemon → extension events.
EVENTS: tuple[type[Message], ...] = (ApprovalEventMsg, PolicyChanged)
