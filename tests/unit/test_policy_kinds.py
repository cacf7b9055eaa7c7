"""The policy kinds (PROTOCOL.md §5.4) and the pure shaping in ``daemon/policy_api``: what the approval card,
the options page and the extension's re-check receive, built from the real policy, grant and request types."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from webbridge.daemon.policy_api import (
    check_answer,
    grant_info,
    pending_info,
    policy_summary,
    policy_version,
    request_info,
)
from webbridge.errors import ApprovalInvalid, InvalidMessage, UnknownKind
from webbridge.policy.actions import ActionClass
from webbridge.policy.approval import ApprovalRequest
from webbridge.policy.decide import decide
from webbridge.policy.grants import Grant, GrantStore
from webbridge.policy.proposed import DataOut, Element, ProposedAction
from webbridge.policy.rules import parse_policy
from webbridge.protocol import policy_kinds as pk
from webbridge.protocol.messages import CATALOGUE, body_of, parse_body

NOW = 1_700_000_000.0

_REQUEST: dict[str, Any] = {
    "tool": "page_click", "action": "submit", "verb": "purchase", "origin": "https://shop.example.com",
    "domain": "example.com", "element_role": "button", "element_name": "Buy now",
    "data_out": [{"destination": "https://shop.example.com", "preview": "card ending 4242"}],
    "reason": "irreversible", "rule": "irreversible", "irreversible": True,
    "flows": [{"source": "https://mail.example.org", "destination": "https://shop.example.com",
               "text": "4242"}],
    "once_only": True, "plan": None, "task_id": "r-1",
}
_GRANT: dict[str, Any] = {
    "grant_id": "g_0123456789abcdef", "who": "user:sidepanel", "domain": "example.com", "classes": ["submit"],
    "lifetime": "task", "created": 1_700_000_000_000, "expires": None, "task_id": "r-1", "schedule_id": None,
    "verbs": [], "used": False, "revoked": False, "active": True,
}
_ASKED = {"type": "approval.requested", "run_id": "r-1", "seq": 4, "time": 1_700_000_000_000,
          "approval_id": "a-1", "request": {"verb": "purchase"}, "expires": 1_700_000_300_000}
#: One valid body per policy kind, every field given (they round-trip exactly; test_messages uses them).
POLICY_VALID: dict[str, dict[str, Any]] = {
    "approvals.list": {},
    "approvals.list.result": {"approvals": [{"approval_id": "a-1", "run_id": "r-1", "request": _REQUEST,
                                             "created": 1_700_000_000_000, "expires": 1_700_000_300_000}]},
    "approval.answer": {"approval_id": "a-1", "allow": True, "lifetime": "once", "via": "notification"},
    "approval.answered": {"approval_id": "a-1", "allowed": True, "lifetime": "once"},
    "approvals.watch": {},
    "approvals.watching": {},
    "grants.list": {"include_inactive": True},
    "grants.list.result": {"grants": [_GRANT], "truncated": False},
    "grants.revoke": {"grant_id": "g_0123456789abcdef"},
    "grants.revoked": {"grant": {**_GRANT, "revoked": True, "active": False}},
    "policy.summary": {},
    "policy.summary.result": {
        "mode": "grants", "version": "0123456789abcdef", "source": "/home/u/.config/webbridge/policy.toml",
        "defaults": {"read": "allow", "script": "deny"},
        "sites": [{"pattern": "*.corp.example", "classes": {"read": "allow"}, "all": "deny"}],
        "deny_categories": [{"name": "banking", "patterns": ["*.bank", "paypal.com"], "classes": []}],
    },
    "approval.event": {"event": _ASKED},
    "policy.changed": {"version": "fedcba9876543210"},
}  # fmt: skip


def test_every_policy_kind_has_an_example_that_round_trips() -> None:
    kinds = {m.model_fields["kind"].default for pair in pk.REQUESTS for m in pair}
    kinds |= {m.model_fields["kind"].default for m in pk.EVENTS}
    assert set(POLICY_VALID) == kinds
    for kind, body in POLICY_VALID.items():
        assert body_of(parse_body(kind, body)) == body


def test_class_names_are_exactly_the_policy_action_classes() -> None:
    assert set(pk.CLASS_NAMES) == {c.value for c in ActionClass}


def test_every_policy_kind_is_catalogued_with_its_direction_and_reply() -> None:
    for request, reply in pk.REQUESTS:
        kind = request.model_fields["kind"].default
        info = CATALOGUE[kind]
        assert (info.role, info.direction, info.sealed, info.plain) == ("request", "e2d", True, False)
        assert info.reply == reply.model_fields["kind"].default
        assert CATALOGUE[info.reply].direction == "d2e"
    for event in pk.EVENTS:
        info = CATALOGUE[event.model_fields["kind"].default]
        assert (info.role, info.direction) == ("event", "d2e")


@pytest.mark.parametrize(
    ("kind", "body", "where"),
    [
        ("approval.answer", {"approval_id": "a1", "allow": "yes"}, "allow"),
        ("approval.answer", {"approval_id": "a1", "allow": True, "lifetime": "forever"}, "lifetime"),
        ("approval.answer", {"approval_id": "a 1", "allow": True}, "approval_id"),
        ("approval.answer", {"approval_id": "a1", "allow": True, "via": "model"}, "via"),
        ("approval.answer", {"approval_id": "a1", "allow": True, "grant": "all"}, "grant"),
        ("grants.revoke", {}, "grant_id"),
        ("grants.revoke", {"grant_id": "../g"}, "grant_id"),
        ("grants.list", {"include_inactive": 1}, "include_inactive"),
    ],
)
def test_bad_bodies_are_refused_naming_the_field(kind: str, body: dict[str, Any], where: str) -> None:
    with pytest.raises(InvalidMessage, match=where):
        parse_body(kind, body)


def test_an_answer_defaults_to_once_from_the_side_panel() -> None:
    msg = parse_body("approval.answer", {"approval_id": "a1", "allow": False})
    assert isinstance(msg, pk.ApprovalAnswer)
    assert (msg.lifetime, msg.via) == ("once", "sidepanel")


def test_an_unknown_policy_kind_is_refused() -> None:
    with pytest.raises(UnknownKind):
        parse_body("grants.add", {"domain": "shop.test"})


# --- requests the UI draws ------------------------------------------------------------------------------


def _request(role: str, name: str, *, url: str = "https://shop.example.com/cart", cls: ActionClass =
             ActionClass.SUBMIT, data_out: tuple[DataOut, ...] = ()) -> ApprovalRequest:  # fmt: skip
    action = ProposedAction(
        tool="page_click", action=cls, url=url, element=Element(role, name), ref="e7",
        run_id="r-1", task_id="t-1", session_id="s-1", data_out=data_out,
    )  # fmt: skip
    decision = decide(action, parse_policy(""), [], NOW)
    assert decision.outcome == "ask"
    return ApprovalRequest.build(action, decision)


def test_an_irreversible_request_reaches_the_card_with_its_verb_origin_and_element() -> None:
    info = request_info(_request("button", "Buy now").to_data())
    assert (info.verb, info.irreversible, info.action) == ("purchase", True, "submit")
    assert (info.origin, info.domain) == ("https://shop.example.com", "example.com")
    assert (info.element_role, info.element_name) == ("button", "Buy now")
    assert info.task_id == "t-1" and info.data_out == []


def test_data_that_would_leave_is_carried_with_its_destination_origin() -> None:
    leaving = DataOut(destination="https://evil.test/collect?q=1", text="sk-live-1234567890", source="https://a.test")
    request = _request("textbox", "Search", cls=ActionClass.TYPE, data_out=(leaving,))
    info = request_info(request.to_data())
    [out] = info.data_out
    assert out.destination == "https://evil.test"
    assert "sk-live" in out.preview


def test_request_fields_are_cut_to_their_limits_and_unknown_fields_ignored() -> None:
    data = _request("button", "Continue").to_data()
    data.update(element_name="x" * 5000, reason="r" * 5000, future_field={"a": 1},
                data_out=[["https://b.test", "p" * 9000]] * 40)  # fmt: skip
    info = request_info(data)
    assert len(info.element_name or "") == 200 and len(info.reason) == 1000
    assert len(info.data_out) == 32 and len(info.data_out[0].preview) == 2000


def test_a_request_with_an_unknown_action_class_is_never_drawn_half() -> None:
    data = _request("button", "Continue").to_data() | {"action": "teleport"}
    with pytest.raises(ValueError, match="teleport"):
        request_info(data)


class _Pending:
    def __init__(self, approval_id: str, request: ApprovalRequest) -> None:
        self.approval_id = approval_id
        self.run_id = "r-1"
        self.request = request.to_data()
        self.created_ms = 1000
        self.expires_ms = 301_000


def test_a_pending_approval_becomes_its_wire_form_and_validates_as_a_reply() -> None:
    info = pending_info(_Pending("a-1", _request("button", "Buy now")))
    reply = pk.ApprovalsListResult(approvals=[info])
    assert parse_body("approvals.list.result", reply.model_dump(exclude={"kind"})) == reply
    assert (info.created, info.expires) == (1000, 301_000)


def test_lasting_answers_are_refused_for_irreversible_actions_and_data_flows() -> None:
    buy = _Pending("a-buy", _request("button", "Buy now"))
    leaving = DataOut(destination="https://evil.test/?q=x", text="secret-token-123", source="https://a.test")
    flow = _Pending("a-flow", _request("textbox", "Search", cls=ActionClass.TYPE, data_out=(leaving,)))
    plain = _Pending("a-plain", _request("button", "Continue"))
    pending = [buy, flow, plain]
    for approval_id in ("a-buy", "a-flow"):
        for lifetime in ("task", "session", "always"):
            with pytest.raises(ApprovalInvalid):
                answer = pk.ApprovalAnswer(approval_id=approval_id, allow=True, lifetime=lifetime)
                check_answer(pending, answer)
        check_answer(pending, pk.ApprovalAnswer(approval_id=approval_id, allow=True, lifetime="once"))
        check_answer(pending, pk.ApprovalAnswer(approval_id=approval_id, allow=False, lifetime="always"))
    check_answer(pending, pk.ApprovalAnswer(approval_id="a-plain", allow=True, lifetime="always"))
    # An id that is not pending is the broker's to judge (answered already, or unknown).
    check_answer(pending, pk.ApprovalAnswer(approval_id="a-gone", allow=True, lifetime="always"))


# --- grants ---------------------------------------------------------------------------------------------


def test_grants_from_the_real_store_list_with_their_state(tmp_path: Path) -> None:
    store = GrantStore(tmp_path / "grants.db")
    try:
        task = store.add(Grant.new(who="sidepanel", domain="shop.example.com", classes=["submit", "interact"],
                                   lifetime="task", now=NOW, task_id="t-1"))  # fmt: skip
        once = store.add(Grant.new(who="sidepanel", domain="shop.example.com", classes=["submit"],
                                   lifetime="once", now=NOW, verbs=["purchase"]))  # fmt: skip
        store.consume(once.id, NOW + 1)
        rows = {g.id: grant_info(g, NOW + 2) for g in store.list_grants()}
    finally:
        store.close()
    t = rows[task.id]
    assert (t.domain, t.classes, t.lifetime, t.task_id, t.active) == (
        "shop.example.com", ["interact", "submit"], "task", "t-1", True)
    assert t.created == int(NOW * 1000)
    o = rows[once.id]
    assert (o.used, o.active, o.verbs) == (True, False, ["purchase"])
    reply = pk.GrantsListResult(grants=list(rows.values()))
    assert parse_body("grants.list.result", reply.model_dump(exclude={"kind"})) == reply


# --- the summary the extension re-checks against ----------------------------------------------------------

POLICY = """
mode = "ask"
[sites."paypal.com"]
read = "allow"
[sites."*.corp.example"]
all = "deny"
read = "allow"
[categories.gambling]
decision = "deny"
domains = ["casino.example", "*.bet"]
classes = ["submit", "type"]
[categories.news]
decision = "ask"
domains = ["news.example"]
"""


def test_the_summary_carries_site_rules_and_only_the_denying_categories() -> None:
    policy = parse_policy(POLICY, "policy.toml")
    summary = policy_summary(policy)
    assert summary.mode == "ask" and summary.source == "policy.toml"
    assert summary.defaults["script"] == "deny" and summary.defaults["read"] == "allow"
    sites = {s.pattern: s for s in summary.sites}
    assert sites["*.corp.example"].all == "deny" and sites["*.corp.example"].classes == {"read": "allow"}
    assert sites["paypal.com"].classes == {"read": "allow"} and sites["paypal.com"].all is None
    cats = {c.name: c for c in summary.deny_categories}
    assert "news" not in cats, "an ask category cannot make the extension refuse"
    assert cats["gambling"].patterns == ["casino.example", "*.bet"]
    assert cats["gambling"].classes == ["submit", "type"]
    assert cats["banking"].classes == [] and "paypal.com" in cats["banking"].patterns
    # It travels: the reply validates on the way in.
    assert parse_body("policy.summary.result", summary.model_dump(exclude={"kind"})) == summary


def test_the_version_follows_the_policy_and_only_the_policy() -> None:
    a = parse_policy(POLICY, "a.toml")
    assert policy_version(a) == policy_version(parse_policy(POLICY, "b.toml"))
    changed = parse_policy(POLICY.replace('mode = "ask"', 'mode = "grants"'), "a.toml")
    assert policy_version(changed) != policy_version(a)
    assert len(policy_version(a)) == 16


def test_grant_times_are_milliseconds_and_a_fresh_grant_is_active() -> None:
    now = time.time()
    grant = Grant.new(who="notification", domain="shop.example.com", classes=["type"], lifetime="always",
                      now=now, expires=now + 60)  # fmt: skip
    info = grant_info(grant, now)
    assert info.active and info.expires == int((now + 60) * 1000) and not info.revoked


def test_the_recorded_approval_events_for_the_extension_tests_are_current() -> None:
    import importlib.util

    path = Path(__file__).parents[1] / "vectors" / "approval_events.py"
    spec = importlib.util.spec_from_file_location("approval_events", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "stale: run python tests/vectors/approval_events.py"
    # Every event is one the daemon would send on the wire (approval.event carries it).
    for event in module.build():
        if event["type"].startswith("approval.") or event["type"] == "run.finished":
            parse_body("approval.event", {"event": event})
