"""One frozen settings object: defaults, then ``config.toml``, then the environment.

Errors name the field and where the bad value came from. Paths come from :mod:`webbridge.paths`
(``WEBBRIDGE_HOME`` moves everything, which tests and the demo use).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .paths import Paths, resolve

ENV_PREFIX = "WEBBRIDGE_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Settings:
    paths: Paths
    log_level: str = "INFO"
    #: Log page content, prompts and message bodies. Off by default: logs never carry user data.
    log_content: bool = False
    #: Default deadline of a request over a bridge, in seconds.
    request_timeout: float = 30.0
    #: At most this many requests in flight per bridge before callers get ``busy``.
    max_in_flight: int = 256
    #: At most this many browsers and profiles connected at once.
    max_bridges: int = 64
    #: A pairing waiting for the user's confirmation expires after this many seconds.
    pairing_timeout: float = 300.0
    #: The model runs use (``webbridge.agent.models.PRESETS``); ``model``/``model_base_url`` empty: the
    #: preset's default. API keys never live here: the preset's environment variable or the OS keyring.
    model_preset: str = "openai"
    model: str = ""
    model_base_url: str = ""
    #: Budgets of one run (the cost budget applies when the preset knows the model's price).
    max_steps: int = 50
    max_run_tokens: int = 2_000_000
    max_run_seconds: float = 1800.0
    max_run_cost_usd: float = 5.0
    #: At most this many runs at once.
    max_runs: int = 16
    #: An approval nobody answers within this many seconds is denied (the run goes on, told so). The
    #: policy itself lives in ``policy.toml`` next to this file (``webbridge policy show``).
    approval_timeout_s: float = 300.0
    #: The local HTTP + WebSocket API (``webbridge.api``, PROTOCOL.md §9): on by default, loopback only
    #: (``api_host`` 127.0.0.1 or ::1, anything else is a ConfigError); ``api_port`` 0: the OS picks.
    api_enabled: bool = True
    api_host: str = "127.0.0.1"
    api_port: int = 0

    @property
    def config_file(self) -> Path:
        return self.paths.config / "config.toml"


_TUNABLE = {
    "log_level": str,
    "log_content": bool,
    "request_timeout": float,
    "max_in_flight": int,
    "max_bridges": int,
    "pairing_timeout": float,
    "model_preset": str,
    "model": str,
    "model_base_url": str,
    "max_steps": int,
    "max_run_tokens": int,
    "max_run_seconds": float,
    "max_run_cost_usd": float,
    "max_runs": int,
    "approval_timeout_s": float,
    "api_enabled": bool,
    "api_host": str,
    "api_port": int,
}


def _coerce(name: str, value: Any, source: str) -> Any:
    kind = _TUNABLE[name]
    if name in ("api_host", "api_port"):  # loopback only (L1); port 0 lets the OS pick
        from .api.loopback import loopback_host, port_number

        where = f"{source}: {name}"
        return loopback_host(str(value), where) if name == "api_host" else port_number(value, where)
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if kind is str:
            if name != "log_level":
                return str(value).strip()
            text = str(value).upper()
            if text not in LOG_LEVELS:
                raise ValueError(value)
            return text
        if isinstance(value, bool):
            raise ValueError(value)
        number = kind(value)
        if number <= 0:
            raise ValueError(value)
        return number
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: {name} = {value!r} is not a valid {kind.__name__}") from exc


def load(env: dict[str, str] | None = None) -> Settings:
    """Build the settings. Raises :class:`ConfigError` naming the field on a bad value."""
    env = dict(os.environ) if env is None else env
    settings = Settings(paths=resolve(env))
    changes: dict[str, Any] = {}
    path = settings.config_file
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        daemon = data.get("daemon", {})
        if not isinstance(daemon, dict):
            raise ConfigError(f"{path}: [daemon] must be a table")
        for key, value in daemon.items():
            if key not in _TUNABLE:
                raise ConfigError(f"{path}: unknown setting daemon.{key}")
            changes[key] = _coerce(key, value, str(path))
    for name in _TUNABLE:
        env_name = ENV_PREFIX + name.upper()
        if env_name in env:
            changes[name] = _coerce(name, env[env_name], f"environment {env_name}")
    return replace(settings, **changes)


__all__ = ["Settings", "load"]
