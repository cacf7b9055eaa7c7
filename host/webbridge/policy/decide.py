"""The decision: ``decide(action, policy, grants, now) -> Decision``. Deterministic, pure and fast.

In this order (the first step that concludes wins; every :class:`Decision` names what decided):

1. ``none`` actions (think, finish) are allowed: nothing leaves the daemon.
2. A web action whose target site is unknown asks (fail closed, never allow).
3. The base outcome: the most specific site rule for the class (or its ``all``), else the strictest
   blocked category listing the site, else ``[defaults]``. Actions without a site use ``[defaults]``.
4. ``deny`` is final: no grant, plan or mode lifts it.
   A download report (``download_wait``) whose download the user approved in this run (the click that
   started it: ``approved_download``) is allowed: the click was the decision point (W11 asks there).
5. A click or submit on a ref whose element the policy has not seen in a snapshot asks (the next step
   could not tell whether it is irreversible). Data marked as read on another origin (``DataOut.source``,
   set by the hook's data-flow guard, :mod:`.flows`) asks; no grant answers it. A click or submit whose
   form goes to another site is also decided as a submit on that site (W8): unless that is allowed too,
   the stricter outcome stands.
6. An irreversible action (W11, :mod:`.irreversible`) asks, unless a ``once`` grant naming that verb
   covers it.
7. A grant covering the action turns ``ask`` into ``allow`` (and so does one in ``ask`` mode: the approved
   plan is a set of task grants).
8. In ``ask`` mode anything beyond reading that no grant covers asks, even where a rule allows it.
9. Otherwise the base outcome stands.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from .actions import ActionClass
from .flows import origin as flow_origin
from .grants import Grant
from .irreversible import Irreversible, detect
from .proposed import ProposedAction
from .rules import Outcome, Policy, quote_key

_FREE_IN_ASK_MODE = frozenset({ActionClass.READ, ActionClass.NONE})
_ELEMENT_CLASSES = frozenset({ActionClass.INTERACT, ActionClass.SUBMIT})


@dataclass(frozen=True)
class Decision:
    """``outcome`` with the ``reason`` (words for the user) and ``rule`` (what decided, e.g.
    ``sites."github.com".type (policy.toml:7)``, ``irreversible``, ``grant g_…``)."""

    outcome: Outcome
    reason: str
    rule: str
    grant: Grant | None = None
    irreversible: Irreversible | None = None

    @property
    def allowed(self) -> bool:
        return self.outcome == "allow"


def decide(action: ProposedAction, policy: Policy, grants: Sequence[Grant], now: float) -> Decision:
    """Decide ``action`` under ``policy`` and the ``grants`` given (expired/used ones are skipped).

    Pure: reads nothing else, changes nothing (a ``once`` grant it names is consumed by the caller).
    Never raises for a well-formed action.
    """
    cls = action.action
    if cls is ActionClass.NONE:
        return Decision("allow", "no effect outside the daemon", "class none")
    if action.needs_site and action.site is None:
        return Decision("ask", f"{cls.value} on an unknown page", "no target site")

    base, rule = _base(action, policy)
    if base == "deny":
        return Decision("deny", f"{cls.value} on {_where(action)} is denied", rule)

    if cls is ActionClass.DOWNLOAD and action.approved_download is not None:
        return Decision("allow", f"reports the download approved with {action.approved_download}",
                        "approved download")
    if cls in _ELEMENT_CLASSES and action.ref is not None and action.element is None:
        # Without the element's role and name the irreversibility check cannot run: fail towards asking.
        why = f"element {action.ref} is not in any snapshot read in this run"
        return Decision("ask", why, "unknown element")
    flow = next((d for d in action.data_out if d.source is not None), None)
    if flow is not None:
        # The data-flow guard (the hook marks the data): approved one at a time, no grant answers it.
        why = f"text read on {flow.source} would be sent to {flow_origin(flow.destination) or _where(action)}"
        return Decision("ask", why, "data flow")
    if action.sends_elsewhere:
        there = decide(dataclasses.replace(action, url=action.form_action, action=ActionClass.SUBMIT),
                       policy, grants, now)
        if there.outcome != "allow":
            dest = action.form_site.domain if action.form_site else "another site"
            return Decision(there.outcome, f"the form sends to {dest}: {there.reason}", there.rule,
                            None, there.irreversible)
    found = detect(cls, action.element.role if action.element else None,
                   action.element.name if action.element else None, action.form_action)
    if found is not None:
        for grant in grants:
            if found.verb in grant.verbs and grant.lifetime == "once" and grant.covers(action, now):
                return Decision("allow", f"{found.verb} approved once", grant.describe(), grant, found)
        return Decision("ask", f"irreversible: {found.verb} ({found.evidence})", "irreversible", None, found)

    where = _where(action)
    plan_only = policy.mode == "ask" and cls not in _FREE_IN_ASK_MODE
    if base == "ask" or plan_only:  # else the rule allows it: spend no grant
        covering = _covering(action, grants, now)
        if covering is not None:
            return Decision("allow", f"{cls.value} on {where} granted", covering.describe(), covering)
    if base == "ask":
        return Decision("ask", f"{cls.value} on {where} needs your approval", rule)
    if plan_only:
        return Decision("ask", f"{cls.value} on {where} is outside the approved plan", "mode ask")
    return Decision("allow", f"{cls.value} on {where} is allowed", rule)


def _base(action: ProposedAction, policy: Policy) -> tuple[Outcome, str]:
    cls = action.action
    site = action.site
    if site is not None:
        site_rule = policy.site_rule(site)
        if site_rule is not None:
            outcome = site_rule.outcome(cls)
            if outcome is not None:
                key = cls.value if cls in site_rule.classes else "all"
                return outcome, f"sites.{quote_key(str(site_rule.pattern))}.{key} ({site_rule.origin})"
        category = policy.category(site, cls)
        if category is not None:
            return category.decision, f"categories.{category.name} ({category.origin})"
    return policy.defaults[cls], f"defaults.{cls.value}"


def _covering(action: ProposedAction, grants: Sequence[Grant], now: float) -> Grant | None:
    """A grant covering ``action``, lasting ones before ``once`` grants (which would be used up)."""
    once: Grant | None = None
    for grant in grants:
        if not grant.verbs and grant.covers(action, now):  # a verb approval answers only that verb
            if grant.lifetime != "once":
                return grant
            once = once or grant
    return once


def _where(action: ProposedAction) -> str:
    return action.site.domain if action.site is not None else "this machine"


__all__ = ["Decision", "decide"]
