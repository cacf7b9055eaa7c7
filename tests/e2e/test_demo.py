"""The README's main command: `webbridge demo` in real headless Chromium, as a new user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import WbEnv

pytestmark = pytest.mark.e2e


def test_demo_pairs_and_writes_the_result(wb: WbEnv, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    env = {k: v for k, v in wb.env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run(
        [sys.executable, "-m", "webbridge", "demo", "--yes", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "headless: no display found" in proc.stdout
    assert f"Result written to {out}" in proc.stdout
    result = json.loads(out.read_text())
    titles = [t["title"] for t in result["tabs"]]
    assert "Acme portal — Inbox" in titles
    assert result["pairing_id"].startswith("p-")
    assert result["browser"]["browser"] == "Chromium"


def test_demo_refuses_when_the_user_does_not_confirm(wb: WbEnv, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    proc = subprocess.run(
        [sys.executable, "-m", "webbridge", "demo", "--headless", "--out", str(out)],
        env=wb.env, capture_output=True, text=True, timeout=180, input="n\n",
    )
    assert proc.returncode == 1
    assert "pairing rejected" in proc.stdout
    assert not out.exists()
