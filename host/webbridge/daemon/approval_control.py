"""Control-socket ops for approvals (docs/PROTOCOL.md §7): what ``webbridge approvals`` and
``webbridge approve`` use. Both call the daemon's :class:`~webbridge.policy.approvals.ApprovalBroker`.

- ``approvals.list {run_id?, wait?}`` → the pending approvals, oldest first (``PendingApproval.to_data()``);
  with ``wait`` (seconds, ≤ 600) and none pending, it first waits (event-driven) until one is asked.
- ``approval.answer {approval_id, allow, lifetime?}`` → ``{approval_id, allowed, lifetime, grants}``;
  errors: ApprovalNotFound (8011), ApprovalAnswered (8012), ApprovalInvalid (8013), InvalidMessage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..errors import InvalidMessage, RunError
from ..policy.grants import LIFETIMES

if TYPE_CHECKING:
    from ..policy.approvals import ApprovalBroker
    from .server import DaemonState

Op = Callable[[dict[str, Any]], Awaitable[Any]]

_ANSWER_FIELDS = {"approval_id", "allow", "lifetime"}


def broker_of(state: DaemonState) -> ApprovalBroker:
    """The daemon's broker. Raises RunError when this daemon runs no policy (and so no runs)."""
    if state.approvals is None:
        raise RunError("approvals are not available in this daemon (no policy loaded; see its log)")
    return state.approvals


def ops(state: DaemonState) -> dict[str, Op]:
    async def approvals_list(args: dict[str, Any]) -> list[dict[str, Any]]:
        run_id = args.get("run_id")
        if run_id is not None and (not isinstance(run_id, str) or not run_id or len(run_id) > 64):
            raise InvalidMessage("run_id must be a run id (a non-empty string)")
        wait = args.get("wait", 0)
        if isinstance(wait, bool) or not isinstance(wait, int | float) or not 0 <= wait <= 600:
            raise InvalidMessage("wait must be a number of seconds in [0, 600]")
        broker = broker_of(state)

        def now() -> list[Any]:
            return broker.pending() if run_id is None else broker.pending_for(run_id)

        if wait and not now():
            try:
                async with asyncio.timeout(float(wait)):
                    while not now():
                        await broker.wait_changed()
            except TimeoutError:
                pass
        return [p.to_data() for p in now()]

    async def approval_answer(args: dict[str, Any]) -> dict[str, Any]:
        unknown = set(args) - _ANSWER_FIELDS
        if unknown:
            raise InvalidMessage(f"approval.answer: unknown argument {sorted(unknown)[0]!r}")
        approval_id = args.get("approval_id")
        allow = args.get("allow")
        lifetime = args.get("lifetime", "once")
        if not isinstance(approval_id, str) or not approval_id or len(approval_id) > 64:
            raise InvalidMessage("approval_id must be an approval id (a non-empty string)")
        if not isinstance(allow, bool):
            raise InvalidMessage("allow must be true or false")
        if lifetime not in LIFETIMES:
            raise InvalidMessage(f"lifetime must be one of {', '.join(LIFETIMES)}")
        answer = await broker_of(state).answer(approval_id, allow=allow, lifetime=lifetime, by="cli")
        return {"approval_id": answer.approval_id, "allowed": answer.allowed, "lifetime": answer.lifetime,
                "grants": [g.to_data() for g in answer.grants]}

    return {"approvals.list": approvals_list, "approval.answer": approval_answer}


__all__ = ["broker_of", "ops"]
