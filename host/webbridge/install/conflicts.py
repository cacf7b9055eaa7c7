"""Find other host manifests that claim our host name or list our extension id.

Such files are left behind by an older install under another name, a hand-made copy, or another tool. The
browser reads only ``<name>.json`` for the name the extension asks for, so most are harmless clutter, but a
stale manifest with our name in a folder the browser falls back to (the system folder, when a per-user one
goes missing) silently points the extension at the wrong program. Doctor lists them; ``doctor --fix`` moves
them aside.

Where we look: on Linux and macOS every ``*.json`` in each relevant browser's per-user and system folders
and in our own target folders; on Windows the manifest named by every sibling registry key under each
relevant browser's ``NativeMessagingHosts`` key, in HKCU and HKLM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from webbridge import meta
from webbridge.install import manifest as manifest_mod
from webbridge.install.browsers import BROWSERS, Machine, by_key, detected
from webbridge.install.registry import Hive, Registry
from webbridge.install.targets import Target

__all__ = ["Conflict", "find_conflicts"]


@dataclass(frozen=True)
class Conflict:
    browser: str | None
    path: Path  # the conflicting manifest file
    where: str  # the folder or registry key it was found through
    what: str  # why it conflicts, for people


def find_conflicts(
    targets: Sequence[Target],
    launchers: Sequence[Path],
    ids: Sequence[str],
    machine: Machine,
    registry: Registry | None,
) -> list[Conflict]:
    """Manifests other than ``targets``' that claim our host name or list one of ``ids``.

    A copy named ``<our host>.json`` that is valid and points at one of ``launchers`` is ours in all but
    record (e.g. installed by another user) and is not reported. Unreadable files are skipped.
    """
    ours = {t.manifest for t in targets}
    keys = {t.browser for t in targets if t.browser} | {b.key for b in detected(machine)}
    if machine.platform == "win32":
        candidates = _registry_candidates(keys, registry)
    else:
        candidates = _folder_candidates(keys, targets, machine)

    found: list[Conflict] = []
    seen: set[Path] = set()
    for browser, path, where in candidates:
        if path in ours or path in seen:
            continue
        seen.add(path)
        data, _ = manifest_mod.read(path)
        if not isinstance(data, dict):
            continue
        claims_name = data.get("name") == meta.HOST_NAME
        lists_us = any(i in manifest_mod.origin_ids(data) for i in ids)
        if not (claims_name or lists_us):
            continue
        if (
            claims_name
            and path.name == manifest_mod.file_name()
            and str(data.get("path")) in {str(p) for p in launchers}
            and not manifest_mod.validate(data, platform=machine.platform, file=path.name, required_ids=ids)
        ):
            continue
        what = f"claims our host name {meta.HOST_NAME!r}" if claims_name else "lists our extension"
        found.append(Conflict(browser, path, where, what))
    return found


def _folder_candidates(
    keys: set[str], targets: Sequence[Target], machine: Machine
) -> list[tuple[str | None, Path, str]]:
    folders: dict[Path, str | None] = {}
    for key in sorted(keys):
        for folder in by_key(key).manifest_dirs(machine):
            folders.setdefault(folder, key)
    for target in targets:
        folders.setdefault(target.manifest.parent, target.browser)
    candidates: list[tuple[str | None, Path, str]] = []
    for folder, owner in folders.items():
        try:
            files = sorted(p for p in folder.iterdir() if p.suffix == ".json" and p.is_file())
        except OSError:
            continue
        candidates += [(owner, p, str(folder)) for p in files]
    return candidates


def _registry_candidates(keys: set[str], registry: Registry | None) -> list[tuple[str | None, Path, str]]:
    if registry is None:
        return []
    hives: tuple[Hive, ...] = ("HKCU", "HKLM")
    candidates: list[tuple[str | None, Path, str]] = []
    for browser in (b for b in BROWSERS if b.key in keys):
        for hive in hives:
            for sub in registry.subkeys(hive, browser.win_registry):
                if sub.lower() == meta.HOST_NAME:
                    continue
                key = f"{browser.win_registry}\\{sub}"
                value = registry.get_default(hive, key)
                if value:
                    candidates.append((browser.key, Path(value), f"{hive}\\{key}"))
    return candidates
