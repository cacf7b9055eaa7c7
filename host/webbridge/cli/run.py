"""``webbridge run`` and ``webbridge runs``: start a task and follow it live; list and show past runs.

``webbridge run "task"`` starts the run (source ``cli``), then follows it over the control socket's
``run.watch`` stream: steps go to stderr as they happen, the final answer to stdout (so
``answer=$(webbridge run …)`` works). With ``--json`` every event is one JSON line on stdout and nothing else
is printed there. Ctrl-C sends ``run.stop`` and exits 130.

Exit codes of ``run``: 0 done, 1 failed (or the run could not start), 2 usage, 3 budget exhausted,
4 cancelled, 5 needs you, 6 interrupted, 7 daemon unavailable, 130 stopped with Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO
from urllib.parse import urlsplit

from ..daemon.client import MAX_REPLY, ControlClient, reply_result
from ..errors import DaemonUnavailable, WebBridgeError
from .daemon_errors import configured_paths, failed

__all__ = [
    "EXIT", "Renderer", "RunClient", "add_parsers", "cmd_run", "cmd_runs", "exit_code", "parse_tab",
    "start_and_follow",
]

#: Exit code per run outcome.
EXIT: dict[str, int] = {
    "done": 0,
    "failed": 1,
    "budget_exhausted": 3,
    "cancelled": 4,
    "needs_you": 5,
    "interrupted": 6,
}
EXIT_USAGE = 2
EXIT_CTRL_C = 130


def exit_code(outcome: str | None) -> int:
    """The exit code for a run outcome (an unknown or missing outcome counts as failed)."""
    return EXIT.get(outcome or "", 1)


def parse_tab(value: str | None) -> str | None:
    """``--tab``: ``current`` or an http(s) URL. Raises ValueError with a message for anything else."""
    if value is None or value == "current":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"--tab must be `current` or an http(s) URL, not {value!r}")
    return value


# --- the streaming control client ------------------------------------------------------------------------


class RunClient(ControlClient):
    """A control connection that also reads the event frames of a streaming op (``run.watch``)."""

    @classmethod
    def connect(cls, paths: Any, *, start: bool = False) -> RunClient:
        client = super().connect(paths, start=start)
        assert isinstance(client, RunClient)
        return client

    def __enter__(self) -> RunClient:
        return self

    def stream(
        self, op: str, on_event: Callable[[dict[str, Any]], None], deadline: float | None = None, **args: Any
    ) -> Any:
        """Send ``op`` and call ``on_event`` for each event frame until the reply; returns its result.
        Raises the daemon's typed error, or :class:`DaemonUnavailable` when the connection breaks."""
        from .. import localsock

        req_id = next(self._ids)
        self._sock.settimeout(deadline)
        try:
            localsock.write_frame(
                self._sock, json.dumps({"v": 1, "id": req_id, "op": op, "args": args}).encode()
            )
            while True:
                payload = localsock.read_frame(self._reader, MAX_REPLY)
                if payload is None:
                    raise DaemonUnavailable("the daemon closed the control connection")
                frame = json.loads(payload)
                if "event" in frame and frame.get("id") == req_id:
                    on_event(frame["event"])
                    continue
                return reply_result(frame)
        except (OSError, localsock.FrameError) as exc:
            raise DaemonUnavailable(f"the daemon stopped answering: {exc}") from exc


# --- rendering -------------------------------------------------------------------------------------------


def short_args(arguments: dict[str, Any], width: int = 100) -> str:
    """``k=v, …`` with long values cut, for one line of progress."""
    parts = []
    for key, value in arguments.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        text = text.replace("\n", " ")
        parts.append(f"{key}={text[:40] + '…' if len(text) > 40 else text}")
    line = ", ".join(parts)
    return line if len(line) <= width else line[: width - 1] + "…"


def _usage(total: dict[str, Any] | None) -> str:
    if not total:
        return ""
    text = f"{total.get('input_tokens', 0)} in / {total.get('output_tokens', 0)} out tokens"
    cost = total.get("cost_usd")
    return text + (f", ${cost:.4f}" if isinstance(cost, int | float) else "")


@dataclass
class Renderer:
    """Turns run events into progress lines (``err``) and the final answer (``out``)."""

    out: TextIO
    err: TextIO
    as_json: bool = False
    #: The outcome and message of ``run.finished`` once seen.
    outcome: str | None = None
    message: str | None = None
    last_seq: int = 0
    _streaming: bool = field(default=False, repr=False)

    def __call__(self, event: dict[str, Any]) -> None:
        self.last_seq = max(self.last_seq, int(event.get("seq", 0)))
        kind = event.get("type")
        if kind == "run.finished":
            self.outcome = str(event.get("outcome"))
            self.message = str(event.get("message", ""))
        if self.as_json:
            self.out.write(json.dumps(event, ensure_ascii=False) + "\n")
            self.out.flush()
            return
        self.render(event)

    def _line(self, text: str) -> None:
        if self._streaming:
            self.err.write("\n")
            self._streaming = False
        self.err.write(text + "\n")
        self.err.flush()

    def render(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        step = event.get("step")
        if kind == "run.started":
            where = f", tab {event['tab_id']}" if event.get("tab_id") is not None else ""
            self._line(f"run {event['run_id']} started (model {event.get('model')}{where})")
        elif kind == "model.text":
            if event.get("final"):
                if not self._streaming and event.get("text"):
                    self.err.write(f"step {step}: {event['text']}")
                    self._streaming = True
                if self._streaming:
                    self.err.write("\n")
                    self._streaming = False
            elif event.get("text"):
                if not self._streaming:
                    self.err.write(f"step {step}: ")
                    self._streaming = True
                self.err.write(str(event["text"]))
            self.err.flush()
        elif kind == "tool.started":
            self._line(f"step {step}: → {event['tool']}({short_args(event.get('arguments') or {})})")
        elif kind == "tool.finished":
            mark = "✓" if event.get("ok") else "✗"
            code = f" [{event['error_code']}]" if event.get("error_code") else ""
            ms = float(event.get("duration_ms", 0))
            self._line(f"step {step}: {mark} {event['tool']} {ms:.0f} ms{code} — {event.get('summary', '')}")
            for path in event.get("artifacts") or ():
                self._line(f"           artifact: {path}")
        elif kind == "run.notice":
            self._line(f"! {event.get('message', '')}")
        elif kind == "run.compacted":
            self._line(
                f"(context compacted: {event.get('before_tokens')} → {event.get('after_tokens')} tokens)"
            )
        elif kind == "run.finished":
            usage = _usage(event.get("total_usage"))
            code = f" [{event['error_code']}]" if event.get("error_code") else ""
            self._line(
                f"{event.get('outcome')}{code} after {event.get('steps', 0)} steps"
                + (f" ({usage})" if usage else "")
            )

    def finish(self) -> None:
        """Print the answer (``done``) on stdout, or what went wrong on stderr."""
        if self.as_json or self.outcome is None:
            return
        if self.outcome == "done":
            self.out.write((self.message or "") + "\n")
            self.out.flush()
        elif self.message:
            self._line(f"webbridge: {self.message}")


# --- commands --------------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        tab = parse_tab(args.tab)
    except ValueError as exc:
        err.write(f"webbridge run: {exc}\n")
        return EXIT_USAGE
    if not args.task.strip():
        err.write("webbridge run: the task is empty\n")
        return EXIT_USAGE
    start: dict[str, Any] = {"task": args.task}
    for name, value in (("tab", tab), ("bridge", args.bridge), ("model", args.model),
                        ("max_steps", args.max_steps)):  # fmt: skip
        if value is not None:
            start[name] = value
    return start_and_follow(start, as_json=args.json, out=out, err=err)


def start_and_follow(start: dict[str, Any], *, as_json: bool, out: TextIO, err: TextIO) -> int:
    """Send ``run.start`` with ``start``, follow the run live until it ends; returns the exit code."""
    renderer = Renderer(out, err, as_json=as_json)
    paths = configured_paths()
    run_id: str | None = None
    try:
        with RunClient.connect(paths, start=True) as client:
            run_id = str(client.call("run.start", **start)["run_id"])
            client.stream("run.watch", renderer, run_id=run_id, after_seq=0)
    except KeyboardInterrupt:
        return _stop_after_ctrl_c(paths, run_id, err)
    except WebBridgeError as exc:
        return failed(exc, err)
    renderer.finish()
    return exit_code(renderer.outcome)


def _stop_after_ctrl_c(paths: Any, run_id: str | None, err: TextIO) -> int:
    if run_id is None:
        err.write("interrupted before the run started\n")
        return EXIT_CTRL_C
    try:
        with ControlClient.connect(paths) as client:
            stopped = client.call("run.stop", deadline=10.0, run_id=run_id)["stopped"]
        err.write(f"\nrun {run_id} {'stopped' if stopped else 'had already ended'}\n")
    except WebBridgeError as exc:
        err.write(f"\ncould not stop run {run_id}: {exc}\n")
    return EXIT_CTRL_C


def _when(ms: int | None) -> str:
    return "—" if ms is None else datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def cmd_runs(args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        with RunClient.connect(configured_paths()) as client:
            if args.runs_action == "show":
                return _show(client, args.run_id, args.json, out, err)
            runs = client.call("runs.list", limit=args.limit)
    except WebBridgeError as exc:
        return failed(exc, err)
    if args.json:
        out.write(json.dumps(runs, indent=2, ensure_ascii=False) + "\n")
        return 0
    if not runs:
        out.write("no runs yet\n")
    for r in runs:
        task = r["task"].replace("\n", " ")
        task = task if len(task) <= 60 else task[:59] + "…"
        out.write(f"{r['run_id']}  {_when(r['created'])}  {r['status']:<16} {r['source']:<12} {task}\n")
    return 0


def _show(client: RunClient, run_id: str, as_json: bool, out: TextIO, err: TextIO) -> int:
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = client.call("run.get", run_id=run_id, after_seq=after)
        events.extend(page["events"])
        if not page["more"] or not page["events"]:
            break
        after = page["events"][-1]["seq"]
    run = page["run"]
    if as_json:
        out.write(json.dumps({"run": run, "events": events}, indent=2, ensure_ascii=False) + "\n")
        return 0
    out.write(f"run {run['run_id']}  {run['status']}  ({run['source']}, model {run['model']})\n")
    out.write(f"task: {run['task']}\n")
    out.write(f"started {_when(run['created'])}, finished {_when(run['finished'])}, {run['steps']} steps\n\n")
    renderer = Renderer(out, out)
    for event in events:
        if event.get("type") != "run.finished":
            renderer.render(event)
    if run.get("message"):
        out.write(f"\n{'answer' if run['status'] == 'done' else 'result'}: {run['message']}\n")
    return 0


def add_parsers(sub: Any) -> None:
    """Register ``run`` and ``runs`` on the main parser's sub-parsers."""
    p = sub.add_parser("run", help="run a task with the agent and follow it live")
    p.add_argument("task", help="what to do, in words")
    p.add_argument("--tab", help="`current` (the active tab of the bridge) or a URL to open")
    p.add_argument("--bridge", help="bridge id or label (default: the daemon picks)")
    p.add_argument("--model", help="a configured model name")
    p.add_argument("--max-steps", type=int, dest="max_steps")
    p.add_argument("--json", action="store_true", help="print every event as a JSON line")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("runs", help="list past runs, or show one (`webbridge runs show ID`)")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    actions = p.add_subparsers(dest="runs_action", metavar="ACTION")
    p.set_defaults(func=cmd_runs, runs_action="list")  # after add_subparsers, or its None default wins
    actions.add_parser("list", help="list runs, newest first")
    show = actions.add_parser("show", help="the steps and the answer of one run")
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true")
