"""The compromised-model suite's findings, closed in the policy layer (issue 5):

- W8: a form on a granted site that posts to another site — the hook asks the browser what the ref really
  is (``page.describe``) and decides on the form's real destination and the data in it;
- W6: the element a call was decided on is left for the act (``expect_role``/``expect_name``);
- one prompt per download: the click that starts it asks, the ``download_wait`` that reports it does not;
- a reloaded policy file is announced.

Real grant store and audit log (SQLite in tmp), the real registry's ToolContext and the real hook; the
browser's side of ``page.describe`` is this layer's test double (the bridge is not under test here).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from webbridge.daemon import policy_control
from webbridge.errors import ApprovalRequired, InvalidMessage, PolicyDenied, RunError, StaleRef
from webbridge.paths import resolve
from webbridge.policy.actions import ActionClass
from webbridge.policy.approved_downloads import MAX_PER_RUN, ApprovedDownloads
from webbridge.policy.audit import AuditLog
from webbridge.policy.decide import decide
from webbridge.policy.grants import Grant, GrantStore
from webbridge.policy.hook import SEEN_URLS, PolicyHook, describe_call
from webbridge.policy.locations import policy_file
from webbridge.policy.page_elements import EXPECTED_ELEMENTS
from webbridge.policy.proposed import Element, ProposedAction
from webbridge.policy.rules import Policy, parse_policy
from webbridge.policy.runtime import PolicyRuntime
from webbridge.protocol.browser_kinds import Described
from webbridge.protocol.fields import Message
from webbridge.tools.registry import ToolContext

A = ActionClass
NOW = 1_700_000_000.0
SHOP = "https://shop.test"
SECRET = "sk-live-4f9a8b7c6d5e4f3a"
SNAPSHOT = (
    '- Tell us\n  textbox "Feedback" f0e2\n  button "OK" f0e3\n  button "Download report" f0e4\n'
    '  textbox "Full name" f0e5\n  button "Submit" f0e6\n'
)
FEEDBACK = {"action": "https://attacker.test/collect", "method": "post"}
SAME_SITE = {"action": f"{SHOP}/forms/submit", "method": "post"}


@dataclass(frozen=True)
class Tool:
    name: str
    action: ActionClass


CLICK = Tool("click", A.INTERACT)
TYPE = Tool("type_text", A.TYPE)
PRESS = Tool("press_key", A.SUBMIT)
WAIT = Tool("download_wait", A.DOWNLOAD)


@dataclass
class DescribeChannel:
    """The browser's answer to ``page.describe``: what each ref is on the live page."""

    live: dict[str, dict[str, Any]]
    asked: list[str] = field(default_factory=list)

    async def request(self, kind: str, body: Any = None, *, timeout: float | None = None) -> Message:
        assert kind == "page.describe"
        self.asked.append(body.ref)
        found = self.live.get(body.ref)
        if found is None:
            raise StaleRef(f"stale ref {body.ref}")
        return Described(**found)


@dataclass
class Bridge:
    channel: DescribeChannel
    bridge_id: str = "b1"


def element(role: str, name: str, form: dict[str, str] | None = None, *, submits: bool = False,
            fields: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"role": role, "name": name, "frame_url": f"{SHOP}/shop/feedback",
                           "submits": submits, "fields": fields or []}
    if form is not None:
        out |= {"form_action": form["action"], "form_method": form["method"]}
    return out


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[GrantStore, AuditLog]]:
    grants = GrantStore(tmp_path / "grants.db")
    audit = AuditLog(tmp_path / "audit.db")
    # the user's sensible standing grants: click, type and submit on the shop
    grants.add(Grant.new(who="user", domain="shop.test", classes=(A.INTERACT, A.TYPE, A.SUBMIT),
                         lifetime="always", now=NOW - 10))
    yield grants, audit
    grants.close()
    audit.close()


def make(store: tuple[GrantStore, AuditLog], policy: Policy | None = None) -> PolicyHook:
    grants, audit = store
    return PolicyHook(policy=policy or parse_policy(""), grants=grants, audit=audit, clock=lambda: NOW)


def context(tmp_path: Path, live: dict[str, dict[str, Any]], hook: PolicyHook) -> ToolContext:
    ctx = ToolContext(run_id="run1", bridge=Bridge(DescribeChannel(live)), tab_id=7, workspace=tmp_path,
                      hooks=[hook])
    ctx.state[SEEN_URLS] = {7: f"{SHOP}/shop/feedback"}
    hook.elements.learn("run1", 7, SNAPSHOT)
    hook.flows.record("run1", f"{SHOP}/shop/account", f"API token: {SECRET}")
    return ctx


# --- W8: the form's real destination ------------------------------------------------------------------------


async def test_typing_a_secret_into_a_field_whose_form_posts_elsewhere_asks(
    store: tuple[GrantStore, AuditLog], tmp_path: Path
) -> None:
    hook = make(store)
    ctx = context(tmp_path, {"f0e2": element("textbox", "Feedback", FEEDBACK)}, hook)
    with pytest.raises(ApprovalRequired) as info:
        await hook.before_call(TYPE, {"ref": "f0e2", "text": SECRET}, ctx)
    request = info.value.request
    assert info.value.request.rule == "data flow"
    assert request.flows and request.flows[0][0] == SHOP and request.flows[0][1] == "https://attacker.test"
    assert ctx.bridge.channel.asked == ["f0e2"]  # type: ignore[union-attr]
    # text the user's own task holds, or that was read nowhere else, stays on the granted site
    await hook.before_call(TYPE, {"ref": "f0e2", "text": "great coffee"}, ctx)


async def test_a_click_that_submits_a_form_to_another_site_is_decided_there(
    store: tuple[GrantStore, AuditLog], tmp_path: Path
) -> None:
    hook = make(store)
    ctx = context(tmp_path, {"f0e3": element("button", "OK", FEEDBACK, submits=True)}, hook)
    with pytest.raises(ApprovalRequired) as info:  # "OK" is no verb, interact is granted: the form is not
        await hook.before_call(CLICK, {"ref": "f0e3"}, ctx)
    request = info.value.request
    assert request.rule == "defaults.submit" and "the form sends to attacker.test" in request.reason
    # with the secret in the form's fields it is a data flow, which no grant answers
    ctx.bridge.channel.live["f0e3"]["fields"] = [SECRET]  # type: ignore[union-attr]
    with pytest.raises(ApprovalRequired) as flow:
        await hook.before_call(CLICK, {"ref": "f0e3"}, ctx)
    assert flow.value.request.rule == "data flow"
    entries = [e for e in store[1].entries() if e.kind == "decision"]
    assert all(e.decision == "ask" for e in entries) and '"form_action":"/collect"' in entries[-1].detail


async def test_a_denied_destination_is_final_and_enter_in_a_field_counts_as_a_submit(
    store: tuple[GrantStore, AuditLog], tmp_path: Path
) -> None:
    hook = make(store, parse_policy('[sites."attacker.test"]\nall = "deny"\n'))
    ctx = context(tmp_path, {"f0e2": element("textbox", "Feedback", FEEDBACK, submits=True)}, hook)
    with pytest.raises(PolicyDenied, match=r"the form sends to attacker\.test"):
        await hook.before_call(PRESS, {"ref": "f0e2", "keys": "Enter"}, ctx)


async def test_a_same_site_form_stays_granted_and_the_element_is_left_for_the_act(
    store: tuple[GrantStore, AuditLog], tmp_path: Path
) -> None:
    hook = make(store)
    live = {
        "f0e5": element("textbox", "Full name", SAME_SITE, submits=True),
        "f0e6": element("button", "Submit", SAME_SITE, submits=True, fields=["Ada Lovelace", SECRET]),
    }
    ctx = context(tmp_path, live, hook)
    await hook.before_call(TYPE, {"ref": "f0e5", "text": "Ada Lovelace"}, ctx)
    await hook.before_call(CLICK, {"ref": "f0e6"}, ctx)  # the shop's own secret going back to the shop
    assert ctx.state[EXPECTED_ELEMENTS] == {  # keyed by the canonical ref (f0e5 is e5)
        (7, "e5"): ("textbox", "Full name"),
        (7, "e6"): ("button", "Submit"),
    }
    assert all(e.decision == "allow" for e in store[1].entries())


async def test_a_ref_the_browser_cannot_describe_is_decided_as_before(
    store: tuple[GrantStore, AuditLog], tmp_path: Path
) -> None:
    hook = make(store)
    ctx = context(tmp_path, {}, hook)  # stale on the live page: the act itself will fail with 6001
    await hook.before_call(CLICK, {"ref": "f0e3"}, ctx)
    assert ctx.bridge.channel.asked == ["f0e3"]  # type: ignore[union-attr]
    with pytest.raises(PolicyDenied):  # a denial leaves nothing for the act
        await make(store, parse_policy('[sites."shop.test"]\ninteract = "deny"\n')).before_call(
            CLICK, {"ref": "f0e2"}, ctx)
    assert ctx.state[EXPECTED_ELEMENTS] == {(7, "e3"): ("button", "OK")}


def test_describe_call_takes_the_form_from_the_live_element_only_when_it_sends() -> None:
    @dataclass
    class Ctx:
        run_id: str = "r"
        tab_id: int | None = 1
        page_url: str | None = f"{SHOP}/shop/feedback"

    live = Described(**element("checkbox", "Subscribe", FEEDBACK, fields=[SECRET]))
    checkbox = describe_call(CLICK, {"ref": "f0e9"}, Ctx(), live=live)
    assert checkbox.form_action is None and checkbox.data_out == ()  # toggling a box sends nothing
    typed = describe_call(TYPE, {"ref": "f0e2", "text": "hi"}, Ctx(), live=live)
    assert typed.form_action == FEEDBACK["action"] and typed.data_out[0].destination == FEEDBACK["action"]
    assert not typed.sends_elsewhere  # typing does not submit; its data is checked where it would go
    button = Described(**element("button", "OK", FEEDBACK, submits=True, fields=[SECRET, ""]))
    clicked = describe_call(CLICK, {"ref": "f0e3"}, Ctx(), live=button)
    assert clicked.sends_elsewhere and [d.text for d in clicked.data_out] == [SECRET]


# --- decide ---------------------------------------------------------------------------------------------


def test_cross_site_submit_takes_the_stricter_of_the_two_sites() -> None:
    policy = parse_policy('[sites."partner.test"]\nsubmit = "allow"\n[sites."blocked.test"]\nall = "deny"\n')
    grants = [Grant.new(who="user", domain="shop.test", classes=(A.INTERACT,), lifetime="always", now=NOW)]

    def click(form: str) -> ProposedAction:
        return ProposedAction(tool="click", action=A.INTERACT, url=f"{SHOP}/p", ref="f0e1",
                              element=Element("button", "OK", "f0e1"), form_action=form, run_id="r")

    assert decide(click(f"{SHOP}/save"), policy, grants, NOW).outcome == "allow"
    assert decide(click("https://www.partner.test/in"), policy, grants, NOW).outcome == "allow"
    assert decide(click("https://blocked.test/x"), policy, grants, NOW).outcome == "deny"
    asked = decide(click("https://attacker.test/buy-now"), policy, grants, NOW)
    assert asked.outcome == "ask" and asked.irreversible is not None  # its path says purchase


def test_an_approved_download_is_reported_without_asking_but_deny_stays_final() -> None:
    policy = parse_policy('[sites."blocked.test"]\nall = "deny"\n')
    report = ProposedAction(tool="download_wait", action=A.DOWNLOAD, url=f"{SHOP}/downloads", run_id="r",
                            approved_download='button "Download report"')
    d = decide(report, policy, [], NOW)
    assert d.outcome == "allow" and d.rule == "approved download"
    blocked = ProposedAction(tool="download_wait", action=A.DOWNLOAD, url="https://blocked.test/", run_id="r",
                             approved_download="x")
    assert decide(blocked, policy, [], NOW).outcome == "deny"
    unapproved = ProposedAction(tool="download_wait", action=A.DOWNLOAD, url=f"{SHOP}/downloads", run_id="r")
    assert decide(unapproved, policy, [], NOW).outcome == "ask"  # W11: a download always asks once


# --- one prompt per download ---------------------------------------------------------------------------


async def test_the_click_that_starts_a_download_is_the_one_decision(
    store: tuple[GrantStore, AuditLog], tmp_path: Path
) -> None:
    grants, audit = store
    hook = make(store)
    ctx = context(tmp_path, {"f0e4": element("link", "Download report")}, hook)
    ctx.state[SEEN_URLS][7] = f"{SHOP}/downloads"
    with pytest.raises(ApprovalRequired):  # nothing approved yet: the report asks (W11)
        await hook.before_call(WAIT, {"filename": "report"}, ctx)
    # the user approves this one download (the broker stores a once grant naming the verb)
    grants.add(Grant.new(who="user", domain="shop.test", classes=(A.INTERACT,), lifetime="once",
                         verbs=["download"], now=NOW - 1))
    await hook.before_call(CLICK, {"ref": "f0e4"}, ctx)
    await hook.before_call(WAIT, {"filename": "report"}, ctx)
    decision = [e for e in audit.entries() if e.kind == "decision"][-1]
    assert decision.decision == "allow" and "approved download" in decision.detail
    with pytest.raises(ApprovalRequired):  # one approved download answers one report
        await hook.before_call(WAIT, {"filename": "report"}, ctx)


def test_approved_downloads_are_per_run_and_site_and_bounded() -> None:
    records = ApprovedDownloads()
    records.add("r1", "shop.test", "a")
    records.add("r1", "other.test", "b")
    assert records.take("r2", "shop.test") is None
    assert records.take("r1", "elsewhere.test") is None
    assert records.take("r1", "other.test") == "b"
    assert records.take("r1", None) == "a" and records.take("r1", None) is None
    for i in range(MAX_PER_RUN + 3):
        records.add("r1", "shop.test", str(i))
    assert records.take("r1", "shop.test") == "3"  # the oldest were dropped
    records.forget("r1")
    assert records.take("r1", None) is None


# --- a reloaded policy is announced ----------------------------------------------------------------------


async def test_a_changed_policy_file_is_announced_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = resolve({"WEBBRIDGE_HOME": str(tmp_path / "wb")})
    path = policy_file(paths)
    path.parent.mkdir(parents=True)
    path.write_text('mode = "grants"\n')
    runtime = PolicyRuntime.open(paths, session_id="s1")
    announced: list[str] = []

    async def announce(policy: Policy) -> None:
        announced.append(policy.mode)
        if policy.mode == "grants":
            raise ConnectionError("the browser went away")

    runtime.on_change = announce
    try:
        assert await runtime.refresh_and_announce() is False and announced == []
        path.write_text('mode = "ask"\n# changed\n')
        assert await runtime.refresh_and_announce() is True and announced == ["ask"]
        assert await runtime.refresh_and_announce() is False and announced == ["ask"]
        path.write_text('mode = "grants"\n')
        with caplog.at_level(logging.ERROR, "webbridge.policy.runtime"):
            assert await runtime.refresh_and_announce() is True  # announced or not, it is in force
        assert runtime.policy.mode == "grants" and "could not announce" in caplog.text
    finally:
        runtime.close()


async def test_the_reload_op_refuses_arguments_and_a_daemon_without_policy(tmp_path: Path) -> None:
    @dataclass
    class State:
        policy: PolicyRuntime | None = None

    state = State()
    reload = policy_control.ops(state)["policy.reload"]  # type: ignore[arg-type]
    with pytest.raises(RunError, match="not loaded"):
        await reload({})
    paths = resolve({"WEBBRIDGE_HOME": str(tmp_path / "wb")})
    state.policy = PolicyRuntime.open(paths, session_id="s1")
    try:
        with pytest.raises(InvalidMessage, match="no arguments"):
            await reload({"force": True})
        assert await reload({}) == {"changed": False, "mode": "grants"}
        policy_file(paths).parent.mkdir(parents=True, exist_ok=True)
        policy_file(paths).write_text('mode = "ask"\n')
        assert await reload({}) == {"changed": True, "mode": "ask"}
    finally:
        state.policy.close()
