"""Smoke test of ``python -m bench.bridge --quick``: it runs end to end and writes every row as numbers.

Never a timed test: the quick counts make the numbers noise, so nothing here looks at their values, only
that each row is there and numeric (and that the run left nothing running).
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

REPO = Path(__file__).resolve().parents[2]
B8_ROWS = {
    "echo_16B",
    "echo_16B_burst",
    "echo_100KB",
    "echo_900KB",
    "echo_2MB_chunked",
    "upload_8MB_digest",
}
STATS = ("n", "p50", "p95", "p99", "min", "max", "mean")


def _require_chromium() -> None:
    import playwright.sync_api  # noqa: F401  - a test dependency: fail, never skip, when it is missing
    try:
        find_chromium()
    except FileNotFoundError as exc:
        pytest.fail(f"{exc}: run scripts/setup.sh", pytrace=False)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_stats(where: str, stats: Any) -> None:
    assert isinstance(stats, dict), f"{where}: not a stats object"
    for key in STATS:
        assert is_number(stats.get(key)), f"{where}.{key} is not a number: {stats.get(key)!r}"
    assert stats["n"] >= 1, f"{where}: no samples"


def our_processes(home: str) -> list[int]:
    """Processes still running with the benchmark's WEBBRIDGE_HOME (there must be none afterwards)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and f"WEBBRIDGE_HOME={home}".encode() in env:
            found.append(int(entry.name))
    return found


@pytest.mark.e2e
def test_bench_bridge_quick_writes_every_row(tmp_path: Path) -> None:
    _require_chromium()
    out = tmp_path / "bridge.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bridge", "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,  # a hang guard, not a timing: --quick normally takes about 10 s
    )
    assert proc.returncode == 0, f"bench exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    assert "B8 transport" in proc.stdout and "B12" in proc.stdout

    result = json.loads(out.read_text())
    assert result["config"]["quick"] is True
    assert result["meta"]["date_utc"] and result["meta"]["chromium"]

    rows = {row["id"]: row for row in result["b8"]["rows"]}
    assert set(rows) == B8_ROWS
    for row_id, row in rows.items():
        for side in ("ours", "raw"):
            check_stats(f"b8.{row_id}.{side}.ms", row[side]["ms"])
            assert is_number(row[side]["mbps_p50"]), f"b8.{row_id}.{side}.mbps_p50"
        assert is_number(row["ratio"]) and row["ratio"] > 0, f"b8.{row_id}.ratio"
        assert isinstance(row["met"], bool)
        assert is_number(row["disconnects"]["ours"]) and is_number(row["disconnects"]["raw"])
    assert result["b8"]["digests_agree"] is True
    assert rows["echo_2MB_chunked"]["raw_reply_chunks"] >= 2, "the raw host must chunk replies over 1 MiB"

    b12 = result["b12"]
    check_stats("b12.cold_start.relay", b12["cold_start"]["relay"])
    check_stats("b12.cold_start.raw_echo_host", b12["cold_start"]["raw_echo_host"])
    check_stats("b12.rss.relay_fresh_kb", b12["rss"]["relay_fresh_kb"])
    for when in ("idle_before_load", "idle_after_load"):
        for key in ("daemon_rss_kb", "daemon_hwm_kb", "relay_rss_kb", "relay_hwm_kb"):
            assert is_number(b12["rss"][when][key]), f"b12.rss.{when}.{key}"
    for key in ("relay_idle_met", "relay_after_load_met", "daemon_idle_met", "daemon_after_load_met"):
        assert isinstance(b12["rss"][key], bool), key
    check_stats("b12.reconnect.wall_ms", b12["reconnect"]["wall_ms"])
    check_stats("b12.reconnect.worker_ms", b12["reconnect"]["worker_ms"])
    assert b12["cold_worker"]["skipped"] is True

    workdir = Path(result["meta"]["workdir"])  # the run's temporary HOME, WEBBRIDGE_HOME and profile
    assert not workdir.exists(), "the run left its temporary folder behind"
    assert our_processes(str(workdir / "wbhome")) == [], "the run left processes running"
