"""``webbridge doctor``: name each broken link between the browser and the daemon, and repair what we can.

:func:`run_checks` looks, in order, at: the install record, which browsers are here, the launcher (present,
executable, its interpreter exists and can import the relay), every manifest target (each detected browser's
per-user folder, plus every system folder and ``--user-data-dir`` folder the record lists; on Windows the
registry key too), other manifests that claim our host name or list our extension id, the daemon, and
pairing. Every :class:`Check` says what is wrong and how to fix it by hand.

:func:`fix` repairs the fixable ones: rewrites manifests and registry keys, recreates the launcher, moves a
conflicting manifest aside to ``<file>.disabled-by-webbridge`` (the browser only reads ``*.json``), and starts
the daemon. Neither function raises for a broken installation: that is what they report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from webbridge import meta
from webbridge.errors import ConfigError, DaemonUnavailable, WebBridgeError
from webbridge.install import launcher as launcher_mod
from webbridge.install import manifest as manifest_mod
from webbridge.install.browsers import NMH_DIR, Machine, detected
from webbridge.install.conflicts import find_conflicts
from webbridge.install.installer import (
    Action,
    Target,
    launcher_file,
    launcher_scope,
    pinned_home,
    recorded_targets,
    save_record,
    windows_manifest,
    write_launcher,
    write_target,
)
from webbridge.install.record import InstallRecord, Scope
from webbridge.install.registry import Registry, default_registry
from webbridge.paths import Paths

__all__ = ["DISABLED_SUFFIX", "Check", "Status", "fix", "run_checks"]

Status = Literal["ok", "warn", "fail"]
DISABLED_SUFFIX = ".disabled-by-webbridge"
PAIR_HINT = "run `webbridge pair` and click Pair in the extension popup"
FIX_HINT = "run `webbridge doctor --fix`"

ProbeDaemon = Callable[[], Mapping[str, Any]]
StartDaemon = Callable[[], object]


@dataclass(frozen=True)
class Check:
    """One finding. ``fix`` is what a human would do; ``fixable`` says whether :func:`fix` can do it."""

    id: str
    browser: str | None
    status: Status
    message: str
    fix: str = ""
    fixable: bool = False
    path: str | None = None
    scope: Scope | None = None  # launcher checks: which launcher (user or system)
    target: Target | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "browser": self.browser,
            "status": self.status,
            "message": self.message,
            "fix": self.fix,
            "fixable": self.fixable,
            "path": self.path,
            "scope": self.scope or (self.target.scope if self.target else None),
        }


# --- checks -----------------------------------------------------------------------------------------------


def run_checks(
    *,
    home: Path,
    platform: str,
    paths: Paths,
    registry: Registry | None = None,
    env: Mapping[str, str] | None = None,
    system_root: Path | None = None,
    user_data_dirs: Sequence[Path] = (),
    probe_daemon: ProbeDaemon | None = None,
) -> list[Check]:
    """Check everything between the browser and the daemon. Never raises for what it finds broken.

    ``user_data_dirs`` adds ``--user-data-dir`` folders to those the install record lists. ``probe_daemon``
    returns the daemon's status (``{"version", "pairings", "bridges", ...}``) or raises
    :class:`DaemonUnavailable`; by default ``webbridge.daemon.client.probe(paths)``.
    """
    machine = Machine.create(home=home, platform=platform, env=env, system_root=system_root)
    if registry is None:
        registry = default_registry(machine.platform)
    checks: list[Check] = []

    record, record_check = _record_check(paths)
    checks.append(record_check)

    found = detected(machine)
    if found:
        checks.append(Check("browsers", None, "ok", "found " + ", ".join(b.label for b in found)))
    else:
        checks.append(
            Check(
                "browsers",
                None,
                "warn",
                "no Chrome, Edge, Chromium or Brave found for this user",
                "install one, or pass --user-data-dir DIR for a browser started with it",
            )
        )

    ids = record.extension_ids if record else [meta.EXTENSION_ID]
    planned = _doctor_targets(record, found, user_data_dirs, machine, paths)
    scopes = list(dict.fromkeys(launcher_scope(t.scope) for t, _ in planned)) or ["user"]
    launchers = {scope: launcher_file(scope, machine, paths) for scope in scopes}
    for scope, launcher in launchers.items():
        checks += _launcher_checks(launcher, scope, record, machine)
    for target, expected in planned:
        # A detected browser the user chose not to install for is only a warning; anything the record (or
        # --user-data-dir) names must be there.
        absent: Status = "fail" if expected or record is None else "warn"
        launcher = launcher_file(target.scope, machine, paths)
        checks += _target_checks(target, launcher, ids, machine, registry, absent)
    targets = [t for t, _ in planned]
    checks += _conflict_checks(targets, list(launchers.values()), ids, machine, registry)
    checks += _daemon_checks(probe_daemon, paths)
    return checks


def _record_check(paths: Paths) -> tuple[InstallRecord | None, Check]:
    where = str(paths.install_record)
    try:
        record = InstallRecord.load(paths.install_record)
    except ConfigError as exc:
        fix = f"move {where} aside and run `webbridge install`"
        return None, Check("install.record", None, "fail", exc.message, fix, path=where)
    if record is None:
        fix = "run `webbridge install` (or `webbridge doctor --fix`)"
        return None, Check(
            "install.record", None, "warn", "not installed (no install record)", fix, path=where
        )
    return record, Check("install.record", None, "ok", f"install record {where}", path=where)


def _launcher_checks(
    launcher: Path, scope: Scope, record: InstallRecord | None, machine: Machine
) -> list[Check]:
    def check(cid: str, status: Status, message: str, fix: str = "", fixable: bool = False) -> Check:
        return Check(cid, None, status, message, fix, fixable, str(launcher), scope=scope)

    if not launcher.is_file():
        return [check("launcher.present", "fail", f"launcher {launcher} is missing", FIX_HINT, True)]
    out = [check("launcher.present", "ok", f"launcher {launcher}")]
    if machine.platform != "win32":
        if launcher.stat().st_mode & 0o111 == 0:
            out.append(
                check(
                    "launcher.executable",
                    "fail",
                    f"launcher {launcher} is not executable",
                    f"chmod 755 {launcher} (or {FIX_HINT})",
                    True,
                )
            )
        else:
            out.append(check("launcher.executable", "ok", "launcher is executable"))
    try:
        text = launcher.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [*out, check("launcher.interpreter", "fail", f"cannot read {launcher}: {exc}", FIX_HINT, True)]
    interpreter = launcher_mod.interpreter_of(text, machine.platform)
    if interpreter is None:
        out.append(
            check(
                "launcher.interpreter", "fail", f"{launcher} does not start webbridge.relay", FIX_HINT, True
            )
        )
        return out
    if not interpreter.is_file():
        out.append(
            check(
                "launcher.interpreter",
                "fail",
                f"the launcher's Python {interpreter} does not exist",
                f"{FIX_HINT} (points it at {sys.executable})",
                True,
            )
        )
        return out
    out.append(check("launcher.interpreter", "ok", f"runs {interpreter}"))
    problem = _relay_import_problem(interpreter)
    if problem:
        out.append(
            check(
                "launcher.relay",
                "fail",
                f"{interpreter} cannot import webbridge.relay: {problem}",
                "reinstall WebBridge into that Python (installer/install.sh), then `webbridge install`",
            )
        )
    else:
        out.append(check("launcher.relay", "ok", "it can import webbridge.relay"))
    if record is not None and record.python:
        spec = launcher_mod.LauncherSpec.for_ids(
            Path(record.python), record.extension_ids, record.webbridge_home
        )
        if text.replace("\r\n", "\n") != launcher_mod.render(spec, machine.platform):
            out.append(
                check(
                    "launcher.current",
                    "warn",
                    "the launcher differs from what `webbridge install` "
                    "wrote (other Python, home or extension ids)",
                    FIX_HINT,
                    True,
                )
            )
    return out


def _relay_import_problem(interpreter: Path) -> str | None:
    """Whether ``interpreter`` can import the relay, which is what the browser will ask of it."""
    try:
        proc = subprocess.run(
            [str(interpreter), "-c", "import webbridge.relay"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if proc.returncode == 0:
        return None
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit code {proc.returncode}"


def _doctor_targets(
    record: InstallRecord | None,
    found: Iterable[Any],
    user_data_dirs: Sequence[Path],
    machine: Machine,
    paths: Paths,
) -> list[tuple[Target, bool]]:
    """``(target, expected)`` pairs: what the record lists and the asked-for ``--user-data-dir`` folders
    (expected), plus the per-user target of each detected browser the record does not cover (suggested)."""
    targets = recorded_targets(record) if record else []
    covered = {t.browser for t in targets if t.browser}
    expected = set(targets)
    name = manifest_mod.file_name()
    for browser in found:
        if browser.key in covered:
            continue
        if machine.platform == "win32":
            key = browser.registry_key(meta.HOST_NAME)
            targets.append(
                Target(browser.key, "user", windows_manifest("user", machine, paths), ("HKCU", key))
            )
        else:
            folder = browser.user_manifest_dir(machine)
            assert folder is not None
            targets.append(Target(browser.key, "user", folder / name))
    if machine.platform != "win32":
        for folder in user_data_dirs:
            manifest = Path(folder).expanduser().absolute() / NMH_DIR / name
            targets.append(Target(None, "profile", manifest))
            expected.add(targets[-1])
    unique: dict[tuple[Path, tuple[str, str] | None], Target] = {}
    for target in targets:
        unique.setdefault((target.manifest, target.registry), target)
    return [(t, t in expected) for t in unique.values()]


def _target_checks(
    target: Target,
    launcher: Path,
    ids: Sequence[str],
    machine: Machine,
    registry: Registry | None,
    absent: Status = "fail",
) -> list[Check]:
    where = f"{target.scope} " if target.scope != "user" else ""

    def check(cid: str, status: Status, message: str, fixable: bool = False, fix: str = "") -> Check:
        return Check(
            cid,
            target.browser,
            status,
            message,
            fix or (FIX_HINT if fixable else ""),
            fixable,
            str(target.manifest),
            target=target,
        )

    out: list[Check] = []
    if target.registry is not None:
        hive, key = target.registry
        value = registry.get_default(hive, key) if registry is not None else None
        if registry is None:
            out.append(check("registry.key", "fail", "the Windows registry is not available"))
        elif value is None:
            out.append(check("registry.key", absent, f"registry key {hive}\\{key} is missing", True))
        elif value != str(target.manifest):
            out.append(
                check(
                    "registry.key",
                    "fail",
                    f"{hive}\\{key} points at {value}, expected {target.manifest}",
                    True,
                )
            )
        else:
            out.append(check("registry.key", "ok", f"{hive}\\{key} -> {value}"))
    if not target.manifest.is_file():
        out.append(check("manifest.present", absent, f"{where}manifest {target.manifest} is missing", True))
        return out
    out.append(check("manifest.present", "ok", f"{where}manifest {target.manifest}"))
    data, problems = manifest_mod.read(target.manifest)
    if data is not None:
        problems = manifest_mod.validate(
            data,
            platform=machine.platform,
            file=target.manifest.name,
            expected_path=launcher,
            required_ids=ids,
        )
    missing = [p for p in problems if p.code == manifest_mod.ProblemCode.MISSING_ORIGIN]
    others = [p for p in problems if p.code != manifest_mod.ProblemCode.MISSING_ORIGIN]
    if others:
        out.append(check("manifest.valid", "fail", "; ".join(map(str, others)), True))
    else:
        out.append(check("manifest.valid", "ok", "manifest is valid"))
    if data is not None:
        if missing:
            out.append(
                check(
                    "manifest.origin",
                    "fail",
                    "; ".join(map(str, missing))
                    + " (the browser will say: access to the native messaging host is forbidden)",
                    True,
                )
            )
        else:
            out.append(check("manifest.origin", "ok", "allows " + ", ".join(ids)))
    return out


def _conflict_checks(
    targets: Sequence[Target],
    launchers: Sequence[Path],
    ids: Sequence[str],
    machine: Machine,
    registry: Registry | None,
) -> list[Check]:
    out: list[Check] = []
    for found in find_conflicts(targets, launchers, ids, machine, registry):
        out.append(
            Check(
                "manifest.conflict",
                found.browser,
                "warn",
                f"another manifest {found.path} (in {found.where}) {found.what}",
                f"move it aside: {FIX_HINT} renames it to {found.path.name}{DISABLED_SUFFIX}",
                True,
                str(found.path),
            )
        )
    if not out:
        out.append(Check("manifest.conflict", None, "ok", "no other manifest claims our host or extension"))
    return out


def _default_probe(paths: Paths) -> ProbeDaemon:
    from webbridge.daemon import client  # lazy: doctor must work without the daemon's dependencies

    return lambda: client.probe(paths)


def _daemon_checks(probe_daemon: ProbeDaemon | None, paths: Paths) -> list[Check]:
    if probe_daemon is None:
        try:
            probe_daemon = _default_probe(paths)
        except ImportError as exc:
            return [
                Check(
                    "daemon",
                    None,
                    "fail",
                    f"daemon client unavailable ({exc})",
                    "reinstall WebBridge (installer/install.sh)",
                )
            ]
    try:
        status = probe_daemon()
    except (WebBridgeError, OSError) as exc:
        message = exc.message if isinstance(exc, WebBridgeError) else str(exc)
        if not isinstance(exc, DaemonUnavailable):
            message = f"daemon not reachable: {message}"
        return [
            Check(
                "daemon",
                None,
                "fail",
                message,
                "`webbridge daemon start` (the relay also starts it when the browser connects), "
                f"or {FIX_HINT}",
                True,
            )
        ]
    bridges = status.get("bridges") or []
    out = [
        Check(
            "daemon",
            None,
            "ok",
            f"daemon {status.get('version', '?')} running, {len(bridges)} browser connection(s)",
        )
    ]
    pairings = status.get("pairings")
    count = pairings if isinstance(pairings, int) else len(pairings) if isinstance(pairings, list) else 0
    if count >= 1:
        out.append(Check("pairing", None, "ok", f"{count} paired browser(s)"))
    else:
        out.append(Check("pairing", None, "warn", "no browser is paired yet", PAIR_HINT))
    return out


# --- fixing -----------------------------------------------------------------------------------------------


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
    Never raises for a failed repair. Run :func:`run_checks` again to see the result.
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
            from webbridge.daemon import client  # lazy, as in _default_probe
        except ImportError as exc:
            return Action("failed", "daemon", f"daemon client unavailable ({exc})")
        start_daemon = lambda: client.start(paths)  # noqa: E731
    try:
        start_daemon()
    except (WebBridgeError, OSError) as exc:
        return Action("failed", "daemon", exc.message if isinstance(exc, WebBridgeError) else str(exc))
    return Action("started", "daemon", "webbridge daemon")
