"""Where WebBridge keeps its files (standard library only, so the relay can import it).

``WEBBRIDGE_HOME`` overrides everything: config, data, state and runtime folders all live under it. Tests and
the demo use it so they never touch a real user's home. Without it the usual per-OS folders are used
(XDG on Linux, ``~/Library/Application Support`` on macOS, ``%LOCALAPPDATA%`` on Windows), matching what
platformdirs would pick for the daemon's config (see :mod:`webbridge.config`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

APP = "webbridge"
HOME_ENV = "WEBBRIDGE_HOME"


@dataclass(frozen=True)
class Paths:
    config: Path  # settings and the pairing key file
    data: Path  # SQLite store and other durable data
    state: Path  # logs, lock and pid files
    runtime: Path  # the local socket (0700)

    @property
    def socket(self) -> Path:
        return self.runtime / "daemon.sock"

    @property
    def port_file(self) -> Path:
        """Windows: the loopback port and token of the daemon."""
        return self.runtime / "daemon.port"

    @property
    def api_token(self) -> Path:
        """The local API's bearer token (0600, next to the socket in the 0700 runtime folder)."""
        return self.runtime / "api.token"

    @property
    def api_port_file(self) -> Path:
        """Where the running daemon's local API listens (JSON, 0600); gone when the daemon stops."""
        return self.runtime / "api.json"

    @property
    def lock(self) -> Path:
        return self.state / "daemon.lock"

    @property
    def pid_file(self) -> Path:
        return self.state / "daemon.pid"

    @property
    def log_dir(self) -> Path:
        return self.state / "logs"

    @property
    def keys(self) -> Path:
        return self.config / "pairings.json"

    @property
    def install_record(self) -> Path:
        return self.data / "install.json"

    @property
    def launcher_dir(self) -> Path:
        return self.data / "bin"


def resolve(env: dict[str, str] | None = None, platform: str | None = None) -> Paths:
    """Compute the folders for this user. Pure: creates nothing."""
    env = dict(os.environ) if env is None else env
    platform = platform or sys.platform
    home_override = env.get(HOME_ENV)
    if home_override:
        base = Path(home_override).expanduser().absolute()
        return Paths(base / "config", base / "data", base / "state", base / "run")
    home = Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
    if platform == "win32":
        local = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local") / "WebBridge"
        return Paths(local / "config", local / "data", local / "state", local / "run")
    if platform == "darwin":
        support = home / "Library" / "Application Support" / "WebBridge"
        return Paths(support, support / "data", home / "Library" / "Logs" / "WebBridge", support / "run")
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config") / APP
    data = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share") / APP
    state = Path(env.get("XDG_STATE_HOME") or home / ".local" / "state") / APP
    xdg_runtime = env.get("XDG_RUNTIME_DIR")
    runtime = Path(xdg_runtime) / APP if xdg_runtime else state / "run"
    return Paths(config, data, state, runtime)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it 0700 on POSIX. Idempotent."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        os.chmod(path, 0o700)
    return path
