"""The structured approval request: what the approval UI draws (side panel, notification, CLI).

Everything in it comes from the :class:`~.proposed.ProposedAction` and the :class:`~.decide.Decision`,
never from model text (W10): the verb, the target origin, the element by role and name, and the data that
would leave. Answering it (a later increment) creates a grant: ``once`` with the verb for an irreversible
action, or a longer lifetime the user picks.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

from ..errors import DomainRefused
from .decide import Decision
from .domains import site_of
from .flows import origin as flow_origin
from .proposed import ProposedAction


@dataclass(frozen=True)
class ApprovalRequest:
    tool: str
    action: str
    #: The irreversible verb (purchase, send, ...) or, for other actions, the action class.
    verb: str
    origin: str | None
    domain: str | None
    element_role: str | None
    element_name: str | None
    #: (destination origin, preview of the text) for each piece of data that would leave.
    data_out: tuple[tuple[str, str], ...]
    reason: str
    rule: str
    run_id: str | None
    task_id: str | None
    irreversible: bool
    #: Data-flow guard hits: (origin the text was read on, origin it would go to, the text matched).
    flows: tuple[tuple[str, str, str], ...] = ()
    #: For a plan (``propose_plan``): ``{"summary", "sites", "actions"}``; ``sites`` and ``actions`` are
    #: validated (registrable domains, action classes), ``summary`` is the model's own words.
    plan: dict[str, Any] | None = None

    @property
    def once_only(self) -> bool:
        """Irreversible actions and data flows are approved one at a time: no lasting grant answers them."""
        return self.irreversible or bool(self.flows)

    @classmethod
    def build(cls, action: ProposedAction, decision: Decision) -> ApprovalRequest:
        element = action.element
        return cls(
            tool=action.tool,
            action=action.action.value,
            verb=decision.irreversible.verb if decision.irreversible else action.action.value,
            origin=origin_of(action),
            domain=action.site.domain if action.site else None,
            element_role=element.role if element else None,
            element_name=element.name[:200] if element else None,
            data_out=tuple((url_origin(d.destination), d.preview()) for d in action.data_out),
            reason=decision.reason,
            rule=decision.rule,
            run_id=action.run_id,
            task_id=action.task_id,
            irreversible=decision.irreversible is not None,
            flows=tuple((d.source, flow_origin(d.destination) or url_origin(d.destination), d.matched[:200])
                        for d in action.data_out if d.source is not None),
        )

    def to_data(self) -> dict[str, Any]:
        pairs = ("data_out", "flows")
        return {k: (list(map(list, v)) if k in pairs else v) for k, v in self.__dict__.items()}


def origin_of(action: ProposedAction) -> str | None:
    """``scheme://host`` of the action's page, the host normalised as the policy saw it (punycode, no
    userinfo, no trailing dot); ``None`` without a site."""
    return url_origin(action.url) if action.site is not None and action.url is not None else None


def url_origin(url: str) -> str:
    """``scheme://host`` of ``url`` with the host normalised by :func:`~.domains.site_of` (never the
    userinfo or a look-alike form); a short prefix of ``url`` if it has no site."""
    try:
        host = site_of(url).host
    except DomainRefused:
        return url[:100]
    scheme = urllib.parse.urlsplit(url.strip()).scheme.lower()
    return f"{scheme if scheme in ('http', 'https', 'ws', 'wss') else 'https'}://{host}"


__all__ = ["ApprovalRequest", "origin_of", "url_origin"]
