"""A fake computer for installer and doctor tests: a Linux, macOS or Windows home inside a temporary folder.

Usage::

    m = FakeMachine.create(tmp_path, "darwin")
    m.add_browser("chrome")                       # its user data folder now exists, so it is "detected"
    result = install(["chrome"], **m.kwargs())
    checks = run_checks(probe_daemon=lambda: {...}, **m.kwargs())

Nothing touches the real home, the real ``/etc`` or the real registry: ``PATH`` is empty, the system root is a
folder under ``tmp``, ``WEBBRIDGE_HOME`` points into ``tmp`` and Windows gets a :class:`FakeRegistry`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webbridge import paths as paths_mod
from webbridge.install.browsers import Machine, by_key, normalize_platform
from webbridge.install.registry import FakeRegistry

__all__ = ["FakeMachine"]


@dataclass
class FakeMachine:
    root: Path
    home: Path
    platform: str
    env: dict[str, str]
    paths: paths_mod.Paths
    system_root: Path
    registry: FakeRegistry | None = field(default=None)

    @classmethod
    def create(cls, tmp: Path, platform: str = "linux") -> FakeMachine:
        home = tmp / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = {"WEBBRIDGE_HOME": str(tmp / "webbridge-home"), "PATH": ""}
        if normalize_platform(platform) == "win32":
            env["LOCALAPPDATA"] = str(home / "AppData" / "Local")
        system_root = tmp / "system-root"
        registry = FakeRegistry() if normalize_platform(platform) == "win32" else None
        return cls(tmp, home, platform, env, paths_mod.resolve(env, platform), system_root, registry)

    @property
    def machine(self) -> Machine:
        return Machine.create(
            home=self.home, platform=self.platform, env=self.env, system_root=self.system_root
        )

    def kwargs(self) -> dict[str, Any]:
        """``home``, ``platform``, ``paths``, ``registry``, ``env`` and ``system_root`` for the public API."""
        return {
            "home": self.home,
            "platform": self.platform,
            "paths": self.paths,
            "registry": self.registry,
            "env": self.env,
            "system_root": self.system_root,
        }

    def add_browser(self, key: str) -> Path:
        """Make a browser look installed (its user data folder exists); returns that folder."""
        folder = by_key(key).user_data_dir(self.machine)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def files(self) -> list[Path]:
        """Every file under the fake machine's root, for "uninstall leaves nothing" assertions."""
        return sorted(p for p in self.root.rglob("*") if p.is_file())
