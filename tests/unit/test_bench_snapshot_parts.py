"""``bench.snapshot`` run in parts (``--only``, ``--kinds``, ``--sizes``): the options, and verdicts and the
printed table of a result that has only some parts (pure functions; no browser)."""

from __future__ import annotations

from typing import Any

import pytest
from bench._snapshot_report import render
from bench.snapshot import Config, main, verdicts


def stats(p50: float) -> dict[str, float]:
    return {"n": 3, "p50": p50, "p95": p50 * 1.5, "p99": p50 * 2, "min": p50 / 2, "max": p50 * 2, "mean": p50}


def b1_row(kind: str, n: int, ours: float, playwright: float) -> dict[str, Any]:
    return {
        "kind": kind, "n": n, "elements": n, "ours_ms": stats(ours), "playwright_ms": stats(playwright),
        "speedup_p50": round(playwright / ours, 2),
    }  # fmt: skip


def result_with(**parts: Any) -> dict[str, Any]:
    meta = {"date_utc": "2026-11-29 22:00", "chromium": "x", "cpus": 2, "cpu": "y", "python": "3.11"}
    return {"meta": meta, "config": {"quick": False, "samples": 3}, **parts}


def b7() -> dict[str, Any]:
    keys = (
        "dom_click_ms", "dom_type20_ms", "dom_select_ms", "trusted_click_ms",
        "click_with_settle_and_delta_ms", "playwright_locator_click_ms", "noop_ping_ms",
    )  # fmt: skip
    out: dict[str, Any] = {k: stats(4.0) for k in keys}
    out["dom_select_ms"] = stats(5.5)
    return out


def test_b1_only_has_b1_verdicts_and_table() -> None:
    r = result_with(b1=[b1_row("flat", 10000, 60.0, 330.0), b1_row("nested", 10000, 50.0, 200.0)])
    v = verdicts(r)
    assert v == {
        "b1_speedup_10k": 4.0,  # the worst page decides
        "b1_speedup_10k_met": False,
        "b1_25k_p50_ms": None,
        "b1_25k_met": False,
    }
    r["verdicts"] = v
    text = render(r)
    assert "| flat 10000 | 10000 | 60.0 |" in text
    assert "10k: ≥ 5× → MISSED (worst 4.0×); 25k: not measured (--sizes)" in text
    assert "B2 fidelity" not in text and "B7 action" not in text
    assert "not run (--only / --skip-actions): B2, B3, B5 re-snapshots; B4, B5 re-render, B7" in text


def test_actions_only_has_action_verdicts_and_table() -> None:
    r = result_with(
        b4={"rows": [{"action": "open", "delta_chars": 10, "full_chars": 200, "ratio": 0.05,
                      "ratio_vs_playwright_full": 0.02}]},
        b5_rerender={"errors": [6001], "all_6001": True},
        b7=b7(),
    )  # fmt: skip
    v = verdicts(r)
    assert set(v) == {
        "b4_worst_ratio", "b4_met", "b5_rerender_stale_met", "b7_dom_p50_ms", "b7_dom_met", "b7_trusted_met",
        "b7_settle_met",
    }  # fmt: skip
    assert v["b7_dom_p50_ms"] == 5.5 and v["b7_dom_met"] is False  # the slowest DOM action decides
    r["verdicts"] = v
    text = render(r)
    assert "| select (DOM) | 5.50 |" in text
    assert "B1 snapshot latency" not in text
    assert "not run (--only / --skip-actions): B1; B2, B3, B5 re-snapshots" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--only", "b1,b9"], "--only takes a comma-separated list of b1, fidelity, actions"),
        (["--only", ","], "--only takes a comma-separated list"),
        (["--kinds", "deep"], "--kinds takes a comma-separated list of flat, nested"),
        (["--sizes", "10k"], "--sizes takes comma-separated integers"),
        (["--sizes", "5"], "--sizes must be at least 10"),
    ],
)
def test_bad_part_options_exit_2_before_anything_starts(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_default_config_runs_every_part() -> None:
    assert Config().parts == ["b1", "fidelity", "actions"]
