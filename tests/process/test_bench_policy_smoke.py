"""Smoke test of ``python -m bench.policy --quick``: it runs end to end and writes every row as numbers.

Never a timed test: nothing here looks at the values beyond their being finite numbers, and that the
audit log the benchmark wrote verified.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .test_bench_smoke import check_stats, is_number

REPO = Path(__file__).resolve().parents[2]


def test_bench_policy_quick_writes_every_row(tmp_path: Path) -> None:
    out = tmp_path / "policy.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.policy", "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard, not a timing: --quick normally takes a few seconds
    )
    assert proc.returncode == 0, f"bench exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    assert "Policy decision + audit" in proc.stdout and "Audit verify" in proc.stdout
    result = json.loads(out.read_text())
    assert result["config"]["quick"] is True
    calls = result["calls"]
    for row in ("decide_ms", "check_ms", "before_after_ms", "floor_append_ms"):
        check_stats(f"calls.{row}", calls[row])
        assert calls[row]["n"] == result["config"]["calls"]
    assert calls["audit_ok"] is True and isinstance(calls["check_met"], bool)
    verify = result["verify"]
    check_stats("verify.verify_s", verify["verify_s"])
    assert verify["verified_ok"] is True
    assert verify["entries"] == verify["exported"] == result["config"]["entries"]
    for key in ("verify_s_median", "verify_us_per_entry", "fill_s", "export_s", "file_mb"):
        assert is_number(verify[key]), key
    assert isinstance(verify["met"], bool)
    assert not Path(result["meta"]["workdir"]).exists(), "the run left its temporary folder behind"
