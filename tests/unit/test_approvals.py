"""ApprovalBroker with a real grant store (SQLite in tmp): approve, deny, timeout, unattended, answering
twice, unknown ids, cancellation, grants with the chosen lifetime, and plans. Events go to a list (the
run's emitter is a callable)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from webbridge.agent.emitter import Emitter
from webbridge.agent.events import ApprovalRequested, ApprovalResolved, RunEvent
from webbridge.errors import ApprovalAnswered, ApprovalInvalid, ApprovalNotFound, NeedsYou
from webbridge.policy.actions import ActionClass
from webbridge.policy.approval import ApprovalRequest
from webbridge.policy.approvals import Answer, ApprovalBroker
from webbridge.policy.decide import decide
from webbridge.policy.grants import GrantStore
from webbridge.policy.proposed import ProposedAction
from webbridge.policy.rules import parse_policy

NOW = 1_700_000_000.0


def request(
    action: str = "type", domain: str | None = "forms.test", *, irreversible: bool = False,
    plan: dict[str, Any] | None = None, flows: tuple[tuple[str, str, str], ...] = (),
) -> ApprovalRequest:
    return ApprovalRequest(
        tool="type_text", action=action, verb="purchase" if irreversible else action,
        origin=f"https://{domain}" if domain else None, domain=domain, element_role="textbox",
        element_name="Name", data_out=(), reason=f"{action} on {domain} needs your approval",
        rule="defaults.type", run_id="r-1", task_id="r-1", irreversible=irreversible, flows=flows, plan=plan,
    )  # fmt: skip


@pytest.fixture
def grants(tmp_path: Path) -> Iterator[GrantStore]:
    store = GrantStore(tmp_path / "grants.db")
    yield store
    store.close()


class Run:
    """A run's emitter whose events land in a list."""

    def __init__(self) -> None:
        self.events: list[RunEvent] = []
        self.emitter = Emitter("r-1", self.events.append, clock=lambda: NOW)

    def types(self) -> list[str]:
        return [e.type for e in self.events]


async def ask_in_background(broker: ApprovalBroker, run: Run, req: ApprovalRequest,
                            group: asyncio.TaskGroup) -> tuple[asyncio.Task[Answer], str]:
    """Start ``ask`` and return its task and the approval id, once it is pending (event-driven)."""
    changed = asyncio.ensure_future(broker.wait_changed())
    task = group.create_task(broker.ask("r-1", req, unattended=False, emit=run.emitter.emit))
    await changed
    (pending,) = broker.pending()
    return task, pending.approval_id


async def test_an_approved_request_lets_the_run_go_on_and_is_announced_twice(grants: GrantStore) -> None:
    broker = ApprovalBroker(grants, session_id="s1", clock=lambda: NOW)
    run = Run()
    async with asyncio.TaskGroup() as group:
        task, approval_id = await ask_in_background(broker, run, request(), group)
        assert run.types() == ["approval.requested"]
        requested = run.events[0]
        assert isinstance(requested, ApprovalRequested)
        assert requested.approval_id == approval_id and requested.request["domain"] == "forms.test"
        assert requested.expires == int((NOW + 300) * 1000)
        listed = broker.pending()[0].to_data()
        assert listed["run_id"] == "r-1" and listed["request"]["verb"] == "type"
        await broker.answer(approval_id, allow=True, by="cli")
    answer = task.result()
    assert (answer.allowed, answer.lifetime, answer.by, answer.timed_out, answer.grants) == (
        True, "once", "cli", False, ())
    resolved = run.events[1]
    assert isinstance(resolved, ApprovalResolved)
    assert (resolved.allowed, resolved.by, resolved.timed_out, resolved.grant_id) == (
        True, "cli", False, None)
    assert broker.pending() == []
    assert grants.list_grants() == []  # "once" lets this call through and stores nothing


async def test_a_denied_request_answers_no(grants: GrantStore) -> None:
    broker = ApprovalBroker(grants, session_id="s1")
    run = Run()
    async with asyncio.TaskGroup() as group:
        task, approval_id = await ask_in_background(broker, run, request(), group)
        await broker.answer(approval_id, allow=False, lifetime="always", by="sidepanel")
    assert not task.result().allowed
    assert grants.list_grants() == []
    assert [(e.type, getattr(e, "allowed", None)) for e in run.events] == [
        ("approval.requested", None), ("approval.resolved", False)]


async def test_no_answer_in_time_is_a_denial_marked_timed_out(grants: GrantStore) -> None:
    broker = ApprovalBroker(grants, session_id="s1", timeout=0.05)
    run = Run()
    answer = await broker.ask("r-1", request(), unattended=False, emit=run.emitter.emit)
    assert (answer.allowed, answer.timed_out, answer.by) == (False, True, "timeout")
    resolved = run.events[-1]
    assert isinstance(resolved, ApprovalResolved) and resolved.timed_out and resolved.by == "timeout"
    assert broker.pending() == []
    with pytest.raises(ApprovalAnswered):  # too late: the time ran out first
        await broker.answer(answer.approval_id, allow=True, by="cli")


async def test_an_unattended_run_never_waits(grants: GrantStore) -> None:
    broker = ApprovalBroker(grants, session_id="s1")
    run = Run()
    with pytest.raises(NeedsYou, match=r"type on forms\.test"):
        await broker.ask("r-1", request(), unattended=True, emit=run.emitter.emit)
    assert broker.pending() == [] and run.events == []


async def test_a_second_answer_and_an_unknown_id_are_refused(grants: GrantStore) -> None:
    broker = ApprovalBroker(grants, session_id="s1")
    run = Run()
    async with asyncio.TaskGroup() as group:
        task, approval_id = await ask_in_background(broker, run, request(), group)
        await broker.answer(approval_id, allow=False, by="cli")
        with pytest.raises(ApprovalAnswered):
            await broker.answer(approval_id, allow=True, lifetime="always", by="sidepanel")
    assert not task.result().allowed  # the first answer stands
    assert grants.list_grants() == []
    with pytest.raises(ApprovalNotFound):
        await broker.answer("a-000000000000", allow=True, by="cli")


async def test_a_bad_answer_changes_nothing(grants: GrantStore) -> None:
    broker = ApprovalBroker(grants, session_id="s1")
    run = Run()
    async with asyncio.TaskGroup() as group:
        task, approval_id = await ask_in_background(broker, run, request(irreversible=True), group)
        with pytest.raises(ApprovalInvalid, match="once"):
            await broker.answer(approval_id, allow=True, lifetime="always", by="cli")
        with pytest.raises(ApprovalInvalid, match="lifetime"):
            await broker.answer(approval_id, allow=True, lifetime="forever", by="cli")  # type: ignore[arg-type]
        with pytest.raises(ApprovalInvalid, match="by"):
            await broker.answer(approval_id, allow=True, by="the page")  # type: ignore[arg-type]
        assert [p.approval_id for p in broker.pending()] == [approval_id]
        await broker.answer(approval_id, allow=True, lifetime="once", by="cli")
    assert task.result().allowed and grants.list_grants() == []


async def test_a_data_flow_is_approved_once_only(grants: GrantStore) -> None:
    broker = ApprovalBroker(grants, session_id="s1")
    flow = (("https://bank.test", "https://forms.test", "ACCT-99812"),)
    async with asyncio.TaskGroup() as group:
        task, approval_id = await ask_in_background(broker, Run(), request(flows=flow), group)
        with pytest.raises(ApprovalInvalid, match="another site"):
            await broker.answer(approval_id, allow=True, lifetime="session", by="cli")
        await broker.answer(approval_id, allow=True, by="cli")
    assert task.result().allowed and grants.list_grants() == []


async def test_cancelling_the_run_cancels_the_wait_and_resolves_nothing(grants: GrantStore) -> None:
    broker = ApprovalBroker(grants, session_id="s1")
    run = Run()
    changed = asyncio.ensure_future(broker.wait_changed())
    task = asyncio.ensure_future(broker.ask("r-1", request(), unattended=False, emit=run.emitter.emit))
    await changed
    approval_id = broker.pending()[0].approval_id
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert broker.pending() == []
    assert run.types() == ["approval.requested"]  # no resolution: the run's own end says it
    with pytest.raises(ApprovalNotFound):
        await broker.answer(approval_id, allow=True, lifetime="always", by="cli")
    assert grants.list_grants() == []


@pytest.mark.parametrize(("lifetime", "scope"), [
    ("task", ("task_id", "r-1")), ("session", ("session_id", "s1")), ("always", ("expires", None)),
])  # fmt: skip
async def test_a_lasting_answer_stores_a_grant_that_then_decides_without_asking(
    grants: GrantStore, lifetime: str, scope: tuple[str, str | None]
) -> None:
    broker = ApprovalBroker(grants, session_id="s1", clock=lambda: NOW)
    policy = parse_policy("")  # shipped defaults: type asks
    action = ProposedAction(tool="type_text", action=ActionClass.TYPE, url="https://www.forms.test/a",
                            run_id="r-1", task_id="r-1", session_id="s1")
    assert decide(action, policy, grants.active(NOW), NOW).outcome == "ask"
    run = Run()
    async with asyncio.TaskGroup() as group:
        task, approval_id = await ask_in_background(broker, run, request(), group)
        await broker.answer(approval_id, allow=True, lifetime=lifetime, by="sidepanel")  # type: ignore[arg-type]
    (grant,) = task.result().grants
    assert grant.lifetime == lifetime and str(grant.pattern) == "forms.test"
    assert grant.classes == {ActionClass.TYPE} and grant.who == "user:sidepanel"
    assert getattr(grant, scope[0]) == scope[1]
    assert grants.get(grant.id) == grant
    resolved = run.events[-1]
    assert isinstance(resolved, ApprovalResolved) and resolved.grant_id == grant.id
    again = decide(action, policy, grants.active(NOW), NOW)
    assert (again.outcome, again.grant) == ("allow", grant)
    other = ProposedAction(tool="click", action=ActionClass.INTERACT, url="https://forms.test/a",
                           run_id="r-1", task_id="r-1", session_id="s1")
    assert decide(other, policy, grants.active(NOW), NOW).outcome == "ask"  # only the class approved


async def test_an_approved_plan_stores_task_grants_for_its_sites_and_classes(grants: GrantStore) -> None:
    broker = ApprovalBroker(grants, session_id="s1", clock=lambda: NOW)
    plan = {"summary": "fill the form", "sites": ["forms.test", "docs.test"],
            "actions": ["navigate", "type", "file_write"]}
    async with asyncio.TaskGroup() as group:
        task, approval_id = await ask_in_background(broker, Run(), request("plan", None, plan=plan), group)
        await broker.answer(approval_id, allow=True, lifetime="always", by="sidepanel")
    answer = task.result()
    assert answer.lifetime == "task"  # a plan lasts for its task, whatever was picked
    shown = sorted((str(g.pattern), sorted(c.value for c in g.classes), g.lifetime, g.task_id)
                   for g in answer.grants)
    assert shown == [
        ("None", ["file_write"], "task", "r-1"),
        ("docs.test", ["navigate", "type"], "task", "r-1"),
        ("forms.test", ["navigate", "type"], "task", "r-1"),
    ]
