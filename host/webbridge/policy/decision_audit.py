"""What a decision's audit entry says about the action: the page without query or fragment (``target``)
and a ``detail`` that names data leaving by destination origin, length and a short hash, never its text."""

from __future__ import annotations

import hashlib
import urllib.parse
from typing import Any

from .approval import url_origin
from .decide import Decision
from .proposed import ProposedAction


def target_of(action: ProposedAction) -> str | None:
    """The page without query or fragment (those may hold secrets; data leaving is in ``detail``)."""
    if action.url is None:
        return None
    parts = urllib.parse.urlsplit(action.url)
    if parts.scheme and parts.netloc:
        host = action.site.host if action.site else parts.hostname
        return f"{parts.scheme.lower()}://{host}{parts.path[:300]}"
    return action.site.host if action.site else None


def detail_of(action: ProposedAction, decision: Decision, tab_id: int | None) -> dict[str, Any]:
    """The ``detail`` of the decision entry: reason and rule, the site, the element, the form's action path,
    the data leaving (destination origin, length, sha256 prefix), the irreversible verb, the task, session
    and schedule ids and the tab."""
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


__all__ = ["detail_of", "target_of"]
