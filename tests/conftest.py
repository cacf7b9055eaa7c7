"""Shared fixtures: a private WebBridge home per test, and the real daemon as a process.

Tests never touch the real user's home or browser profiles: HOME and WEBBRIDGE_HOME point into tmp_path.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from webbridge import localsock
from webbridge.daemon.lock import read_pid
from webbridge.paths import Paths, resolve


@dataclass
class WbEnv:
    root: Path
    env: dict[str, str]

    @property
    def paths(self) -> Paths:
        return resolve(self.env)

    def run(
        self, *args: str, timeout: float = 60, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the real `webbridge` CLI in this environment."""
        proc = subprocess.run(
            [sys.executable, "-m", "webbridge", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"webbridge {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def daemon_pid(self) -> int | None:
        return read_pid(self.paths.pid_file)

    def wait_daemon(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                localsock.connect(self.paths, timeout=0.5)[0].close()
                return
            except localsock.Unavailable:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.02)  # no cross-process event for "socket is listening"

    def kill_daemon(self, sig: int = signal.SIGKILL) -> int | None:
        pid = self.daemon_pid()
        if pid and not exited(pid):
            os.kill(pid, sig)
            deadline = time.monotonic() + 10
            while not exited(pid) and time.monotonic() < deadline:
                time.sleep(0.01)
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        return pid


def exited(pid: int) -> bool:
    """Whether ``pid`` has ended. A detached daemon is reaped by init, which may take its time: a zombie
    has exited too."""
    if not localsock.pid_alive(pid):
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no procfs (macOS): trust pid_alive
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def make_wb(root: Path) -> WbEnv:
    """A private WebBridge home under ``root`` (HOME and WEBBRIDGE_HOME inside it)."""
    home = root / "home"
    home.mkdir(parents=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "WEBBRIDGE_HOME": str(root / "wbhome"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_RUNTIME_DIR": "",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("XDG_RUNTIME_DIR")
    return WbEnv(root, env)


@pytest.fixture
def wb(tmp_path: Path) -> Iterator[WbEnv]:
    w = make_wb(tmp_path / "wb")
    yield w
    w.kill_daemon(signal.SIGTERM)
    w.kill_daemon(signal.SIGKILL)


@pytest.fixture
def daemon(wb: WbEnv) -> Iterator[WbEnv]:
    """A running daemon in ``wb``'s home, started the way a user would (`webbridge daemon start`)."""
    wb.run("daemon", "start")
    wb.wait_daemon()
    yield wb
