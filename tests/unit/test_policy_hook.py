"""PolicyHook with a real grant store and audit log (SQLite in tmp); tools and contexts are plain records
shaped like the registry's (the hook only reads their attributes)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from webbridge.agent.chat import ToolCall
from webbridge.errors import (
    ApprovalRequired,
    AuditUnavailable,
    PolicyDenied,
    PolicyError,
    StaleRef,
)
from webbridge.policy.actions import ActionClass
from webbridge.policy.approval import ApprovalRequest
from webbridge.policy.audit import AuditLog
from webbridge.policy.grants import Grant, GrantStore
from webbridge.policy.hook import SEEN_URLS, PolicyHook, describe_call
from webbridge.policy.page_elements import ElementMemory
from webbridge.policy.rules import parse_policy
from webbridge.protocol.browser_kinds import TabsListResult
from webbridge.protocol.fields import Message, Tab
from webbridge.tools import browser_tools
from webbridge.tools.registry import ToolContext, ToolRegistry, ToolResult, tool

A = ActionClass
NOW = 1_700_000_000.0
SEEN_URLS_KEY = "browser.seen_urls"


@dataclass(frozen=True)
class Tool:
    name: str
    action: ActionClass


@dataclass
class Ctx:
    run_id: str = "run1"
    tab_id: int | None = 7
    page_url: str | None = "https://shop.test/cart"
    task_id: str | None = "task1"
    call_id: str | None = None
    elements: dict[str, tuple[str, str]] = field(default_factory=dict)
    forms: dict[str, str] = field(default_factory=dict)

    def element_for(self, ref: str) -> tuple[str, str] | None:
        return self.elements.get(ref)

    def form_action_for(self, ref: str) -> str | None:
        return self.forms.get(ref)


CLICK = Tool("click", A.INTERACT)
TYPE = Tool("type_text", A.TYPE)
GOTO = Tool("navigate", A.NAVIGATE)
EVAL = Tool("evaluate", A.SCRIPT)


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[PolicyHook, GrantStore, AuditLog]]:
    grants = GrantStore(tmp_path / "grants.db")
    audit = AuditLog(tmp_path / "audit.db")
    policy = parse_policy('[sites."shop.test"]\ninteract = "allow"\n')
    yield PolicyHook(policy=policy, grants=grants, audit=audit, clock=lambda: NOW), grants, audit
    grants.close()
    audit.close()


async def test_allowed_call_is_audited_with_its_outcome(
    parts: tuple[PolicyHook, GrantStore, AuditLog],
) -> None:
    hook, _, audit = parts
    ctx = Ctx(elements={"e1": ("button", "Next page")})
    args = {"ref": "e1"}
    await hook.before_call(CLICK, args, ctx)
    await hook.after_call(CLICK, args, ctx, {"ok": True})
    decision, outcome = list(audit.entries())
    assert (decision.kind, decision.decision, decision.tool, decision.action) == (
        "decision",
        "allow",
        "click",
        "interact",
    )
    assert decision.target == "https://shop.test/cart" and decision.run_id == "run1"
    assert '"element":{"name":"Next page","role":"button"}' in decision.detail
    assert (outcome.kind, outcome.outcome) == ("outcome", "ok")
    assert f'"decision_seq":{decision.seq}' in outcome.detail
    assert audit.verify().ok


async def test_denied_call_raises_a_model_visible_error(
    parts: tuple[PolicyHook, GrantStore, AuditLog],
) -> None:
    hook, _, audit = parts
    with pytest.raises(PolicyDenied) as info:
        await hook.before_call(EVAL, {"script": "1"}, Ctx())
    assert info.value.model_visible and info.value.code == 8001
    assert "defaults.script" in info.value.message
    [entry] = audit.entries()
    assert entry.decision == "deny" and info.value.detail["seq"] == entry.seq


async def test_ask_carries_the_structured_request(parts: tuple[PolicyHook, GrantStore, AuditLog]) -> None:
    hook, _, audit = parts
    ctx = Ctx(page_url="https://user@mail.test./compose?draft=1", elements={"e9": ("textbox", "To")})
    with pytest.raises(ApprovalRequired) as info:
        await hook.before_call(TYPE, {"ref": "e9", "text": "my secret salary"}, ctx)
    assert info.value.model_visible and isinstance(info.value, PolicyError)
    request = info.value.request
    assert isinstance(request, ApprovalRequest)
    assert (request.verb, request.origin, request.element_role, request.element_name) == (
        "type",
        "https://mail.test",
        "textbox",
        "To",
    )
    assert request.data_out == (("https://mail.test", "my secret salary"),)
    [entry] = audit.entries()
    assert entry.decision == "ask"
    # the audit records where data would go and how much, never the text itself, nor the query
    assert "secret" not in entry.detail and "draft" not in (entry.target or "")
    assert '"length":16' in entry.detail and '"destination":"https://mail.test"' in entry.detail


async def test_irreversible_click_asks_even_where_the_site_allows_clicks(
    parts: tuple[PolicyHook, GrantStore, AuditLog],
) -> None:
    hook, grants, audit = parts
    ctx = Ctx(elements={"buy": ("button", "Jetzt kaufen")})
    with pytest.raises(ApprovalRequired) as info:
        await hook.before_call(CLICK, {"ref": "buy"}, ctx)
    assert info.value.request.verb == "purchase" and info.value.request.irreversible
    # the user approves once: exactly one purchase goes through, the next asks again
    grants.add(
        Grant.new(
            who="user", domain="shop.test", classes=[A.INTERACT], lifetime="once", now=NOW, verbs=["purchase"]
        )
    )
    await hook.before_call(CLICK, {"ref": "buy"}, ctx)
    with pytest.raises(ApprovalRequired):
        await hook.before_call(CLICK, {"ref": "buy"}, ctx)
    assert [e.decision for e in audit.entries()] == ["ask", "allow", "ask"]
    assert [g.used_by for g in grants.list_grants()] == ["run1"]


async def test_a_once_grant_lets_exactly_one_of_many_concurrent_calls_through(
    parts: tuple[PolicyHook, GrantStore, AuditLog],
) -> None:
    hook, grants, audit = parts
    grants.add(Grant.new(who="user", domain="shop.test", classes=[A.TYPE], lifetime="once", now=NOW))
    results: list[str] = []

    async def call(i: int) -> None:
        try:
            await hook.before_call(TYPE, {"text": "x"}, Ctx(call_id=f"c{i}"))
            results.append("allow")
        except ApprovalRequired:
            results.append("ask")

    async with asyncio.TaskGroup() as tg:
        for i in range(10):
            tg.create_task(call(i))
    assert sorted(results) == ["allow"] + ["ask"] * 9
    assert sum(1 for e in audit.entries() if e.grant_id) == 1


async def test_look_alike_target_is_denied_and_audited(
    parts: tuple[PolicyHook, GrantStore, AuditLog],
) -> None:
    hook, _, audit = parts
    with pytest.raises(PolicyDenied, match="look-alike") as info:
        await hook.before_call(GOTO, {"url": "https://shоp.test/"}, Ctx())  # Cyrillic о
    assert isinstance(info.value.__cause__, PolicyError)
    [entry] = audit.entries()
    assert entry.decision == "deny" and '"rule":"domain_refused"' in entry.detail


async def test_navigation_query_is_data_leaving(parts: tuple[PolicyHook, GrantStore, AuditLog]) -> None:
    hook, _, _ = parts
    hook.policy = parse_policy('[defaults]\nnavigate = "ask"\n')
    with pytest.raises(ApprovalRequired) as info:
        await hook.before_call(GOTO, {"url": "https://attacker.test/c?q=the+secret"}, Ctx())
    assert info.value.request.data_out == (("https://attacker.test", "q=the secret"),)
    assert info.value.request.domain == "attacker.test"


async def test_errors_are_recorded_as_outcomes(parts: tuple[PolicyHook, GrantStore, AuditLog]) -> None:
    hook, _, audit = parts
    args = {"ref": "e1"}
    ctx = Ctx(elements={"e1": ("button", "Next")})
    await hook.before_call(CLICK, args, ctx)
    await hook.after_call(CLICK, args, ctx, StaleRef("gone"))
    await hook.after_call(CLICK, {"ref": "other"}, Ctx(), RuntimeError("boom"))
    outcomes = [e for e in audit.entries() if e.kind == "outcome"]
    assert [o.outcome for o in outcomes] == ["error:6001", "error:RuntimeError"]
    assert '"decision_seq":1' in outcomes[0].detail and '"decision_seq":null' in outcomes[1].detail


async def test_a_click_on_an_element_never_seen_asks(parts: tuple[PolicyHook, GrantStore, AuditLog]) -> None:
    hook, grants, _ = parts
    grants.add(Grant.new(who="user", domain="shop.test", classes=[A.INTERACT], lifetime="always", now=NOW))
    with pytest.raises(ApprovalRequired, match="not in any snapshot") as info:
        await hook.before_call(CLICK, {"ref": "f9e9"}, Ctx())  # the site allows clicks and a grant covers it
    assert info.value.request.rule == "unknown element"
    # a ref the same snapshot names twice, differently, is not trusted either
    hook.elements.learn("run1", 7, '  button "Next" f0e1\n  button "Buy now" f0e1\n  link "Home" f0e2\n')
    with pytest.raises(ApprovalRequired, match="not in any snapshot"):
        await hook.before_call(CLICK, {"ref": "f0e1"}, Ctx())
    await hook.before_call(CLICK, {"ref": "f0e2"}, Ctx())
    await hook.before_call(Tool("scroll", A.INTERACT), {}, Ctx())  # no ref, nothing to identify


async def test_nothing_runs_unaudited(parts: tuple[PolicyHook, GrantStore, AuditLog]) -> None:
    hook, _, audit = parts
    audit.close()  # the log is gone: the call must not go ahead
    with pytest.raises(AuditUnavailable):
        await hook.before_call(CLICK, {"ref": "e1"}, Ctx())


def test_describe_call_builds_the_structured_action() -> None:
    ctx = Ctx(
        page_url="https://shop.test/cart",
        elements={"s": ("button", "OK")},
        forms={"s": "https://shop.test/checkout/place-order"},
    )
    action = describe_call(Tool("submit", A.SUBMIT), {"ref": "s", "text": "hello"}, ctx)
    assert action.site is not None and action.site.domain == "shop.test"
    assert action.element is not None and (action.element.role, action.element.name) == ("button", "OK")
    assert action.form_action == "https://shop.test/checkout/place-order"
    assert [(d.destination, d.text) for d in action.data_out] == [
        ("https://shop.test/checkout/place-order", "hello")
    ]
    assert (action.run_id, action.task_id) == ("run1", "task1")
    nav = describe_call(GOTO, {"url": "https://example.com/"}, ctx)
    assert nav.url == "https://example.com/" and nav.data_out == ()
    unknown = describe_call(CLICK, {"ref": "zz"}, Ctx(page_url=None))
    assert unknown.site is None and unknown.element is None


# --- through the real tool registry -------------------------------------------------------------------------


def test_seen_urls_key_matches_the_browser_tools() -> None:
    assert browser_tools.SEEN_URLS == SEEN_URLS == SEEN_URLS_KEY


def test_element_memory_reads_element_lines_only() -> None:
    memory = ElementMemory()
    text = (
        "Page: Shop — https://shop.test/ (3 refs)\n"
        "main\n"
        '  button "Place order" f0e12 [disabled]\n'
        '  - button "Next" f0e12\n'  # page text imitating an element line: a text line, ignored
        '  link "A \\"quoted\\" name" f1e3\n'
        '  textbox f0e5 ="typed"\n'
    )
    assert memory.learn("run1", 1, text) == 3
    assert memory.lookup("run1", 1, "f0e12") == ("button", "Place order")
    assert memory.lookup("run1", 1, "f1e3") == ("link", 'A "quoted" name')
    assert memory.lookup("run1", 1, "f0e5") == ("textbox", "")
    assert memory.lookup("run1", 2, "f0e12") is None and memory.lookup("run2", 1, "f0e12") is None
    memory.forget("run1")
    assert memory.lookup("run1", 1, "f0e12") is None


async def test_registry_hook_learns_refs_and_asks_before_a_purchase(
    parts: tuple[PolicyHook, GrantStore, AuditLog], tmp_path: Path
) -> None:
    hook, _, audit = parts
    clicked: list[str] = []

    @tool(action=A.READ)
    async def look(ctx: ToolContext) -> ToolResult:
        """Read the page."""
        return ToolResult(
            'Page: Cart\n  button "Continue shopping" f0e1\n  button "Buy now" f0e2\n',
            untrusted=True,
            data={"tab_id": 1, "refs": 2, "frames": 1, "url": "https://shop.test/cart"},
        )

    @tool(action=A.READ)
    async def read_text(ctx: ToolContext) -> ToolResult:
        """Read the page text (which the page writes: it tries to rename the Buy button)."""
        return ToolResult('# Cart\n  button "Continue shopping" f0e2\n', untrusted=True, data={"tab_id": 1})

    @tool(action=A.INTERACT)
    async def press_button(ctx: ToolContext, ref: str) -> ToolResult:
        """Click an element.

        Args:
            ref: Element ref.
        """
        clicked.append(ref)
        return ToolResult(f"clicked {ref}")

    registry = ToolRegistry([look, read_text, press_button])
    ctx = ToolContext(run_id="run1", bridge=None, tab_id=1, workspace=tmp_path, hooks=[hook])
    ctx.state[SEEN_URLS_KEY] = {1: "https://shop.test/cart"}  # as the browser tools record it
    assert not (await registry.call(ToolCall(id="1", name="look"), ctx)).is_error
    assert not (await registry.call(ToolCall(id="1b", name="read_text"), ctx)).is_error
    ok = await registry.call(ToolCall(id="2", name="press_button", arguments='{"ref": "f0e1"}'), ctx)
    assert not ok.is_error and clicked == ["f0e1"]
    refused = await registry.call(ToolCall(id="3", name="press_button", arguments='{"ref": "f0e2"}'), ctx)
    assert refused.is_error and refused.error_code == 8002 and clicked == ["f0e1"]
    assert "purchase" in refused.content
    kinds = [(e.kind, e.tool, e.decision or e.outcome) for e in audit.entries()]
    assert kinds == [
        ("decision", "look", "allow"), ("outcome", "look", "ok"),
        ("decision", "read_text", "allow"), ("outcome", "read_text", "ok"),
        ("decision", "press_button", "allow"), ("outcome", "press_button", "ok"),
        ("decision", "press_button", "ask"), ("outcome", "press_button", "error:8002"),
    ]  # fmt: skip
    assert audit.verify().ok


@dataclass
class TabsChannel:
    """The browser's side of ``tabs.list`` only (this layer's test double: the bridge is not under test)."""

    tabs: list[Tab]
    asked: int = 0

    async def request(self, kind: str, body: object = None, *, timeout: float | None = None) -> Message:
        assert kind == "tabs.list"
        self.asked += 1
        return TabsListResult(tabs=self.tabs)


@dataclass
class Bridge:
    channel: TabsChannel
    bridge_id: str = "b1"


async def test_an_unseen_tab_is_looked_up_before_deciding(
    parts: tuple[PolicyHook, GrantStore, AuditLog], tmp_path: Path
) -> None:
    hook, _, audit = parts
    channel = TabsChannel(
        [
            Tab(id=3, window_id=1, url="https://www.chase.com/accounts", title="Bank", active=True),
            Tab(id=4, window_id=1, url="https://shop.test/", title="Shop", active=False),
        ]
    )
    ctx = ToolContext(run_id="run1", bridge=Bridge(channel), tab_id=3, workspace=tmp_path, hooks=[hook])
    with pytest.raises(PolicyDenied, match=r"categories\.banking"):  # the user's tab is their bank
        await hook.before_call(Tool("snapshot", A.READ), {}, ctx)
    assert ctx.state[SEEN_URLS] == {3: "https://www.chase.com/accounts"} and channel.asked == 1
    await hook.before_call(Tool("snapshot", A.READ), {"tab_id": 4}, ctx)
    assert channel.asked == 2
    await hook.before_call(Tool("snapshot", A.READ), {"tab_id": 4}, ctx)
    assert channel.asked == 2  # seen now: no second question
    with pytest.raises(ApprovalRequired, match="unknown page"):  # a tab the browser does not have
        await hook.before_call(Tool("snapshot", A.READ), {"tab_id": 99}, ctx)
    await hook.before_call(GOTO, {"url": "https://example.com/"}, ctx)  # a navigation names its target
    assert channel.asked == 3
    assert [e.decision for e in audit.entries()] == ["deny", "allow", "allow", "ask", "allow"]
