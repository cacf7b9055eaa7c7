"""The approval broker: a run that meets an "ask" waits here until the user answers, or the time runs out.

:meth:`ApprovalBroker.ask` emits ``approval.requested`` into the run's event stream and waits (an
``asyncio.Future`` per approval, no polling) for :meth:`ApprovalBroker.answer` — from the side panel, a
notification, the CLI (``webbridge approve``) or the API. No answer within ``timeout`` seconds is a denial
(``timed_out``). An unattended run (a scheduled one) never waits: :class:`~webbridge.errors.NeedsYou`
ends it with the reason. Cancelling the run cancels the wait and resolves nothing (no grant, no event);
the approval is gone from :meth:`pending` as soon as its wait ends, however it ends, so a run that ended
leaves none behind.

Allowing with a lifetime other than ``once`` stores a grant (:mod:`.grants`) for the request's registrable
domain and action class (``task``: this task; ``session``: this daemon session; ``always``: until
revoked), so the next such action does not ask. Irreversible actions and data flows are approved once,
each time. Approving a plan (``request.plan``) stores task grants for its sites × action classes.
Nothing a page says reaches a grant: grants are made only here, from a user's answer.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from ..agent.events import ApprovalRequested, ApprovalResolved
from ..errors import ApprovalAnswered, ApprovalInvalid, ApprovalNotFound, NeedsYou
from .actions import ActionClass
from .approval import ApprovalRequest
from .grants import LIFETIMES, Grant, GrantStore, Lifetime
from .proposed import WEB_CLASSES
from .run_info import EmitFn

AnsweredBy = Literal["sidepanel", "cli", "notification", "api"]
ANSWERED_BY: tuple[AnsweredBy, ...] = get_args(AnsweredBy)

#: Answered ids remembered so that a second answer is refused as such (not as "unknown").
_REMEMBER_ANSWERED = 4096
DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True)
class Answer:
    """How an approval ended. ``by`` is the surface that answered, or ``"timeout"``; ``grants`` are the
    grants the answer stored (none for ``once``)."""

    approval_id: str
    allowed: bool
    lifetime: Lifetime = "once"
    by: str = "timeout"
    timed_out: bool = False
    grants: tuple[Grant, ...] = ()


@dataclass(frozen=True)
class PendingApproval:
    approval_id: str
    run_id: str
    request: dict[str, Any]
    created_ms: int
    expires_ms: int

    def to_data(self) -> dict[str, Any]:
        return {"approval_id": self.approval_id, "run_id": self.run_id, "request": self.request,
                "created_ms": self.created_ms, "expires_ms": self.expires_ms}


@dataclass
class _Waiting:
    pending: PendingApproval
    request: ApprovalRequest
    task_id: str | None
    emit: EmitFn | None
    future: asyncio.Future[Answer] = field(repr=False, default_factory=lambda: asyncio.get_running_loop()
                                           .create_future())


class ApprovalBroker:
    """Pending approvals of one daemon. Use from the event loop only."""

    def __init__(
        self,
        grants: GrantStore,
        *,
        session_id: str,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not timeout > 0:
            raise ValueError("the approval timeout must be positive")
        self.grants = grants
        self.session_id = session_id
        self.timeout = timeout
        self._clock = clock
        self._waiting: dict[str, _Waiting] = {}
        self._answered: OrderedDict[str, None] = OrderedDict()
        self._changed = asyncio.Event()

    async def ask(
        self,
        run_id: str,
        request: ApprovalRequest,
        *,
        unattended: bool,
        emit: EmitFn | None = None,
        task_id: str | None = None,
    ) -> Answer:
        """Ask the user about ``request`` for run ``run_id`` and wait for the answer.

        ``emit`` is the run's ``Emitter.emit`` (``approval.requested``/``approval.resolved`` go through it);
        ``task_id`` scopes a ``task`` grant (default: the run id). Returns the :class:`Answer` (a timeout
        is ``allowed=False, timed_out=True``). Raises :class:`NeedsYou` at once when ``unattended``.
        Cancellation cancels the wait: nothing is resolved or granted, the approval is dropped.
        """
        if unattended:
            where = request.domain or "this machine"
            raise NeedsYou(f"needs you: {request.reason} ({request.verb} on {where}); "
                           "this scheduled run has no grant for it")
        approval_id = "a-" + secrets.token_hex(6)
        now = self._clock()
        created_ms, expires_ms = int(now * 1000), int((now + self.timeout) * 1000)
        data = request.to_data()
        waiting = _Waiting(PendingApproval(approval_id, run_id, data, created_ms, expires_ms), request,
                           task_id or request.task_id or run_id, emit)
        self._waiting[approval_id] = waiting
        try:
            if emit is not None:
                emit(ApprovalRequested, approval_id=approval_id, request=data, expires=expires_ms)
            self._notify()
            try:
                async with asyncio.timeout(self.timeout):
                    return await waiting.future
            except TimeoutError:
                if waiting.future.done() and not waiting.future.cancelled():
                    return waiting.future.result()  # answered just as the time ran out: the answer stands
                self._remember(approval_id)
                if emit is not None:
                    emit(ApprovalResolved, approval_id=approval_id, allowed=False, lifetime="once",
                         by="timeout", timed_out=True)
                return Answer(approval_id, False, timed_out=True)
        finally:
            self._waiting.pop(approval_id, None)
            self._notify()

    def pending(self) -> list[PendingApproval]:
        """Approvals waiting for an answer, oldest first."""
        return [w.pending for w in self._waiting.values()]

    def pending_for(self, run_id: str) -> list[PendingApproval]:
        return [w.pending for w in self._waiting.values() if w.pending.run_id == run_id]

    async def wait_changed(self) -> None:
        """Wait until an approval is added or leaves the pending list (for surfaces that push it)."""
        await self._changed.wait()

    async def answer(
        self,
        approval_id: str,
        *,
        allow: bool,
        lifetime: Lifetime = "once",
        by: AnsweredBy,
    ) -> Answer:
        """Answer a pending approval; the waiting run goes on at once.

        Raises :class:`ApprovalNotFound` (unknown id, or its run ended), :class:`ApprovalAnswered` (answered
        or timed out already), :class:`ApprovalInvalid` (a lifetime or surface that is not one of the known
        ones, or a lasting lifetime for an irreversible action or a data flow). On error nothing changes.
        """
        if lifetime not in LIFETIMES:
            raise ApprovalInvalid(f"lifetime must be one of {', '.join(LIFETIMES)}")
        if by not in ANSWERED_BY:
            raise ApprovalInvalid(f"by must be one of {', '.join(ANSWERED_BY)}")
        waiting = self._waiting.get(approval_id)
        if waiting is None or waiting.future.done():
            if waiting is not None or approval_id in self._answered:
                raise ApprovalAnswered(f"approval {approval_id} was answered already")
            raise ApprovalNotFound(f"no pending approval {approval_id}")
        request = waiting.request
        if allow and request.plan is None and request.once_only and lifetime != "once":
            what = "an irreversible action" if request.irreversible else "data read on another site"
            raise ApprovalInvalid(f"{what} is approved once at a time; answer with lifetime once")
        stored: tuple[Grant, ...] = ()
        if allow:
            try:
                made = self._grants_for(waiting, lifetime, by)
            except ValueError as exc:
                raise ApprovalInvalid(f"cannot store that grant: {exc}") from None
            stored = tuple(self.grants.add(g) for g in made)
        if request.plan is not None and allow:
            lifetime = "task"
        result = Answer(approval_id, allow, lifetime, by, grants=stored)
        self._remember(approval_id)
        waiting.future.set_result(result)
        if waiting.emit is not None:
            waiting.emit(ApprovalResolved, approval_id=approval_id, allowed=allow, lifetime=lifetime, by=by,
                         timed_out=False, grant_id=stored[0].id if stored else None)
        return result

    # --- internals ----------------------------------------------------------------------------------------

    def _grants_for(self, waiting: _Waiting, lifetime: Lifetime, by: str) -> list[Grant]:
        request = waiting.request
        now = self._clock()
        who = f"user:{by}"
        if request.plan is not None:
            return plan_grants(request.plan, who=who, task_id=waiting.task_id or waiting.pending.run_id,
                               now=now)
        if lifetime == "once":
            return []  # the approval lets this one call through; nothing lasts
        try:
            cls = ActionClass(request.action)
        except ValueError:
            return []
        if request.domain is None and cls in WEB_CLASSES:
            return []  # an unknown page: nothing to scope a grant to, this call only
        return [Grant.new(
            who=who, domain=request.domain, classes=[cls], lifetime=lifetime, now=now,
            task_id=waiting.task_id if lifetime == "task" else None,
            session_id=self.session_id if lifetime == "session" else None,
        )]  # fmt: skip

    def _remember(self, approval_id: str) -> None:
        self._answered[approval_id] = None
        while len(self._answered) > _REMEMBER_ANSWERED:
            self._answered.popitem(last=False)

    def _notify(self) -> None:
        """Wake every ``wait_changed`` (synchronous: safe in a ``finally`` while cancelled)."""
        self._changed.set()
        self._changed = asyncio.Event()


def plan_grants(plan: dict[str, Any], *, who: str, task_id: str, now: float) -> list[Grant]:
    """Task grants for an approved plan: one per site for its web classes, one without a site for the
    others (file, schedule, spawn). Raises ``ValueError`` for a malformed plan."""
    classes = [ActionClass(a) for a in plan.get("actions", ())]
    web = [c for c in classes if c in WEB_CLASSES]
    local = [c for c in classes if c not in WEB_CLASSES and c is not ActionClass.NONE]
    out = [Grant.new(who=who, domain=site, classes=web, lifetime="task", now=now, task_id=task_id)
           for site in plan.get("sites", ()) if web]
    if local:
        out.append(Grant.new(who=who, domain=None, classes=local, lifetime="task", now=now, task_id=task_id))
    return out


__all__ = [
    "ANSWERED_BY",
    "DEFAULT_TIMEOUT",
    "Answer",
    "AnsweredBy",
    "ApprovalBroker",
    "PendingApproval",
    "plan_grants",
]
