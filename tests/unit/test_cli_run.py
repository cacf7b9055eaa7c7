"""The CLI's side of `webbridge run` / `webbridge runs` without a daemon: arguments, exit codes, rendering.
(With the real daemon and the scripted model: tests/process/test_cli_run.py.)"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from webbridge.cli.main import build_parser
from webbridge.cli.run import EXIT, Renderer, exit_code, parse_tab, short_args


def test_every_outcome_has_its_own_exit_code() -> None:
    assert EXIT == {"done": 0, "failed": 1, "budget_exhausted": 3, "cancelled": 4, "needs_you": 5,
                    "interrupted": 6}  # fmt: skip
    assert exit_code(None) == 1 and exit_code("something new") == 1


def test_tab_is_current_or_a_web_url() -> None:
    assert parse_tab(None) is None and parse_tab("current") == "current"
    assert parse_tab("https://example.test/a?b=1") == "https://example.test/a?b=1"
    for bad in ("file:///etc/passwd", "javascript:alert(1)", "example.test", "https://", "Current"):
        with pytest.raises(ValueError, match="--tab"):
            parse_tab(bad)


def test_parsers_are_registered() -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["run", "do it", "--tab", "current", "--bridge", "Work", "--json", "--max-steps", "3"]
    )
    assert (args.task, args.tab, args.bridge, args.json, args.max_steps) == (
        "do it",
        "current",
        "Work",
        True,
        3,
    )
    assert parser.parse_args(["runs"]).runs_action == "list"
    shown = parser.parse_args(["runs", "show", "r-1", "--json"])
    assert (shown.runs_action, shown.run_id, shown.json) == ("show", "r-1", True)
    with pytest.raises(SystemExit):
        parser.parse_args(["runs", "show"])


def test_short_args_cut_long_values() -> None:
    assert short_args({"a": "x" * 50, "b": [1, 2]}) == f"a={'x' * 40}…, b=[1, 2]"
    assert len(short_args({f"k{i}": "v" * 30 for i in range(10)})) == 100


def test_renderer_prints_progress_and_the_answer(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    r = Renderer(out, err)

    def ev(type_: str, seq: int, **kw: Any) -> dict[str, Any]:
        return {"type": type_, "run_id": "r-1", "seq": seq, "time": 1, **kw}

    call = {"step": 1, "call_id": "c", "tool": "page_act"}
    events = [
        ev("run.started", 1, model="m", tab_id=3),
        ev("model.text", 2, step=1, text="Look", final=False),
        ev("model.text", 3, step=1, text="ing", final=False),
        ev("model.text", 4, step=1, text="Looking", final=True),
        ev("tool.started", 5, **call, arguments={"action": "click", "ref": "f0e3", "text": "x" * 80}),
        ev("tool.finished", 6, **call, ok=False, summary="stale ref", duration_ms=5.2, artifacts=[],
           error_code=6001),
        ev("run.finished", 7, outcome="done", message="The answer", steps=1,
           total_usage={"input_tokens": 10, "output_tokens": 2, "cost_usd": None}),
    ]  # fmt: skip
    for e in events:
        r(e)
    r.finish()
    lines = err.getvalue().splitlines()
    assert lines[0] == "run r-1 started (model m, tab 3)"
    assert lines[1] == "step 1: Looking"
    assert lines[2].startswith("step 1: → page_act(action=click, ref=f0e3, text=" + "x" * 40 + "…")
    assert lines[3] == "step 1: ✗ page_act 5 ms [6001] — stale ref"
    assert lines[4] == "done after 1 steps (10 in / 2 out tokens)"
    assert out.getvalue() == "The answer\n"
    assert (r.outcome, r.last_seq) == ("done", 7)
    as_json = io.StringIO()
    j = Renderer(as_json, io.StringIO(), as_json=True)
    for e in events:
        j(e)
    j.finish()
    assert [json.loads(line) for line in as_json.getvalue().splitlines()] == events
