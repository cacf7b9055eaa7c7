"""Smoke test of ``python -m bench.agent --quick`` (B6, daemon side): it runs end to end, every run ends
``done`` and every row is numeric. Never a timed test: nothing here looks at the values."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STATS = ("n", "p50", "p95", "p99", "min", "max", "mean")


def test_the_agent_benchmark_runs_and_writes_numbers(tmp_path: Path) -> None:
    out = tmp_path / "agent.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.agent", "--quick", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["statuses"] == ["done"]
    for row in ("step_ms", "registry_call_ms"):
        assert set(result[row]) == set(STATS)
        assert all(isinstance(result[row][k], int | float) and math.isfinite(result[row][k]) for k in STATS)
    assert result["step_ms"]["n"] == 20 * 2
    assert isinstance(result["rss_growth_mb"], int | float)
    assert isinstance(result["step_met"], bool) and isinstance(result["rss_met"], bool)
    assert "step p50" in proc.stdout
