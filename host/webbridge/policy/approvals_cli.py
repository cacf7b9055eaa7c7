"""``webbridge approvals`` and ``webbridge approve``: see and answer what running tasks are asking.

Both talk to the running daemon over the control socket (``approvals.list``, ``approval.answer``;
docs/PROTOCOL.md §7). What is shown is the structured request (verb, site, element, data that would leave,
or a plan's sites and actions), never the model's own wording except a plan's summary, marked as such.
Exit codes: 0 done, 1 failed (unknown or already answered approval, bad answer), 7 daemon unavailable.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any, TextIO

from ..cli.daemon_errors import failed
from ..daemon.client import ControlClient
from ..errors import WebBridgeError
from ..paths import Paths, resolve
from .grants import LIFETIMES


def cmd_approvals(args: argparse.Namespace, paths: Paths | None = None, out: TextIO = sys.stdout,
                  err: TextIO = sys.stderr) -> int:
    wait = float(args.wait or 0)
    try:
        with ControlClient.connect(paths or resolve()) as client:
            extra: dict[str, Any] = {"run_id": args.run} if args.run else {}
            pending = client.call("approvals.list", deadline=wait + 30, wait=wait, **extra)
    except WebBridgeError as exc:
        return failed(exc, err)
    if args.json:
        out.write(json.dumps(pending, indent=2, ensure_ascii=False) + "\n")
        return 0
    if not pending:
        out.write("nothing is waiting for your approval\n")
    for p in pending:
        out.write(describe(p) + "\n")
    return 0


def describe(pending: dict[str, Any]) -> str:
    """Lines for one pending approval, drawn from the structured request."""
    r = pending["request"]
    until = datetime.fromtimestamp(pending["expires_ms"] / 1000).strftime("%H:%M:%S")
    lines = [f"{pending['approval_id']}  run {pending['run_id']}  (denied at {until} without an answer)"]
    plan = r.get("plan")
    if plan:
        lines.append(f"  plan: {', '.join(plan['actions'])} on {', '.join(plan['sites']) or '(no site)'}")
        lines.append(f"  the agent says: {plan['summary']}")
        return "\n".join(lines)
    where = r.get("origin") or r.get("domain") or "this machine"
    lines.append(f"  {r['verb']} on {where}" + ("  [irreversible]" if r.get("irreversible") else ""))
    if r.get("element_name") or r.get("element_role"):
        lines.append(f"  element: {r.get('element_role') or '?'} \"{r.get('element_name') or ''}\"")
    for dest, preview in r.get("data_out") or []:
        lines.append(f"  data to {dest}: {preview!r}")
    for source, dest, matched in r.get("flows") or []:
        lines.append(f"  read on {source}, would go to {dest}: {matched!r}")
    lines.append(f"  why: {r['reason']} ({r['rule']})")
    return "\n".join(lines)


def cmd_approve(args: argparse.Namespace, paths: Paths | None = None, out: TextIO = sys.stdout,
                err: TextIO = sys.stderr) -> int:
    try:
        with ControlClient.connect(paths or resolve()) as client:
            result = client.call("approval.answer", approval_id=args.approval_id, allow=not args.deny,
                                 lifetime=args.lifetime)
    except WebBridgeError as exc:
        return failed(exc, err)
    if not result["allowed"]:
        out.write(f"denied {result['approval_id']}\n")
        return 0
    grants = ", ".join(g["id"] for g in result["grants"])
    out.write(f"approved {result['approval_id']} ({result['lifetime']})"
              + (f"; grant {grants}" if grants else "") + "\n")
    return 0


def add_parsers(subparsers: Any) -> None:
    p = subparsers.add_parser("approvals", help="what running tasks are waiting for you to approve")
    p.add_argument("--run", help="only this run")
    p.add_argument("--wait", type=float, metavar="SECONDS",
                   help="if nothing is pending, wait up to this long for a request")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_approvals)
    p = subparsers.add_parser("approve", help="answer a pending approval (approve, or --deny)")
    p.add_argument("approval_id")
    p.add_argument("--deny", action="store_true", help="decline it: the task is told you said no")
    p.add_argument("--for", dest="lifetime", choices=list(LIFETIMES), default="once",
                   help="how long the approval lasts (irreversible actions: once only)")
    p.set_defaults(func=cmd_approve)


__all__ = ["add_parsers", "cmd_approvals", "cmd_approve", "describe"]
