"""``webbridge doctor --fix``: repair what the checks found fixable.

Manifests and registry keys are rewritten through the installer (so the record lists them and ``uninstall``
removes them), the launcher is recreated, a conflicting manifest is moved aside to
``<file>.disabled-by-webbridge`` (the browser only reads ``*.json``), and the daemon is started. Never raises
for a failed repair: each one becomes a ``failed`` action.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from webbridge.errors import ConfigError, WebBridgeError
from webbridge.install import launcher as launcher_mod
from webbridge.install.browsers import Machine
from webbridge.install.checks import Check
from webbridge.install.installer import Action, pinned_home, save_record, write_launcher, write_target
from webbridge.install.record import InstallRecord
from webbridge.install.registry import Registry, default_registry
from webbridge.paths import Paths

__all__ = ["DISABLED_SUFFIX", "StartDaemon", "fix"]

DISABLED_SUFFIX = ".disabled-by-webbridge"

#: Starts the daemon; raises WebBridgeError or OSError when it cannot.
StartDaemon = Callable[[], object]


def fix(
    checks: Sequence[Check],
    *,
    home: Path,
    platform: str,
    paths: Paths,
    registry: Registry | None = None,
    env: Mapping[str, str] | None = None,
    system_root: Path | None = None,
    start_daemon: StartDaemon | None = None,
    python: Path | None = None,
) -> list[Action]:
    """Repair every fixable, non-ok check; return what was done (``failed`` actions say what could not be).

    Manifests and registry keys are rewritten through the installer (so the record lists them and
    ``uninstall`` removes them); the launcher is rewritten with the recorded Python, or ``python`` (default:
    this interpreter) when that one is gone; conflicting manifests are renamed to ``*.disabled-by-webbridge``;
    the daemon is started with ``start_daemon`` (default ``webbridge.daemon.client.start(paths)``).
    Never raises for a failed repair. Run :func:`~webbridge.install.doctor.run_checks` again to see the
    result.
    """
    machine = Machine.create(home=home, platform=platform, env=env, system_root=system_root)
    if registry is None:
        registry = default_registry(machine.platform)
    todo = [c for c in checks if c.fixable and c.status != "ok"]
    actions: list[Action] = []
    if not todo:
        return actions

    try:
        record = InstallRecord.load(paths.install_record)
    except ConfigError as exc:
        return [Action("failed", "record", f"{paths.install_record}: {exc.message}")]
    if record is None:
        record = InstallRecord(webbridge_home=pinned_home(machine))
    if not record.python or not Path(record.python).is_file():
        record.python = str(python or launcher_mod.resolve_python(sys.executable))

    touched = False
    scopes = dict.fromkeys(c.scope for c in todo if c.id.startswith("launcher.") and c.scope)
    targets = list(dict.fromkeys(c.target for c in todo if c.target is not None))
    try:
        for scope in scopes:
            try:
                actions += write_launcher(record, scope=scope, machine=machine, paths=paths)
                touched = True
            except OSError as exc:
                actions.append(Action("failed", "launcher", f"{scope} launcher: {exc}"))
        for target in targets:
            try:
                actions += write_target(target, record, machine=machine, paths=paths, registry=registry)
                touched = True
            except (OSError, ValueError) as exc:
                actions.append(Action("failed", "manifest", f"{target.manifest}: {exc}", target.browser))
    finally:
        if touched:
            try:
                save_record(record, paths)
            except OSError as exc:
                actions.append(Action("failed", "record", f"{paths.install_record}: {exc}"))

    for check in todo:
        if check.id == "manifest.conflict" and check.path:
            actions.append(_move_aside(Path(check.path), check.browser))

    if any(c.id == "daemon" for c in todo):
        actions.append(_start(start_daemon, paths))
    return actions


def _move_aside(path: Path, browser: str | None) -> Action:
    dest = path.with_name(path.name + DISABLED_SUFFIX)
    n = 1
    while dest.exists():
        n += 1
        dest = path.with_name(f"{path.name}{DISABLED_SUFFIX}.{n}")
    try:
        os.replace(path, dest)
    except OSError as exc:
        return Action("failed", "manifest", f"{path}: {exc}", browser)
    return Action("moved", "manifest", f"{path} -> {dest}", browser)


def _start(start_daemon: StartDaemon | None, paths: Paths) -> Action:
    if start_daemon is None:
        try:
            from webbridge.daemon import client  # lazy: doctor must work without the daemon's dependencies
        except ImportError as exc:
            return Action("failed", "daemon", f"daemon client unavailable ({exc})")
        start_daemon = lambda: client.start(paths)  # noqa: E731
    try:
        start_daemon()
    except (WebBridgeError, OSError) as exc:
        return Action("failed", "daemon", exc.message if isinstance(exc, WebBridgeError) else str(exc))
    return Action("started", "daemon", "webbridge daemon")
