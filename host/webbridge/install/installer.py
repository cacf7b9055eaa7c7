"""Install and uninstall the native-messaging host: launcher, one manifest per target, registry keys, record.

Where each file goes is planned in :mod:`.targets`; this module writes and removes them. A system launcher
pins the interpreter but not ``WEBBRIDGE_HOME`` unless it was set, so each user's browser reaches that
user's daemon. ``doctor --fix`` repairs through the same writes (:func:`write_launcher`,
:func:`write_target`, :func:`save_record`).

Both operations are idempotent and return the list of what they did. ``install`` also rewrites every
manifest recorded by an earlier install, so that all of them and their launchers agree on the interpreter
and the extension ids. ``uninstall`` removes exactly what the install record lists.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from webbridge import paths as paths_mod
from webbridge.install import launcher as launcher_mod
from webbridge.install import manifest as manifest_mod
from webbridge.install._fs import atomic_write, make_dirs, remove_empty_dirs
from webbridge.install.browsers import Machine
from webbridge.install.record import FileEntry, InstallRecord, RegistryEntry, Scope
from webbridge.install.registry import Registry, default_registry
from webbridge.install.targets import (
    Target,
    UsageError,
    default_browsers,
    launcher_file,
    launcher_scope,
    plan_targets,
    recorded_targets,
    validate_ids,
)
from webbridge.paths import HOME_ENV, Paths

__all__ = [
    "Action",
    "InstallResult",
    "Target",
    "UninstallResult",
    "UsageError",
    "default_browsers",
    "install",
    "install_for_profile",
    "plan_targets",
    "uninstall",
]


@dataclass(frozen=True)
class Action:
    """One thing install/uninstall/fix did (or found already done)."""

    verb: Literal[
        "created",
        "updated",
        "unchanged",
        "removed",
        "absent",
        "set",
        "deleted",
        "rmdir",
        "moved",
        "started",
        "failed",
    ]
    what: Literal["launcher", "manifest", "registry", "record", "dir", "daemon"]
    target: str
    browser: str | None = None

    def __str__(self) -> str:
        suffix = f"  [{self.browser}]" if self.browser else ""
        return f"{self.verb:<9} {self.what:<8} {self.target}{suffix}"


@dataclass
class InstallResult:
    actions: list[Action] = field(default_factory=list)
    record: Path | None = None
    launcher: Path | None = None
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(a.verb not in ("unchanged", "absent") for a in self.actions)


@dataclass
class UninstallResult:
    actions: list[Action] = field(default_factory=list)
    record: Path | None = None
    notes: list[str] = field(default_factory=list)


# --- writing (shared with doctor --fix) -----------------------------------------------------------------


def pinned_home(machine: Machine) -> str | None:
    """``WEBBRIDGE_HOME`` as the launcher should export it (absolute), or ``None`` when it is not set."""
    value = machine.env.get(HOME_ENV)
    return str(Path(value).expanduser().absolute()) if value else None


def write_launcher(record: InstallRecord, *, scope: Scope, machine: Machine, paths: Paths) -> list[Action]:
    """Write the launcher for ``scope`` as ``record`` describes it; note it and new folders in ``record``."""
    path = launcher_file(scope, machine, paths)
    record.add_dirs(make_dirs(path.parent))
    existed = path.exists()
    spec = launcher_mod.LauncherSpec.for_ids(Path(record.python), record.extension_ids, record.webbridge_home)
    changed = launcher_mod.write(path, spec, machine.platform)
    record.add_file(FileEntry(str(path), "launcher", None, launcher_scope(scope)))
    verb: Literal["created", "updated", "unchanged"] = (
        ("updated" if existed else "created") if changed else "unchanged"
    )
    return [Action(verb, "launcher", str(path))]


def write_target(
    target: Target, record: InstallRecord, *, machine: Machine, paths: Paths, registry: Registry | None
) -> list[Action]:
    """Write ``target``'s manifest (and registry key) for its launcher and ``record``'s ids; note them in it.

    Writes the launcher first when it is not there yet.
    """
    actions: list[Action] = []
    launcher = launcher_file(target.scope, machine, paths)
    if not launcher.exists():
        actions += write_launcher(record, scope=target.scope, machine=machine, paths=paths)
    data = manifest_mod.build(launcher, record.extension_ids)
    record.add_dirs(make_dirs(target.manifest.parent))
    existed = target.manifest.exists()
    changed = atomic_write(target.manifest, manifest_mod.render(data), mode=0o644)
    verb: Literal["created", "updated", "unchanged"] = (
        ("updated" if existed else "created") if changed else "unchanged"
    )
    actions.append(Action(verb, "manifest", str(target.manifest), target.browser))
    shared = machine.platform == "win32"  # one manifest file serves every browser's registry key
    record.add_file(
        FileEntry(str(target.manifest), "manifest", None if shared else target.browser, target.scope)
    )
    if target.scope == "profile":
        record.add_user_data_dir(target.manifest.parent.parent)
    if target.registry is not None:
        if registry is None:
            raise UsageError("no Windows registry available to register the host")
        hive, key = target.registry
        value = str(target.manifest)
        if registry.get_default(hive, key) == value:
            actions.append(Action("unchanged", "registry", f"{hive}\\{key}", target.browser))
        else:
            registry.set_default(hive, key, value)
            actions.append(Action("set", "registry", f"{hive}\\{key}", target.browser))
        assert target.browser is not None
        record.add_registry(RegistryEntry(hive, key, value, target.browser, target.scope))
    return actions


def save_record(record: InstallRecord, paths: Paths) -> None:
    record.add_dirs(make_dirs(paths.install_record.parent))
    record.save(paths.install_record)


# --- the two operations ---------------------------------------------------------------------------------


def install(
    browsers: Sequence[str],
    *,
    system: bool = False,
    extension_ids: Sequence[str] = (),
    user_data_dir: Path | None = None,
    home: Path,
    platform: str,
    paths: Paths,
    registry: Registry | None = None,
    env: Mapping[str, str] | None = None,
    system_root: Path | None = None,
    python: Path | None = None,
) -> InstallResult:
    """Write the launcher, one manifest per target (plus registry keys on Windows) and the install record.

    ``browsers`` are keys from :data:`browsers.ALL` (may be empty when ``user_data_dir`` is given);
    ``extension_ids`` are *extra* ids, :data:`meta.EXTENSION_ID` is always allowed. ``python`` is the
    interpreter the launcher runs (default: this one). ``env`` (default ``os.environ``) supplies
    ``WEBBRIDGE_HOME``, which the launcher pins when set. Manifests recorded by an earlier install are
    rewritten too. Idempotent: a repeat reports ``unchanged``.

    Raises :class:`UsageError` for a bad request and ``OSError`` (often ``PermissionError`` with
    ``system=True``) when a write fails; the record then still lists what was written before the failure.
    """
    machine = Machine.create(home=home, platform=platform, env=env, system_root=system_root)
    if registry is None:
        registry = default_registry(machine.platform)
    ids = validate_ids(extension_ids)
    targets = plan_targets(browsers, system=system, user_data_dir=user_data_dir, machine=machine, paths=paths)
    if not targets:
        raise UsageError("nothing to install: name a browser or --user-data-dir")

    record = InstallRecord.load(paths.install_record) or InstallRecord()
    record.python = str(python or launcher_mod.resolve_python(sys.executable))
    record.webbridge_home = pinned_home(machine)
    record.extension_ids = ids
    result = InstallResult(record=paths.install_record, targets=targets)
    earlier = [t for t in recorded_targets(record) if t not in targets]
    scopes = list(dict.fromkeys(launcher_scope(t.scope) for t in targets))
    result.launcher = launcher_file(scopes[0], machine, paths)
    try:
        for scope in scopes:
            result.actions += write_launcher(record, scope=scope, machine=machine, paths=paths)
        for target in targets:
            result.actions += write_target(target, record, machine=machine, paths=paths, registry=registry)
        # Keep what an earlier install wrote in step (same interpreter, same ids); never fail the install.
        for scope in dict.fromkeys(
            launcher_scope(t.scope) for t in earlier if launcher_scope(t.scope) not in scopes
        ):
            try:
                result.actions += write_launcher(record, scope=scope, machine=machine, paths=paths)
            except OSError as exc:
                result.notes.append(f"could not refresh the {scope} launcher: {exc}")
        for target in earlier:
            if target.scope == "profile" and not target.manifest.parent.parent.is_dir():
                result.notes.append(f"skipped {target.manifest}: its profile folder is gone")
                continue
            try:
                result.actions += write_target(
                    target, record, machine=machine, paths=paths, registry=registry
                )
            except OSError as exc:
                result.notes.append(f"could not refresh {target.manifest}: {exc}")
    finally:
        if record.files:
            save_record(record, paths)
    if machine.platform == "linux" and user_data_dir is None and not system:
        result.notes.append(
            "a browser started with --user-data-dir=DIR reads DIR/NativeMessagingHosts instead: "
            "use `webbridge install --user-data-dir DIR` (or --system) for such profiles"
        )
    return result


def uninstall(
    *,
    home: Path,
    platform: str,
    paths: Paths,
    registry: Registry | None = None,
    env: Mapping[str, str] | None = None,
    system_root: Path | None = None,
) -> UninstallResult:
    """Remove exactly what the install record lists (registry keys, manifests, launcher, then the record and
    the folders install created, if empty). Idempotent: without a record there is nothing to do.

    Raises ``OSError`` when a removal fails (the record is then kept, minus nothing, so a retry can finish).
    """
    machine = Machine.create(home=home, platform=platform, env=env, system_root=system_root)
    result = UninstallResult(record=paths.install_record)
    record = InstallRecord.load(paths.install_record)
    if record is None:
        result.notes.append(f"nothing to uninstall: no install record at {paths.install_record}")
        return result
    if record.registry and registry is None:
        registry = default_registry(machine.platform)
    for reg in record.registry:
        if registry is None:
            raise UsageError("the install record lists registry keys but no registry is available")
        deleted = registry.delete_key(reg.hive, reg.key)
        verb: Literal["deleted", "absent"] = "deleted" if deleted else "absent"
        result.actions.append(Action(verb, "registry", f"{reg.hive}\\{reg.key}", reg.browser))
    # Manifests before the launcher, so no browser ever reads a manifest whose launcher is already gone.
    for entry in sorted(record.files, key=lambda f: f.role == "launcher"):
        path = Path(entry.path)
        try:
            path.unlink()
        except FileNotFoundError:
            result.actions.append(Action("absent", entry.role, entry.path, entry.browser))
        else:
            result.actions.append(Action("removed", entry.role, entry.path, entry.browser))
    with contextlib.suppress(FileNotFoundError):
        paths.install_record.unlink()
    result.actions.append(Action("removed", "record", str(paths.install_record)))
    for folder in remove_empty_dirs([Path(d) for d in record.dirs]):
        result.actions.append(Action("rmdir", "dir", str(folder)))
    return result


def install_for_profile(
    user_data_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    extension_ids: Sequence[str] = (),
) -> InstallResult:
    """Register the host for one browser profile folder (what a test harness starting Chromium with
    ``--user-data-dir`` needs), with the environment the browser will get: ``os.environ`` updated by ``env``.

    Uses this interpreter; ``WEBBRIDGE_HOME`` from that environment is pinned in the launcher and chooses
    where the launcher and the install record go. Raises like :func:`install`.
    """
    effective = {**os.environ, **(env or {})}
    home = Path(effective.get("HOME") or effective.get("USERPROFILE") or Path.home())
    return install(
        [],
        user_data_dir=user_data_dir,
        extension_ids=extension_ids,
        home=home,
        platform=sys.platform,
        paths=paths_mod.resolve(effective),
        env=effective,
    )
