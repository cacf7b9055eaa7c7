"""The scripted model server as a process, and a WebBridge home whose daemon uses it (for tests where the
daemon is a separate process: the CLI's process tests and the side panel's end-to-end tests)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..conftest import WbEnv

API_KEY = "sk-scripted-test"
MODEL = "scripted-model"


@contextmanager
def model_server(*args: str, what: str = "model server") -> Iterator[str]:
    """Run ``python -m webbridge.testing.model_server`` with ``args``; yields its base URL. On exit it is
    stopped with SIGTERM and must exit 0 (else the test fails with its stderr, naming it ``what``)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "webbridge.testing.model_server", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), f"the model server said {url!r}"
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, f"the {what} saw a problem:\n{err}"


@contextmanager
def scripted_model(tmp_path: Path, steps: list[dict[str, Any]], port: int = 0) -> Iterator[str]:
    """The model server with ``steps`` (on ``port``, 0: one the OS picks); yields its base URL. On exit it
    must exit 0: every step used, no unexpected call (its stderr says which)."""
    script = tmp_path / "script.json"
    script.write_text(json.dumps(steps))
    with model_server("--script", str(script), "--api-key", API_KEY, "--port", str(port),
                      what="scripted model server") as url:  # fmt: skip
        yield url


def tool_call(call_id: str, name: str, **arguments: object) -> dict[str, object]:
    """A scripted model reply that calls one tool: ``{"tool_calls": [{id, name, arguments}]}``."""
    return {"tool_calls": [{"id": call_id, "name": name, "arguments": arguments}]}


#: For tests that are not about the policy: every action class allowed (irreversible verbs, unknown
#: elements and data flows still ask: those are not rules). Policy tests pass their own text or ``None``.
ALLOW_ALL_POLICY = """\
mode = "grants"
[defaults]
read = "allow"
navigate = "allow"
interact = "allow"
type = "allow"
submit = "allow"
upload = "allow"
download = "allow"
script = "allow"
network = "allow"
file_read = "allow"
file_write = "allow"
schedule = "allow"
spawn = "allow"
"""


def write_policy(wb: WbEnv, text: str | None) -> None:
    """Write ``text`` as the policy file of ``wb``'s home (``None``: remove it, the shipped defaults)."""
    from webbridge.paths import ensure_private_dir
    from webbridge.policy.locations import policy_file

    path = policy_file(wb.paths)
    if text is None:
        path.unlink(missing_ok=True)
        return
    ensure_private_dir(path.parent)
    path.write_text(text, encoding="utf-8")


def use_model(wb: WbEnv, url: str, *, policy: str | None = ALLOW_ALL_POLICY, **settings: str) -> None:
    """Point ``wb``'s daemon (started after this) at the scripted server; ``settings`` are more
    ``WEBBRIDGE_*`` values (e.g. ``max_steps="3"``). ``policy``: the home's policy file (default: allow
    every action class, for tests that are not about the policy; ``None``: the shipped defaults). An
    approval nobody answers is denied after 10 s unless ``approval_timeout_s`` says otherwise."""
    write_policy(wb, policy)
    wb.env.update({
        "WEBBRIDGE_MODEL_PRESET": "openai",
        "WEBBRIDGE_MODEL_BASE_URL": f"{url}/v1",
        "WEBBRIDGE_MODEL": MODEL,
        "OPENAI_API_KEY": API_KEY,
        "WEBBRIDGE_APPROVAL_TIMEOUT_S": "10",
        **{f"WEBBRIDGE_{k.upper()}": v for k, v in settings.items()},
    })  # fmt: skip


def requests_seen(url: str) -> int:
    """How many calls the scripted server has received (its state endpoint)."""
    with urllib.request.urlopen(f"{url}/__scripted__/state", timeout=10) as res:
        return len(json.load(res)["requests"])


def wait_until(predicate: Any, timeout: float = 30.0, what: str = "condition") -> None:
    """Poll a cross-process condition that has no event to wait on, with a deadline."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
