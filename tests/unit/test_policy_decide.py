"""decide(): the order of rules, categories, irreversible verbs, grants and modes — pure and deterministic."""

from __future__ import annotations

from dataclasses import replace

import pytest

from webbridge.errors import DomainRefused
from webbridge.policy.actions import ActionClass
from webbridge.policy.approval import ApprovalRequest
from webbridge.policy.decide import decide
from webbridge.policy.grants import Grant
from webbridge.policy.proposed import DataOut, Element, ProposedAction
from webbridge.policy.rules import Policy, parse_policy

A = ActionClass
NOW = 1_000_000.0

POLICY = parse_policy(
    '[sites."github.com"]\n'
    'all = "allow"\n'
    'script = "deny"\n'
    '[sites."shop.test"]\n'
    'interact = "allow"\n'
    'submit = "allow"\n'
    '[sites."bank.com"]\n'
    'read = "allow"\n'
    '[sites."blocked.test"]\n'
    'all = "deny"\n',
    "policy.toml",
)


def act(cls: ActionClass, url: str | None = "https://example.com/", **kw: object) -> ProposedAction:
    return ProposedAction(tool="t", action=cls, url=url, run_id="r1", task_id="task1", session_id="s1", **kw)  # type: ignore[arg-type]


def grant(domain: str | None, *classes: ActionClass, lifetime: str = "always", **kw: object) -> Grant:
    return Grant.new(
        who="user",
        domain=domain,
        classes=classes,
        lifetime=lifetime,  # type: ignore[arg-type]
        now=NOW - 10,
        **kw,
    )  # type: ignore[arg-type]


def test_defaults_apply_without_rules() -> None:
    d = decide(act(A.READ), POLICY, [], NOW)
    assert (d.outcome, d.rule) == ("allow", "defaults.read")
    d = decide(act(A.INTERACT), POLICY, [], NOW)
    assert (d.outcome, d.rule) == ("ask", "defaults.interact")
    d = decide(act(A.SCRIPT), POLICY, [], NOW)
    assert (d.outcome, d.rule) == ("deny", "defaults.script")


def test_site_rule_names_file_and_line() -> None:
    d = decide(act(A.TYPE, "https://gist.github.com/new"), POLICY, [], NOW)
    assert d.outcome == "allow"
    assert d.rule == 'sites."github.com".all (policy.toml:1)'
    d = decide(act(A.SCRIPT, "https://github.com/"), POLICY, [], NOW)
    assert (d.outcome, d.rule) == ("deny", 'sites."github.com".script (policy.toml:1)')


def test_w13_tricks_decide_on_the_real_site() -> None:
    # a rule for github.com does not reach look-alike and suffix tricks
    for url in [
        "https://github.com.evil.test/",
        "https://github.com@evil.test/",
        "https://evil.test/github.com",
    ]:
        d = decide(act(A.TYPE, url), POLICY, [], NOW)
        assert (d.outcome, d.rule) == ("ask", "defaults.type"), url
    with pytest.raises(DomainRefused):
        act(A.TYPE, "https://gіthub.com/")  # Cyrillic і


def test_category_blocks_unless_a_site_rule_says_otherwise() -> None:
    d = decide(act(A.READ, "https://www.chase.com/"), POLICY, [], NOW)
    assert d.outcome == "deny" and d.rule.startswith("categories.banking (")
    d = decide(act(A.READ, "https://mail.google.com/"), POLICY, [], NOW)
    assert d.outcome == "ask" and d.rule.startswith("categories.email")


def test_deny_is_final_whatever_the_grants() -> None:
    grants = [grant("blocked.test", *ActionClass), grant("github.com", A.SCRIPT, lifetime="once")]
    assert decide(act(A.READ, "https://blocked.test/"), POLICY, grants, NOW).outcome == "deny"
    assert decide(act(A.SCRIPT, "https://github.com/"), POLICY, grants, NOW).outcome == "deny"
    assert (
        decide(act(A.READ, "https://chase.com/"), POLICY, [grant("chase.com", A.READ)], NOW).outcome == "deny"
    )


@pytest.mark.parametrize("mode", ["ask", "grants"])
def test_irreversible_always_asks_whatever_rule_grant_or_mode(mode: str) -> None:
    policy = parse_policy(f'mode = "{mode}"\n[sites."shop.test"]\nall = "allow"\n')
    lasting = [
        grant("shop.test", A.INTERACT, A.SUBMIT),
        grant("shop.test", A.INTERACT, lifetime="task", task_id="task1"),
    ]
    buy = act(A.INTERACT, "https://shop.test/cart", element=Element("button", "Place order"))
    d = decide(buy, policy, lasting, NOW)
    assert d.outcome == "ask" and d.rule == "irreversible"
    assert d.irreversible is not None and d.irreversible.verb == "purchase"
    submit = act(A.SUBMIT, "https://shop.test/cart", form_action="https://shop.test/checkout/place-order")
    assert decide(submit, policy, lasting, NOW).outcome == "ask"
    download = act(A.DOWNLOAD, "https://shop.test/invoice.pdf")
    assert decide(download, policy, lasting, NOW).irreversible is not None


def test_a_once_grant_naming_the_verb_approves_one_irreversible_action() -> None:
    buy = act(A.INTERACT, "https://shop.test/cart", element=Element("button", "Buy now"))
    wrong_verb = grant("shop.test", A.INTERACT, lifetime="once", verbs=["delete"])
    wrong_site = grant("other.test", A.INTERACT, lifetime="once", verbs=["purchase"])
    assert decide(buy, POLICY, [wrong_verb, wrong_site], NOW).outcome == "ask"
    right = grant("shop.test", A.INTERACT, lifetime="once", verbs=["purchase"])
    d = decide(buy, POLICY, [wrong_verb, right], NOW)
    assert d.outcome == "allow" and d.grant == right and d.irreversible is not None
    # a verb approval is not a general grant: an ordinary click does not spend it
    plain = act(A.TYPE, "https://shop.test/cart")
    assert decide(plain, POLICY, [right], NOW).outcome == "ask"


def test_grants_turn_ask_into_allow_within_their_scope() -> None:
    typing = act(A.TYPE, "https://docs.example.com/")
    assert decide(typing, POLICY, [], NOW).outcome == "ask"
    g = grant("example.com", A.TYPE)
    d = decide(typing, POLICY, [g], NOW)
    assert d.outcome == "allow" and d.grant == g and d.rule.startswith(f"grant {g.id}")
    # another class, another site, expired, revoked, used: no
    assert decide(act(A.SUBMIT, "https://docs.example.com/"), POLICY, [g], NOW).outcome == "ask"
    assert decide(act(A.TYPE, "https://example.org/"), POLICY, [g], NOW).outcome == "ask"
    expired = grant("example.com", A.TYPE, expires=NOW - 1)
    assert decide(typing, POLICY, [expired], NOW).outcome == "ask"
    assert decide(typing, POLICY, [replace(g, revoked_at=NOW - 1)], NOW).outcome == "ask"
    assert decide(typing, POLICY, [replace(g, used_at=NOW - 1)], NOW).outcome == "ask"


def test_lifetimes_scope_grants() -> None:
    typing = act(A.TYPE, "https://example.com/")
    task = grant("example.com", A.TYPE, lifetime="task", task_id="task1")
    other_task = grant("example.com", A.TYPE, lifetime="task", task_id="task2")
    session = grant("example.com", A.TYPE, lifetime="session", session_id="s1")
    old_session = grant("example.com", A.TYPE, lifetime="session", session_id="s0")
    assert decide(typing, POLICY, [task], NOW).grant == task
    assert decide(typing, POLICY, [other_task], NOW).outcome == "ask"
    assert decide(typing, POLICY, [session], NOW).grant == session
    assert decide(typing, POLICY, [old_session], NOW).outcome == "ask"


def test_lasting_grants_are_preferred_over_once_grants() -> None:
    typing = act(A.TYPE, "https://example.com/")
    once = grant("example.com", A.TYPE, lifetime="once")
    always = grant("example.com", A.TYPE)
    assert decide(typing, POLICY, [once, always], NOW).grant == always
    assert decide(typing, POLICY, [once], NOW).grant == once


def test_rule_allow_spends_no_grant_in_grants_mode() -> None:
    once = grant("github.com", A.TYPE, lifetime="once")
    d = decide(act(A.TYPE, "https://github.com/"), POLICY, [once], NOW)
    assert d.outcome == "allow" and d.grant is None


def test_scheduled_grants_cover_only_their_schedule() -> None:
    g = grant("example.com", A.TYPE, schedule_id="sched1")
    assert decide(act(A.TYPE, schedule_id="sched1"), POLICY, [g], NOW).grant == g
    assert decide(act(A.TYPE, schedule_id="sched2"), POLICY, [g], NOW).outcome == "ask"
    assert decide(act(A.TYPE), POLICY, [g], NOW).outcome == "ask"


def test_ask_mode_asks_outside_the_plan() -> None:
    policy = parse_policy('mode = "ask"\n[sites."github.com"]\nall = "allow"\n')
    assert decide(act(A.READ, "https://github.com/"), policy, [], NOW).outcome == "allow"
    d = decide(act(A.INTERACT, "https://github.com/"), policy, [], NOW)
    assert (d.outcome, d.rule) == ("ask", "mode ask")
    d = decide(act(A.NAVIGATE, "https://github.com/"), policy, [], NOW)
    assert d.outcome == "ask"
    plan = [grant("github.com", A.INTERACT, A.NAVIGATE, lifetime="task", task_id="task1")]
    assert decide(act(A.INTERACT, "https://github.com/"), policy, plan, NOW).outcome == "allow"
    assert decide(act(A.TYPE, "https://github.com/"), policy, plan, NOW).outcome == "ask"


def test_local_actions_have_no_site() -> None:
    d = decide(act(A.FILE_READ, None), POLICY, [], NOW)
    assert (d.outcome, d.rule) == ("ask", "defaults.file_read")
    local = grant(None, A.FILE_READ)
    assert decide(act(A.FILE_READ, None), POLICY, [local], NOW).grant == local
    assert decide(act(A.NONE, None), POLICY, [], NOW).outcome == "allow"
    with pytest.raises(ValueError, match="needs a domain"):
        grant(None, A.TYPE)


def test_web_action_without_a_known_page_asks() -> None:
    d = decide(act(A.INTERACT, None), POLICY, [grant("example.com", A.INTERACT)], NOW)
    assert (d.outcome, d.rule) == ("ask", "no target site")


def test_decide_is_deterministic_and_pure() -> None:
    grants = [grant("example.com", A.TYPE, lifetime="once")]
    action = act(A.TYPE)
    first = decide(action, POLICY, grants, NOW)
    assert all(decide(action, POLICY, grants, NOW) == first for _ in range(20))
    assert grants[0].used_at is None


def test_approval_request_is_built_from_the_structured_action() -> None:
    action = act(
        A.SUBMIT,
        "https://user@shop.test./cart?session=1",
        element=Element("button", "Place order", "e12"),
        data_out=(DataOut("4111 1111 1111 1111", "https://shop.test/pay"),),
    )
    decision = decide(action, POLICY, [], NOW)
    request = ApprovalRequest.build(action, decision)
    assert request.verb == "purchase" and request.irreversible
    assert request.origin == "https://shop.test" and request.domain == "shop.test"
    assert (request.element_role, request.element_name) == ("button", "Place order")
    assert request.data_out == (("https://shop.test", "4111 1111 1111 1111"),)
    assert request.to_data()["data_out"] == [["https://shop.test", "4111 1111 1111 1111"]]
    plain = ApprovalRequest.build(act(A.TYPE), decide(act(A.TYPE), POLICY, [], NOW))
    assert plain.verb == "type" and not plain.irreversible


def test_policy_is_immutable_data() -> None:
    assert isinstance(POLICY, Policy)
    with pytest.raises(AttributeError):
        POLICY.mode = "ask"  # type: ignore[misc]


def test_a_ref_without_a_known_element_asks_for_clicks_and_submits_only() -> None:
    for cls in (A.INTERACT, A.SUBMIT):
        d = decide(act(cls, "https://github.com/", ref="f0e3"), POLICY, [grant("github.com", cls)], NOW)
        assert (d.outcome, d.rule) == ("ask", "unknown element")
    d = decide(act(A.TYPE, "https://github.com/", ref="f0e3"), POLICY, [], NOW)
    assert d.outcome == "allow"  # typing fills a field: the data-out check, not the element, matters
    known = act(A.INTERACT, "https://github.com/", ref="f0e3", element=Element("button", "Star"))
    assert decide(known, POLICY, [], NOW).outcome == "allow"
