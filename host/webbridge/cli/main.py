"""``webbridge``: the command line. Each sub-command is a small function returning an exit code.

Exit codes: 0 done, 1 the thing asked for failed (the message says why and what to do), 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import WebBridgeError

Handler = Callable[[argparse.Namespace], int]


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))


def _settings() -> Any:
    from .. import config

    return config.load()


# --- daemon ---------------------------------------------------------------------------------------------


def cmd_daemon(args: argparse.Namespace) -> int:
    from ..daemon import client

    settings = _settings()
    paths = settings.paths
    if args.action == "run":
        from ..app import run_daemon
        from ..daemon.lock import AlreadyRunning

        try:
            return asyncio.run(run_daemon(settings, stderr_logs=not args.quiet))
        except AlreadyRunning as exc:
            print(f"webbridge: {exc}", file=sys.stderr)
            return 1
    if args.action == "start":
        status = client.start(paths)
        print(f"daemon {status['version']} running (pid {status['pid']}), socket {status['socket']}")
        return 0
    if args.action == "stop":
        print("daemon stopped" if client.stop(paths) else "no daemon was running")
        return 0
    try:
        status = client.probe(paths)
    except WebBridgeError as exc:
        if args.json:
            _print_json({"running": False, "error": exc.message})
        else:
            print(f"daemon not running ({exc.message})")
        return 1
    from ..api.status import api_status

    api = api_status(paths, status["pid"])
    if args.json:
        _print_json({"running": True, **status, "api": api})
    else:
        print(f"daemon {status['version']} running (pid {status['pid']}, up {status['uptime']:.0f}s)")
        print(f"  pairings: {status['pairings']}; bridges connected: {len(status['bridges'])}")
        for bridge in status["bridges"]:
            print(f"  - {bridge['bridge_id']}  {bridge['label']}  ({bridge['browser']}, {bridge['profile']})")
        if status.get("keystore_problem"):
            print(f"  ! {status['keystore_problem']}")
        print(f"  local API: {api['url'] or 'not listening (api_enabled off, or see the daemon log)'}")
        print(f"    token file: {api['token_file']}; port file: {api['port_file']}")
        if api["url"] and api["token_problem"]:
            print(f"  ! {api['token_problem']}")
    return 0


# --- pairing --------------------------------------------------------------------------------------------


def cmd_pair(args: argparse.Namespace) -> int:
    from ..daemon.client import ControlClient

    paths = _settings().paths
    with ControlClient.connect(paths, start=True) as c:
        if args.list:
            pairings = c.call("pairs.list")
            if args.json:
                _print_json(pairings)
            elif not pairings:
                print("no pairings yet: run `webbridge pair` and click “Pair this browser” in the extension")
            for p in [] if args.json else pairings:
                print(f"{p['pairing_id']}  {p['label'] or p['browser']}  ({p['browser']}, {p['profile']})")
            return 0
        if args.revoke:
            result = c.call("pairs.revoke", pairing_id=args.revoke)
            print(f"revoked {args.revoke}" if result["revoked"] else f"no pairing {args.revoke}")
            return 0 if result["revoked"] else 1
        if args.reset:
            result = c.call("pairs.reset")
            print(f"moved the key file to {result['moved_to']}" if result["moved_to"] else "no key file")
            return 0
        if args.rotate:
            c.call("pairs.rotate", pairing_id=args.rotate)
            print(f"rotated the key of {args.rotate}")
            return 0
        if args.reject:
            result = c.call("pairs.reject", pair_id=args.reject)
            return 0 if result["cancelled"] else 1
        if args.confirm:
            done = c.call("pairs.confirm", deadline=args.wait + 10, code=args.confirm, wait=args.wait)
            return _report_pairing(done, args.json)
        print(
            "Waiting for a browser: click “Pair this browser” in the WebBridge extension popup…", flush=True
        )
        pending = c.call("pairs.pending", deadline=args.wait + 10, wait=args.wait)
        if not pending:
            print("no pairing request arrived", file=sys.stderr)
            return 1
        request = pending[-1]
        code = request["code"]
        print(f"\n  {request['browser']} ({request['profile']}) asks to pair.")
        print(f"  Code: {code[:3]} {code[3:]}\n")
        if args.yes:
            answer = "y"
        else:
            answer = input("Does the extension show the same code? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            c.call("pairs.reject", pair_id=request["pair_id"])
            print("pairing rejected")
            return 1
        print("Now click “Codes match” in the extension popup…", flush=True)
        done = c.call("pairs.confirm", deadline=args.wait + 10, pair_id=request["pair_id"], wait=args.wait)
        return _report_pairing(done, args.json)


def _report_pairing(done: dict[str, Any], as_json: bool) -> int:
    if as_json:
        _print_json(done)
    elif done.get("completed"):
        print(f"paired: {done['pairing_id']} ({done['browser']}, {done['profile']})")
    else:
        print(
            "confirmed here; waiting for the extension timed out. Click “Codes match” there.", file=sys.stderr
        )
    return 0 if done.get("completed") else 1


# --- bridges --------------------------------------------------------------------------------------------


def cmd_bridges(args: argparse.Namespace) -> int:
    from ..daemon.client import ControlClient

    with ControlClient.connect(_settings().paths) as c:
        bridges = c.call("bridges.list")
    if args.json:
        _print_json(bridges)
        return 0
    if not bridges:
        print("no browser connected")
        return 1
    for b in bridges:
        print(f"{b['bridge_id']}  {b['label']}  ({b['browser']}, {b['profile']}, pairing {b['pairing_id']})")
    return 0


def cmd_call(args: argparse.Namespace) -> int:
    from ..daemon.client import ControlClient

    try:
        body = json.loads(args.body)
    except json.JSONDecodeError as exc:
        print(f"webbridge: --body is not JSON: {exc}", file=sys.stderr)
        return 2
    with ControlClient.connect(_settings().paths) as c:
        result = c.call(
            "bridge.call",
            deadline=args.timeout + 5,
            bridge=args.bridge,
            kind=args.kind,
            body=body,
            timeout=args.timeout,
        )
    _print_json(result)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import run

    headed = True if args.headed else (False if args.headless else None)
    return run(yes=args.yes, headed=headed, out=Path(args.out), keep=args.keep, agent=args.agent)


def cmd_version(_args: argparse.Namespace) -> int:
    print(f"webbridge {__version__}")
    return 0


# --- parser ---------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="webbridge", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"webbridge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("daemon", help="run, start, stop or check the daemon")
    p.add_argument("action", choices=["run", "start", "stop", "status"])
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true", help="run: log only to the log file")
    p.set_defaults(func=cmd_daemon)

    p = sub.add_parser("pair", help="pair a browser (compare the six-digit code), list or revoke pairings")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--list", action="store_true", help="list paired browsers")
    group.add_argument("--revoke", metavar="PAIRING_ID")
    group.add_argument("--rotate", metavar="PAIRING_ID", help="replace the key of a connected pairing")
    group.add_argument("--reset", action="store_true", help="move an unusable key file aside")
    group.add_argument("--confirm", metavar="CODE", help="confirm the pending pairing showing CODE")
    group.add_argument("--reject", metavar="PAIR_ID")
    p.add_argument("--yes", action="store_true", help="do not ask; only for scripts that compared the code")
    p.add_argument("--wait", type=float, default=300.0, help="seconds to wait for the browser (default 300)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_pair)

    p = sub.add_parser("bridges", help="list connected browsers and profiles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bridges)

    p = sub.add_parser("call", help="send one request to a connected browser (e.g. browser.info)")
    p.add_argument("kind")
    p.add_argument("--bridge", help="bridge id or label (default: the most recent)")
    p.add_argument("--body", default="{}", help="JSON body")
    p.add_argument("--timeout", type=float, default=30.0)
    p.set_defaults(func=cmd_call)

    p = sub.add_parser("demo", help="pair a throwaway Chromium and let the agent do a task in a portal")
    p.add_argument("--yes", action="store_true", help="confirm the pairing code without asking")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--headed", action="store_true", help="show the browser window")
    shown.add_argument("--headless", action="store_true", help="no window even with a display")
    p.add_argument("--out", default="open-invoices.md", help="where to copy the file the task writes")
    p.add_argument("--keep", action="store_true", help="keep the throwaway profile and daemon home")
    p.add_argument("--agent", action="store_true",
                   help="give the goal to the configured model instead of replaying the saved workflow")
    p.set_defaults(func=cmd_demo)

    from .run import add_parsers as add_run_parsers

    add_run_parsers(sub)
    from .workflows import add_parsers as add_workflow_parsers

    add_workflow_parsers(sub)

    p = sub.add_parser("version", help="print the version")
    p.set_defaults(func=cmd_version)

    try:
        from ..install.cli import add_parsers
    except ImportError:  # pragma: no cover - the installer is part of the package
        pass
    else:
        add_parsers(sub)
    from ..policy.cli import add_parsers as add_policy_parsers

    add_policy_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Handler = args.func
    try:
        return func(args)
    except WebBridgeError as exc:
        print(f"webbridge: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
