"""The README's main command: `webbridge demo` in real headless Chromium, as a new user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import WbEnv

pytestmark = pytest.mark.e2e


def test_demo_runs_the_task_to_its_file_without_a_key(wb: WbEnv, tmp_path: Path) -> None:
    out = tmp_path / "result.md"
    unset = ("DISPLAY", "WAYLAND_DISPLAY", "WEBBRIDGE_MODEL_PRESET")
    env = {k: v for k, v in wb.env.items() if k not in unset and not k.endswith("_API_KEY")}
    proc = subprocess.run(
        [sys.executable, "-m", "webbridge", "demo", "--yes", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "headless: no display found" in proc.stdout
    assert "running the task as the saved workflow 'open-invoices'" in proc.stdout
    # Steps stream as they happen, ending with the run's answer.
    assert "→ click(ref=" in proc.stdout and "✓ write_file" in proc.stdout
    assert "done after" in proc.stdout
    assert f"Result written to {out}" in proc.stdout
    table = out.read_text(encoding="utf-8")
    # The agent worked in the portal session the user signed in to, and filtered in the page.
    assert table.startswith("# Open invoices")
    for number in ("INV-1041", "INV-1043", "INV-1045"):
        assert f"| {number} |" in table
    for number in ("INV-1042", "INV-1044", "INV-1046"):
        assert number not in table
    assert "| Invoice | Customer | Amount (EUR) | Status | Due |" in table


def test_demo_gives_the_goal_to_a_configured_model(wb: WbEnv, tmp_path: Path) -> None:
    """With a model configured, the same goal goes to the agent: here an OpenAI-compatible server on
    loopback whose replies are decided from the tool results (tests/e2e/demo_agent.py)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "webbridge.testing.model_server", "--handler", "tests.e2e.demo_agent:agent",
         "--api-key", "sk-demo", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        env = {k: v for k, v in wb.env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env.update({"WEBBRIDGE_MODEL_PRESET": "openai", "WEBBRIDGE_MODEL_BASE_URL": f"{url}/v1",
                    "WEBBRIDGE_MODEL": "demo-model", "OPENAI_API_KEY": "sk-demo"})  # fmt: skip
        out = tmp_path / "agent.md"
        proc = subprocess.run(
            [sys.executable, "-m", "webbridge", "demo", "--yes", "--out", str(out)],
            env=env, capture_output=True, text=True, timeout=240,
        )
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Task for the agent:" in proc.stdout and "saved workflow" not in proc.stdout
    assert "(model openai:demo-model" in proc.stdout
    table = out.read_text(encoding="utf-8")
    assert "| INV-1043 |" in table and "INV-1042" not in table


def test_demo_refuses_when_the_user_does_not_confirm(wb: WbEnv, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    proc = subprocess.run(
        [sys.executable, "-m", "webbridge", "demo", "--headless", "--out", str(out)],
        env=wb.env, capture_output=True, text=True, timeout=180, input="n\n",
    )
    assert proc.returncode == 1
    assert "pairing rejected" in proc.stdout
    assert not out.exists()
