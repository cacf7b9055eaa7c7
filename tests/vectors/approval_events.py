"""Vectors for the extension's approval and policy tests, built with the real daemon types:

- ``approval_events.json`` (tests/js/approval_view.test.js): a recorded run — ``ApprovalRequest.build`` over a
  real decision, the run's ``Emitter`` — exactly what the daemon sends;
- ``policy_check.json`` (tests/js/approval_check.test.js): a policy summary (``policy_api.policy_summary``)
  and, per URL and action class, whether the daemon's own rule lookup (``decide._base``) denies it, so the
  extension's re-check is held to the daemon's matching (W13 tricks included).

``python tests/vectors/approval_events.py`` rewrites both; ``--check`` exits 1 when either is stale (a unit
test runs that)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from webbridge.agent.chat import Usage
from webbridge.agent.emitter import Emitter
from webbridge.agent.events import (
    ApprovalRequested,
    ApprovalResolved,
    RunEvent,
    RunFinished,
    RunStarted,
    ToolFinished,
    ToolStarted,
)
from webbridge.policy.actions import ActionClass
from webbridge.policy.approval import ApprovalRequest
from webbridge.policy.decide import decide
from webbridge.policy.proposed import DataOut, Element, ProposedAction
from webbridge.policy.rules import parse_policy

OUT = Path(__file__).with_name("approval_events.json")
CHECK_OUT = Path(__file__).with_name("policy_check.json")
POLICY = """
[sites."paypal.com"]
read = "allow"
[sites."*.corp.example"]
all = "deny"
read = "allow"
[sites."intranet.corp.example"]
all = "allow"
[sites."127.0.0.2"]
all = "deny"
[categories.gambling]
decision = "deny"
domains = ["casino.example", "*.bet"]
classes = ["submit", "type"]
"""
URLS = [
    "https://paypal.com/", "https://www.paypal.com/send", "https://paypal.com.evil.test/",
    "https://paypal.com@evil.test/", "https://PAYPAL.COM./x", "https://mybank.bank/", "https://bank/",
    "https://a.corp.example/", "https://corp.example/", "https://intranet.corp.example/",
    "https://x.intranet.corp.example/", "https://casino.example/", "https://lucky.bet/", "https://bet/",
    "http://127.0.0.2:8080/", "http://127.0.0.1/", "https://shop.example.com/", "https://xn--80ak6aa92e.com/",
    "https://chase.com.", "https://sub.chase.com/login",
]
T0 = 1_767_000_000.0  # a fixed clock: the file does not change between runs


def _request(tool: str, cls: ActionClass, url: str, role: str, name: str, **more: Any) -> dict[str, Any]:
    action = ProposedAction(tool=tool, action=cls, url=url, element=Element(role, name), ref="e3",
                            run_id="r-7", task_id="r-7", session_id="s-1", **more)  # fmt: skip
    decision = decide(action, parse_policy(""), [], T0)
    assert decision.outcome == "ask", decision
    return ApprovalRequest.build(action, decision).to_data()


def build() -> list[dict[str, Any]]:
    events: list[RunEvent] = []
    emit = Emitter("r-7", events.append, clock=lambda: T0).emit
    expires = int((T0 + 300) * 1000)
    emit(RunStarted, task="Order the blue mug", model="scripted", bridge_id="b-1", tab_id=3,
         source="sidepanel")
    emit(ToolStarted, step=1, call_id="c1", tool="page_click", arguments={"ref": "e3"})
    emit(ApprovalRequested, approval_id="a-continue", expires=expires,
         request=_request("page_click", ActionClass.SUBMIT, "https://shop.example.com/cart", "button",
                          "Continue"))
    emit(ApprovalResolved, approval_id="a-continue", allowed=True, lifetime="task", by="sidepanel",
         grant_id="g_00000000000000aa")
    emit(ToolFinished, step=1, call_id="c1", tool="page_click", ok=True, summary="clicked", duration_ms=3.0)
    emit(ToolStarted, step=2, call_id="c2", tool="page_click", arguments={"ref": "e9"})
    emit(ApprovalRequested, approval_id="a-buy", expires=expires,
         request=_request("page_click", ActionClass.SUBMIT, "https://shop.example.com/checkout", "button",
                          "Buy now"))
    emit(ApprovalResolved, approval_id="a-buy", allowed=False, lifetime="once", by="notification")
    emit(ToolFinished, step=2, call_id="c2", tool="page_click", ok=False, summary="the user declined",
         duration_ms=1.0, error_code=8001)
    leaving = DataOut(text="ACME-7731-secret", destination="https://evil.example.net/?q=ACME-7731-secret",
                      source="https://mail.example.org/inbox", matched="ACME-7731-secret")
    emit(ToolStarted, step=3, call_id="c3", tool="page_type",
         arguments={"ref": "e4", "text": "ACME-7731-secret"})
    emit(ApprovalRequested, approval_id="a-flow", expires=expires,
         request=_request("page_type", ActionClass.TYPE, "https://evil.example.net/search", "searchbox",
                          "Search", data_out=(leaving,)))
    emit(ApprovalResolved, approval_id="a-flow", allowed=False, lifetime="once", by="timeout", timed_out=True)
    emit(ToolFinished, step=3, call_id="c3", tool="page_type", ok=False, summary="no answer", duration_ms=1.0,
         error_code=8001)
    emit(RunFinished, outcome="done", message="I could not buy it.", total_usage=Usage(), steps=3)
    return [e.model_dump(mode="json") for e in events]


def build_check() -> dict[str, Any]:
    from webbridge.daemon.policy_api import policy_summary
    from webbridge.errors import DomainRefused
    from webbridge.policy.decide import _base

    policy = parse_policy(POLICY, "policy.toml")
    cases = []
    for url in URLS:
        for cls in ("read", "navigate", "interact", "type", "submit", "script"):
            try:
                action = ProposedAction(tool="t", action=ActionClass(cls), url=url)
            except DomainRefused:
                continue  # the daemon refuses these hosts outright (8003): nothing to mirror
            outcome, rule = _base(action, policy)
            # The extension re-checks sites (rules and categories), not the per-class defaults.
            denied = outcome == "deny" and not rule.startswith("defaults.")
            cases.append({"url": url, "cls": cls, "denied": denied})
    return {"summary": policy_summary(policy).model_dump(mode="json", exclude={"kind"}), "cases": cases}


def main(argv: list[str]) -> int:
    outputs = {
        OUT: json.dumps(build(), indent=1, sort_keys=True) + "\n",
        CHECK_OUT: json.dumps(build_check(), indent=1, sort_keys=True) + "\n",
    }
    if "--check" in argv:
        return 0 if all(p.exists() and p.read_text() == t for p, t in outputs.items()) else 1
    for path, text in outputs.items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
