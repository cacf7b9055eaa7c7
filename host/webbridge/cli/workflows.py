"""``webbridge workflows``: list, show, run and save workflows (recorded tool calls replayed without a model).

- ``webbridge workflows [list]``                   the saved workflows
- ``webbridge workflows show NAME``                one as JSON
- ``webbridge workflows run NAME [-p K=V ...]``    replay it as a run (live steps, exit codes of ``run``)
- ``webbridge workflows save RUN_ID NAME [-p K=V]`` save a finished run; each ``-p`` value found in the
  run's arguments becomes the placeholder ``{{K}}``
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from ..agent.workflows import fill
from ..errors import WebBridgeError
from .daemon_errors import configured_paths, failed
from .run import EXIT_USAGE, RunClient, start_and_follow


def _pairs(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"-p takes NAME=VALUE, not {item!r}")
        out[key] = value
    return out


def cmd_workflows(args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        params = _pairs(getattr(args, "param", None))
    except ValueError as exc:
        err.write(f"webbridge workflows: {exc}\n")
        return EXIT_USAGE
    action = args.wf_action
    try:
        if action == "run":
            with RunClient.connect(configured_paths(), start=True) as client:
                flow = client.call("workflow.show", name=args.name)
            defaults = {k: p["default"] for k, p in flow["params"].items() if p.get("default") is not None}
            try:
                task = fill(flow["task"], {**defaults, **params})
            except WebBridgeError:
                task = flow["task"]  # a missing parameter is reported by the daemon, naming it
            start: dict[str, Any] = {"task": task, "model": f"workflow:{args.name}", "params": params}
            if args.bridge:
                start["bridge"] = args.bridge
            return start_and_follow(start, as_json=args.json, out=out, err=err)
        with RunClient.connect(configured_paths(), start=True) as client:
            if action == "show":
                result: Any = client.call("workflow.show", name=args.name)
            elif action == "save":
                result = client.call("workflow.save", run_id=args.run_id, name=args.name, params=params,
                                     **({"answer": args.answer} if args.answer else {}))
            else:
                result = client.call("workflows.list")
    except WebBridgeError as exc:
        return failed(exc, err)
    if args.json or action == "show":
        out.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    elif action == "save":
        out.write(f"saved {result['name']} ({result['steps']} steps) to {result['path']}\n")
    elif not result:
        out.write("no saved workflows (save a finished run with `webbridge workflows save RUN_ID NAME`)\n")
    else:
        for item in result:
            if "error" in item:
                out.write(f"{item['name']}  (unreadable: {item['error']})\n")
                continue
            params_text = ", ".join(
                k if p.get("default") is None else f"{k}={p['default']}" for k, p in item["params"].items()
            )
            out.write(f"{item['name']}  {item['steps']} steps  [{params_text}]  {item['description']}\n")
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("workflows", help="list, show, run or save workflows (replays without a model)")
    p.add_argument("--json", action="store_true")
    actions = p.add_subparsers(dest="wf_action", metavar="ACTION")
    p.set_defaults(func=cmd_workflows, wf_action="list")
    actions.add_parser("list", help="the saved workflows")
    show = actions.add_parser("show", help="one workflow as JSON")
    show.add_argument("name")
    run = actions.add_parser("run", help="replay a workflow as a run and follow it live")
    run.add_argument("name")
    run.add_argument("-p", "--param", action="append", metavar="NAME=VALUE")
    run.add_argument("--bridge", help="bridge id or label")
    run.add_argument("--json", action="store_true", help="print every event as a JSON line")
    save = actions.add_parser("save", help="save a finished run as a workflow")
    save.add_argument("run_id")
    save.add_argument("name")
    save.add_argument("-p", "--param", action="append", metavar="NAME=VALUE",
                      help="a value of the run to turn into a parameter")
    save.add_argument("--answer", help="the final answer template (default: Done.)")
    for q in (show, save):
        q.add_argument("--json", action="store_true")
