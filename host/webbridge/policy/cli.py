"""``webbridge policy show|set|test``, ``webbridge grants list|add|revoke`` and
``webbridge audit show|verify|export``, registered into the main CLI by :func:`add_parsers` (which also adds
``webbridge approvals`` and ``webbridge approve``, :mod:`.approvals_cli`, that talk to the daemon).

They work on the files directly (no daemon needed): the policy file, the grants and audit databases under
the WebBridge folders. Exit codes: 0 done (``audit verify``: the chain verified), 1 failed (the message
says why: a bad policy file names its line; a broken chain names its first bad seq), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from pathlib import Path
from typing import Any, TextIO, cast

from ..daemon.client import ControlClient
from ..errors import DaemonUnavailable, PolicyInvalid, WebBridgeError
from ..paths import Paths, resolve
from .actions import ActionClass
from .audit import AuditEntry, AuditLog
from .decide import decide
from .grants import LIFETIMES, Grant, GrantStore, Lifetime
from .locations import audit_db, grants_db, policy_file
from .proposed import Element, ProposedAction
from .rules import OUTCOMES, build_policy, default_text, load_policy, overlay
from .toml_write import dumps, write_atomic

_CLASSES = [c.value for c in ActionClass]


def _paths() -> Paths:
    return resolve()


def _print_json(value: Any, out: TextIO) -> None:
    print(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False), file=out)


# --- policy ---------------------------------------------------------------------------------------------


def cmd_policy(args: argparse.Namespace, paths: Paths | None = None, out: TextIO = sys.stdout) -> int:
    paths = paths or _paths()
    path = policy_file(paths)
    if args.policy_action == "show":
        policy = load_policy(path)
        if args.json:
            _print_json({"file": str(path), "file_exists": path.exists(), **policy.to_data()}, out)
            return 0
        print(f"policy file: {path}{'' if path.exists() else ' (none: shipped defaults)'}", file=out)
        data = policy.to_data()
        print(f"mode: {data['mode']}", file=out)
        print("defaults:", file=out)
        for cls, outcome in data["defaults"].items():
            print(f"  {cls:<11} {outcome}", file=out)
        for name, cat in data["categories"].items():
            classes = ", ".join(cat.get("classes", [])) or "all actions"
            print(f"category {name}: {cat['decision']} ({classes}) on {', '.join(cat['domains'])}", file=out)
        for pattern, rules in data["sites"].items():
            shown = ", ".join(f"{k}={v}" for k, v in rules.items())
            print(f"site {pattern}: {shown}", file=out)
        return 0
    if args.policy_action == "set":
        code = _policy_set(args, path, out)
        _tell_daemon(paths, out)
        return code
    return _policy_test(args, paths, path, out)


def _policy_set(args: argparse.Namespace, path: Path, out: TextIO) -> int:
    user: dict[str, Any] = {}
    if path.exists():
        try:
            user = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise PolicyInvalid(f"{path}: cannot read the policy file: {exc}") from None
    if args.mode:
        user["mode"] = args.mode
        what = f"mode = {args.mode}"
    elif args.default:
        cls, outcome = args.default
        user.setdefault("defaults", {})[_class(cls)] = _outcome(outcome)
        what = f"defaults.{cls} = {outcome}"
    else:
        if len(args.rule) != 3:
            raise SystemExit(_usage("policy set needs DOMAIN ACTION DECISION, --mode or --default"))
        domain, cls, outcome = args.rule
        key = "all" if cls == "all" else _class(cls)
        user.setdefault("sites", {}).setdefault(domain, {})[key] = _outcome(outcome)
        what = f'sites."{domain}".{key} = {outcome}'
    text = dumps(user)
    base = tomllib.loads(default_text())
    # Raises PolicyInvalid (naming the key) and writes nothing when the change would make a bad policy.
    build_policy(overlay(base, tomllib.loads(text)), text, f"{path} after this change")
    write_atomic(path, text)
    print(f"{what} (in {path})", file=out)
    return 0


def _tell_daemon(paths: Paths, out: TextIO) -> None:
    """Have a running daemon load the file now (control op ``policy.reload``; it also tells the connected
    browsers). No daemon running: nothing to do, it reads the file when it starts."""
    try:
        with ControlClient.connect(paths) as client:
            result = client.call("policy.reload", deadline=10.0)
    except DaemonUnavailable:
        return
    except WebBridgeError as exc:
        print(f"the running daemon did not reload the policy: {exc.message}", file=sys.stderr)
        return
    if isinstance(result, dict) and result.get("changed"):
        print("the running daemon uses it now", file=out)


def _policy_test(args: argparse.Namespace, paths: Paths, path: Path, out: TextIO) -> int:
    policy = load_policy(path)
    cls = ActionClass(_class(args.action))
    element = Element(args.role or "button", args.name) if args.name else None
    action = ProposedAction(
        tool="policy test", action=cls, url=args.url, element=element, form_action=args.form_action,
        task_id=args.task, schedule_id=args.schedule, actor="cli",
    )
    now = time.time()
    grants: list[Grant] = []
    if not args.no_grants and grants_db(paths).exists():
        store = GrantStore(grants_db(paths))
        try:
            grants = store.active(now)
        finally:
            store.close()
    decision = decide(action, policy, grants, now)
    if args.json:
        _print_json({
            "decision": decision.outcome, "reason": decision.reason, "rule": decision.rule,
            "grant": decision.grant.id if decision.grant else None,
            "irreversible": decision.irreversible.verb if decision.irreversible else None,
            "domain": action.site.domain if action.site else None,
            "host": action.site.host if action.site else None,
        }, out)  # fmt: skip
    else:
        site = f"{action.site.host} (site {action.site.domain})" if action.site else "no site"
        print(f"{decision.outcome}: {cls.value} on {site}", file=out)
        print(f"  reason: {decision.reason}", file=out)
        print(f"  rule:   {decision.rule}", file=out)
    return 0


# --- grants ---------------------------------------------------------------------------------------------


def cmd_grants(args: argparse.Namespace, paths: Paths | None = None, out: TextIO = sys.stdout) -> int:
    paths = paths or _paths()
    store = GrantStore(grants_db(paths))
    try:
        now = time.time()
        if args.grants_action == "list":
            grants = store.list_grants(now=None if args.all else now)
            if args.json:
                _print_json([g.to_data() for g in grants], out)
            elif not grants:
                print("no grants" if args.all else "no active grants", file=out)
            for g in [] if args.json else grants:
                state = "revoked" if g.revoked_at else "used" if g.used_at else (
                    "expired" if not g.active(now) else "active")
                print(f"{g.describe()}  [{state}]", file=out)
            return 0
        if args.grants_action == "revoke":
            grant = store.revoke(args.grant_id, now)
            print(f"revoked {grant.describe()}", file=out)
            return 0
        try:
            grant = Grant.new(
                who="cli", domain=args.domain, classes=[_class(c) for c in args.classes],
                lifetime=cast(Lifetime, args.lifetime), now=now,
                expires=now + args.expires_in if args.expires_in else None, task_id=args.task,
                session_id=args.session, schedule_id=args.schedule, verbs=args.verb or (),
            )
        except ValueError as exc:
            raise SystemExit(_usage(f"grants add: {exc}")) from None
        store.add(grant)
        print(f"added {grant.describe()}", file=out)
        return 0
    finally:
        store.close()


# --- audit ----------------------------------------------------------------------------------------------


def cmd_audit(args: argparse.Namespace, paths: Paths | None = None, out: TextIO = sys.stdout) -> int:
    paths = paths or _paths()
    path = audit_db(paths)
    if not path.exists():  # nothing decided yet: an empty log, which verifies
        if args.audit_action == "verify":
            print(f"ok: 0 entries (no audit log yet at {path})", file=out)
        elif args.audit_action == "show" and not args.json:
            print("no audit entries yet", file=out)
        elif args.audit_action == "show":
            _print_json([], out)
        elif args.out:
            Path(args.out).write_text("", encoding="utf-8")
        return 0
    log = AuditLog(path, readonly=True)
    try:
        if args.audit_action == "show":
            entries = log.tail(args.limit, run_id=args.run)
            if args.json:
                _print_json([e.to_data() for e in entries], out)
            for entry in [] if args.json else entries:
                print(_line(entry), file=out)
            return 0
        if args.audit_action == "verify":
            report = log.verify(expect_head=args.expect_head)
            if args.json:
                _print_json(report.__dict__, out)
            elif report.ok:
                print(f"ok: {report.entries} entries verified; head seq {report.head_seq} hash "
                      f"{report.head_hash}", file=out)
            else:
                print(f"BROKEN at seq {report.bad_seq}: {report.problem} "
                      f"({report.entries} entries verified before it)", file=out)
            return 0 if report.ok else 1
        if args.out:
            with open(args.out, "w", encoding="utf-8") as f:
                count = log.export(f)
            print(f"exported {count} entries to {args.out}", file=sys.stderr)
        else:
            log.export(out)
        return 0
    finally:
        log.close()


def _line(e: AuditEntry) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.time / 1000))
    detail = json.loads(e.detail)
    if e.kind == "decision":
        tail = f"{e.decision:<5} {e.action} {e.target or '-'}  ({detail.get('rule', '')})"
        if e.grant_id:
            tail += f" grant {e.grant_id}"
    else:
        tail = f"{e.outcome} (decision #{detail.get('decision_seq')})"
    return f"#{e.seq:<6} {stamp} {e.actor:<6} run {e.run_id or '-'} {e.tool or '-'}: {tail}"


# --- parsers --------------------------------------------------------------------------------------------


def _class(value: str) -> str:
    if value not in _CLASSES:
        raise SystemExit(_usage(f"{value!r} is not an action class ({', '.join(_CLASSES)})"))
    return value


def _outcome(value: str) -> str:
    if value not in OUTCOMES:
        raise SystemExit(_usage(f"{value!r} is not one of {', '.join(OUTCOMES)}"))
    return value


def _usage(message: str) -> int:
    print(f"webbridge: {message}", file=sys.stderr)
    return 2


def add_parsers(subparsers: Any) -> None:
    """Add ``policy``, ``grants`` and ``audit`` to an ``argparse`` sub-parsers object."""
    p = subparsers.add_parser("policy", help="show, change or test the permission policy")
    sub = p.add_subparsers(dest="policy_action", required=True, metavar="ACTION")
    s = sub.add_parser("show", help="the effective policy (your file over the shipped defaults)")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("set", help="set a site rule (DOMAIN ACTION DECISION), the mode or a default")
    s.add_argument("rule", nargs="*", metavar="DOMAIN ACTION DECISION",
                   help="e.g. github.com interact allow; ACTION may be 'all'")
    s.add_argument("--mode", choices=["ask", "grants"])
    s.add_argument("--default", nargs=2, metavar=("ACTION", "DECISION"))
    s = sub.add_parser("test", help="what the policy decides for ACTION on URL, and which rule decides")
    s.add_argument("url")
    s.add_argument("action", metavar="ACTION", help=", ".join(_CLASSES))
    s.add_argument("--name", help="accessible name of the element acted on (e.g. 'Place order')")
    s.add_argument("--role", help="its role (default button)")
    s.add_argument("--form-action", help="the URL a submitted form goes to")
    s.add_argument("--task", help="task id (for task grants)")
    s.add_argument("--schedule", help="scheduled task id (for grants attached to it)")
    s.add_argument("--no-grants", action="store_true", help="decide on the rules alone")
    s.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_policy)

    p = subparsers.add_parser("grants", help="list, add or revoke permission grants")
    sub = p.add_subparsers(dest="grants_action", required=True, metavar="ACTION")
    s = sub.add_parser("list", help="active grants (--all: also used, revoked and expired ones)")
    s.add_argument("--all", action="store_true")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("revoke", help="revoke a grant by id")
    s.add_argument("grant_id")
    s = sub.add_parser("add", help="grant ACTION classes on DOMAIN")
    s.add_argument("domain", help="domain pattern, e.g. github.com or *.example")
    s.add_argument("classes", nargs="+", metavar="ACTION")
    s.add_argument("--lifetime", choices=list(LIFETIMES), default="always")
    s.add_argument("--expires-in", type=float, metavar="SECONDS")
    s.add_argument("--task")
    s.add_argument("--session")
    s.add_argument("--schedule", help="attach to a scheduled task: only its runs may use the grant")
    s.add_argument("--verb", action="append", help="approve one irreversible verb (once grants only)")
    p.set_defaults(func=cmd_grants)

    p = subparsers.add_parser("audit", help="show, verify or export the audit log")
    sub = p.add_subparsers(dest="audit_action", required=True, metavar="ACTION")
    s = sub.add_parser("show", help="the last entries")
    s.add_argument("--run", help="only this run")
    s.add_argument("--limit", type=int, default=50)
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("verify", help="check the hash chain; exit 1 and name the first bad entry if broken")
    s.add_argument("--expect-head", metavar="HASH", help="the head hash you recorded earlier")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("export", help="every entry as JSON lines")
    s.add_argument("--out", help="file to write (default: standard output)")
    p.set_defaults(func=cmd_audit)

    from . import approvals_cli

    approvals_cli.add_parsers(subparsers)


__all__ = ["add_parsers", "cmd_audit", "cmd_grants", "cmd_policy"]
