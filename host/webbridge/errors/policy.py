"""Policy outcomes and policy/audit failures (8xxx): the user decides, never the model."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import WebBridgeError
from .browser import BrowserActionError

# --- policy and audit (8000-8099): the user decides, never the model ----------------------------------------


class PolicyError(WebBridgeError):
    """A policy outcome or a policy/audit failure (8xxx). ``model_visible`` outcomes go back to the model as a
    tool result (it must not retry around them); the others are for the user."""

    model_visible: ClassVar[bool] = False


class PolicyDenied(PolicyError):
    """The policy refuses this action; ``detail["decision"]`` is the deciding
    :class:`~webbridge.policy.decide.Decision`."""

    code, name, model_visible = 8001, "policy_denied", True


class ApprovalRequired(PolicyError):
    """The action needs the user's approval; ``request`` is the structured
    :class:`~webbridge.policy.approval.ApprovalRequest` the approval UI draws (never model text)."""

    code, name, model_visible = 8002, "approval_required", True

    def __init__(self, message: str = "", *, request: Any = None, **detail: Any) -> None:
        super().__init__(message, **detail)
        self.request = request


class DomainRefused(PolicyError):
    """A URL or host the policy cannot match safely: look-alike (mixed-script or confusable) IDN, bad IDNA,
    empty or malformed host, a scheme without a site (W13)."""

    code, name = 8003, "domain_refused"


class PolicyInvalid(PolicyError):
    """The policy file is wrong; the message names the file, the line and the key."""

    code, name = 8004, "policy_invalid"


class GrantNotFound(PolicyError):
    code, name = 8005, "grant_not_found"


class AuditBroken(PolicyError):
    """The audit log's hash chain does not verify; the message names the first bad ``seq``."""

    code, name = 8006, "audit_broken"


class AuditUnavailable(PolicyError):
    """The audit or grant database cannot be opened or written (missing, corrupt, not ours, read-only)."""

    code, name = 8007, "audit_unavailable"


# --- approvals (8010-8019): the user answers, the run waits or parks -------------------------------------


class NeedsYou(PolicyError):
    """An unattended (scheduled) run met an action outside its grants: it never waits on a prompt, it ends
    with outcome ``needs_you`` and this message as the reason. Not model-visible: it ends the run."""

    code, name = 8010, "needs_you"


class ApprovalNotFound(PolicyError):
    """No pending approval has this id (it was never asked, or its run ended)."""

    code, name = 8011, "approval_not_found"


class ApprovalAnswered(PolicyError):
    """The approval was answered already (or timed out); a second answer changes nothing."""

    code, name = 8012, "approval_answered"


class ApprovalInvalid(PolicyError):
    """An answer the approval cannot take, e.g. a lasting lifetime for an irreversible action or a data
    flow (those are approved once, each time)."""

    code, name = 8013, "approval_invalid"


class PlanInvalid(PolicyError):
    """``propose_plan`` named a site or an action class the policy cannot use; the model may fix it."""

    code, name, model_visible = 8014, "plan_invalid", True


# --- the extension's side of the policy (8020-8029): approvals UI, grants, its own re-check ---------------


class PolicyUnavailable(PolicyError):
    """This daemon runs without a policy runtime or approval broker, so there is nothing to list, answer or
    summarise (the bridge's policy kinds answer this)."""

    code, name = 8020, "policy_unavailable"


class ExtensionPolicyRefused(PolicyError, BrowserActionError):
    """The extension's own re-check refused an action the daemon asked for: the target tab's site is denied
    by a site rule or a blocked category of the policy summary it holds. A browser action that did not
    happen, so the browser tools hand it to the model like a denial."""

    code, name, model_visible = 8021, "extension_policy_refused", True


class PolicySummaryMissing(PolicyError, BrowserActionError):
    """The extension holds no policy summary (it could not fetch one), so it refuses acting requests until
    it has one (fail closed); nothing happened in the browser."""

    code, name, model_visible = 8022, "policy_summary_missing", True
