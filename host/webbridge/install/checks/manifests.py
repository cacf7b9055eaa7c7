"""Doctor, the manifests: which browsers are here, every manifest target (each detected browser's per-user
folder, plus every system folder and ``--user-data-dir`` folder the record lists; on Windows the registry key
too), and other manifests that claim our host name or list our extension id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from webbridge import meta
from webbridge.install import manifest as manifest_mod
from webbridge.install.browsers import NMH_DIR, Machine
from webbridge.install.checks import FIX_HINT, Check, Status
from webbridge.install.conflicts import find_conflicts
from webbridge.install.record import InstallRecord
from webbridge.install.registry import Registry
from webbridge.install.repair import DISABLED_SUFFIX
from webbridge.install.targets import Target, recorded_targets, windows_manifest
from webbridge.paths import Paths

__all__ = ["browsers_check", "conflict_checks", "planned_targets", "target_checks"]


def browsers_check(found: Sequence[Any]) -> Check:
    """Which of the browsers we support are here (``found``, from :func:`.browsers.detected`)."""
    if found:
        return Check("browsers", None, "ok", "found " + ", ".join(b.label for b in found))
    return Check(
        "browsers",
        None,
        "warn",
        "no Chrome, Edge, Chromium or Brave found for this user",
        "install one, or pass --user-data-dir DIR for a browser started with it",
    )


def planned_targets(
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


def target_checks(
    target: Target,
    launcher: Path,
    ids: Sequence[str],
    machine: Machine,
    registry: Registry | None,
    absent: Status = "fail",
) -> list[Check]:
    """The findings about one target: its registry key (Windows), then its manifest: present, valid, and
    allowing every id in ``ids``. ``absent`` is the status of a missing key or manifest."""
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


def conflict_checks(
    targets: Sequence[Target],
    launchers: Sequence[Path],
    ids: Sequence[str],
    machine: Machine,
    registry: Registry | None,
) -> list[Check]:
    """One warning per other manifest that claims our host name or lists our extension id (see
    :mod:`..conflicts`), else one ``ok``."""
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
