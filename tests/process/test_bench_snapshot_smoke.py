"""Smoke test of ``python -m bench.snapshot --quick``: it runs end to end and writes every row.

Never a timed test: with the quick counts the numbers are noise, so nothing here looks at their values, only
that each row is there and numeric (and that the run left nothing behind).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from webbridge.launch import find_chromium

from .test_bench_smoke import check_stats, our_processes

REPO = Path(__file__).resolve().parents[2]


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@pytest.mark.e2e
def test_bench_snapshot_quick_writes_every_row(tmp_path: Path) -> None:
    import playwright.sync_api  # noqa: F401  - a test dependency: fail, never skip, when it is missing
    try:
        find_chromium()
    except FileNotFoundError as exc:
        pytest.fail(f"{exc}: run scripts/setup.sh", pytrace=False)
    out = tmp_path / "snapshot.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.snapshot", "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard, not a timing: --quick normally takes about 20 s
    )
    assert proc.returncode == 0, f"bench exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    for title in ("B1 snapshot latency", "B2 fidelity", "B4 delta", "B5 ref stability", "B7 action"):
        assert title in proc.stdout, title

    result = json.loads(out.read_text())
    assert result["config"]["quick"] is True
    assert result["b1"], "no B1 rows"
    for row in result["b1"]:
        check_stats(f"b1.{row['kind']}-{row['n']}.ours", row["ours_ms"])
        check_stats(f"b1.{row['kind']}-{row['n']}.playwright", row["playwright_ms"])
        assert is_number(row["speedup_p50"])
    pages = result["fidelity"]["synthetic"] + result["fidelity"]["corpus"]
    assert result["fidelity"]["synthetic"], "no synthetic fidelity rows"
    for row in pages:
        for key in (
            "recall",
            "agreement",
            "tokens_ours",
            "tokens_playwright",
            "tokens_default",
            "b5_unchanged",
        ):
            assert is_number(row[key]), f"{row['page']}.{key}"
    assert result["b4"]["rows"] and all(is_number(r["ratio"]) for r in result["b4"]["rows"])
    assert result["b5_rerender"]["stale_refs"] == len(result["b5_rerender"]["errors"])
    for key in (
        "dom_click_ms",
        "dom_type20_ms",
        "dom_select_ms",
        "trusted_click_ms",
        "click_with_settle_and_delta_ms",
        "playwright_locator_click_ms",
        "noop_ping_ms",
    ):
        check_stats(f"b7.{key}", result["b7"][key])
    assert isinstance(result["verdicts"]["b2_recall_met"], bool)

    workdir = Path(result["meta"]["workdir"])
    assert not workdir.exists(), "the run left its temporary folder behind"
    assert our_processes(str(workdir / "wbhome")) == [], "the run left processes running"
