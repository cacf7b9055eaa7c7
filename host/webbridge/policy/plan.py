"""Plan mode ("ask before acting"): the ``propose_plan`` tool.

In policy mode ``ask`` the system prompt tells the model to call ``propose_plan(summary, sites, actions)``
before acting. The sites are normalised to registrable domains and the actions checked against
:class:`~.actions.ActionClass` (a look-alike host or an unknown class is
:class:`~webbridge.errors.PlanInvalid`, which the model sees and can fix); the user is asked once through the
broker, with the structured plan in ``ApprovalRequest.plan``. Approval stores task grants for those sites ×
classes (:func:`.approvals.plan_grants`), so the run then acts within the plan without further prompts.
The grants never cover irreversible verbs (purchase, send, delete, ...: :mod:`.decide` asks for each one)
nor data flows, and anything outside the plan still asks. A declined plan is PolicyDenied for the model. In
mode ``grants`` the tool only says so.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..errors import DomainRefused, PlanInvalid, PolicyDenied
from ..tools.registry import RegisteredTool, ToolContext, ToolResult, tool
from .actions import ActionClass
from .approval import ApprovalRequest
from .domains import site_of
from .hook import PolicyHook
from .run_info import run_info_of

MAX_SITES = 20
_PLANNABLE = tuple(c.value for c in ActionClass if c is not ActionClass.NONE)


def validate_plan(sites: list[str], actions: list[str]) -> tuple[list[str], list[str]]:
    """The plan's registrable domains and action classes, deduplicated in order. Raises PlanInvalid naming
    the first bad entry."""
    if not sites and not actions:
        raise PlanInvalid("a plan names at least one site or one action")
    if len(sites) > MAX_SITES:
        raise PlanInvalid(f"a plan names at most {MAX_SITES} sites")
    domains: list[str] = []
    for raw in sites:
        try:
            domain = site_of(raw).domain
        except DomainRefused as exc:
            raise PlanInvalid(f"site {raw[:100]!r}: {exc.message}") from None
        if domain not in domains:
            domains.append(domain)
    classes: list[str] = []
    for raw in actions:
        if raw not in _PLANNABLE:
            raise PlanInvalid(f"action {raw[:40]!r} is not one of {', '.join(_PLANNABLE)}")
        if raw not in classes:
            classes.append(raw)
    if not classes:
        raise PlanInvalid("a plan names at least one action")
    return domains, classes


def plan_tool(hook: PolicyHook) -> RegisteredTool:
    """The ``propose_plan`` tool, asking through ``hook`` (its broker, its audit log)."""

    @tool(name="propose_plan", action=ActionClass.NONE)
    async def propose_plan(
        ctx: ToolContext,
        summary: Annotated[str, Field(min_length=1, max_length=2000)],
        sites: Annotated[list[Annotated[str, Field(max_length=300)]], Field(max_length=MAX_SITES)],
        actions: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=len(_PLANNABLE))],
    ) -> ToolResult:
        """Propose your plan to the user before acting (when plan mode is on): the sites you will use and
        the kinds of action you need. The user approves it once; then act within it.

        Args:
            summary: One or two sentences: what you will do.
            sites: The sites you will act on, as domains (example.com).
            actions: Kinds of action: navigate, interact, type, submit, upload, download, file_read,
                file_write, ...
        """
        if hook.policy.mode != "ask" or hook.broker is None:
            return ToolResult("Plan mode is off: no plan is needed. Act; actions that need the user's "
                              "approval will ask them.")
        domains, classes = validate_plan(sites, actions)
        info = run_info_of(ctx)
        task_id = info.task_id or ctx.run_id
        request = ApprovalRequest(
            tool="propose_plan", action="plan", verb="plan", origin=None, domain=None, element_role=None,
            element_name=None, data_out=(), reason="the agent proposes a plan", rule="mode ask",
            run_id=ctx.run_id, task_id=task_id, irreversible=False,
            plan={"summary": summary, "sites": domains, "actions": classes},
        )  # fmt: skip
        answer = await hook.ask_user(request, None, ctx)
        if not answer.allowed:
            why = "no answer in time" if answer.timed_out else "the user declined it"
            raise PolicyDenied(f"the plan was not approved ({why}); do not act, say what you would have done")
        return ToolResult(
            f"The user approved the plan: {', '.join(classes)} on {', '.join(domains) or '(no site)'}. "
            "Act within it; irreversible steps (buy, send, delete, ...) still ask each time.",
            data={"sites": domains, "actions": classes, "grants": [g.id for g in answer.grants]},
        )

    return propose_plan


__all__ = ["MAX_SITES", "plan_tool", "validate_plan"]
