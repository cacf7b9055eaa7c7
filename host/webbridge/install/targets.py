"""Where the host's files go: the targets of an install request or of an earlier install, and the launcher
each target's manifest points at. Pure: computes paths, reads nothing but the machine's facts, writes nothing.

A *target* is one place a browser looks for our manifest: a browser's per-user folder, its system folder
(``--system``), or ``DIR/NativeMessagingHosts`` for a browser started with ``--user-data-dir=DIR``. On
Windows a target is a registry key (HKCU, or HKLM with ``--system``) whose default value is the path of a
manifest file we keep in our own data folder.

Manifests point at a launcher (see :mod:`.launcher`): per-user targets at the one in our data folder,
system targets at a system-wide one (``/usr/local/lib/webbridge``, ``/Library/Application Support/WebBridge``,
``C:\\ProgramData\\WebBridge``) that every user of the machine can reach.

:mod:`.installer` writes and removes what is planned here; :mod:`.doctor` checks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from webbridge import meta
from webbridge.install import launcher as launcher_mod
from webbridge.install import manifest as manifest_mod
from webbridge.install.browsers import ALL, NMH_DIR, Machine, by_key, detected
from webbridge.install.record import InstallRecord, Scope
from webbridge.install.registry import Hive
from webbridge.paths import Paths

__all__ = [
    "Target",
    "UsageError",
    "default_browsers",
    "launcher_file",
    "launcher_scope",
    "plan_targets",
    "recorded_targets",
    "validate_ids",
    "windows_manifest",
]


class UsageError(ValueError):
    """The request itself is wrong (unknown browser, bad extension id, option not valid on this OS)."""


@dataclass(frozen=True)
class Target:
    """One place a browser will look for our manifest."""

    browser: str | None  # None for a --user-data-dir folder (any Chromium-family browser)
    scope: Scope
    manifest: Path
    registry: tuple[Hive, str] | None = None  # Windows: (hive, key) whose default value is `manifest`

    @property
    def label(self) -> str:
        return self.browser or "profile"


def default_browsers(machine: Machine) -> list[str]:
    """The browsers ``install`` targets when none are named: all detected ones, else Chromium."""
    return [b.key for b in detected(machine)] or ["chromium"]


def windows_manifest(scope: Scope, machine: Machine, paths: Paths) -> Path:
    """Windows keeps one manifest per scope in a folder of ours; the registry keys point at it."""
    if scope == "system":
        base = machine.system_root / "ProgramData" / "WebBridge"
    else:
        base = paths.data
    return base / NMH_DIR / manifest_mod.file_name()


def plan_targets(
    browsers: Sequence[str],
    *,
    system: bool,
    user_data_dir: Path | None,
    machine: Machine,
    paths: Paths,
) -> list[Target]:
    """The targets for an install request. Raises :class:`UsageError`."""
    name = manifest_mod.file_name()
    scope: Scope = "system" if system else "user"
    targets: list[Target] = []
    for key in dict.fromkeys(browsers):
        if key not in ALL:
            raise UsageError(f"unknown browser {key!r} (choose from {', '.join(ALL)})")
        browser = by_key(key)
        if machine.platform == "win32":
            hive: Hive = "HKLM" if system else "HKCU"
            reg_key = browser.registry_key(meta.HOST_NAME)
            targets.append(Target(key, scope, windows_manifest(scope, machine, paths), (hive, reg_key)))
            continue
        folder = browser.system_manifest_dir(machine) if system else browser.user_manifest_dir(machine)
        assert folder is not None  # only None on Windows
        targets.append(Target(key, scope, folder / name))
    if user_data_dir is not None:
        if machine.platform == "win32":
            raise UsageError("--user-data-dir is not used on Windows: the registry serves every profile")
        folder = Path(user_data_dir).expanduser().absolute()
        targets.append(Target(None, "profile", folder / NMH_DIR / name))
    return targets


def recorded_targets(record: InstallRecord) -> list[Target]:
    """The targets an earlier install wrote, rebuilt from its record."""
    targets: list[Target] = []
    for reg in record.registry:
        targets.append(Target(reg.browser, reg.scope, Path(reg.value), (reg.hive, reg.key)))
    if not record.registry:
        for entry in record.files:
            if entry.role == "manifest":
                targets.append(Target(entry.browser, entry.scope, Path(entry.path)))
    return targets


def validate_ids(extension_ids: Sequence[str]) -> list[str]:
    """:data:`meta.EXTENSION_ID` first, then the extra ids, deduplicated. Raises :class:`UsageError`."""
    for ext_id in extension_ids:
        if not meta.is_extension_id(ext_id):
            raise UsageError(f"not an extension id (32 letters a-p): {ext_id!r}")
    return list(dict.fromkeys([meta.EXTENSION_ID, *extension_ids]))


def launcher_scope(scope: Scope) -> Scope:
    """Which launcher a target's manifest points at: the system one for system targets, else the user's."""
    return "system" if scope == "system" else "user"


def launcher_file(scope: Scope, machine: Machine, paths: Paths) -> Path:
    """The launcher for targets of ``scope``."""
    if launcher_scope(scope) == "user":
        folder = paths.launcher_dir
    elif machine.platform == "win32":
        folder = machine.system_root / "ProgramData" / "WebBridge"
    elif machine.platform == "darwin":
        folder = machine.sys_path("/Library/Application Support/WebBridge")
    else:
        folder = machine.sys_path("/usr/local/lib/webbridge")
    return launcher_mod.launcher_path(folder, machine.platform)
