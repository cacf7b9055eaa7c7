"""Small filesystem helpers for the installer: atomic writes and tracked folder creation."""

from __future__ import annotations

import os
from pathlib import Path

from ..atomic import write_atomic


def atomic_write(path: Path, text: str, *, mode: int = 0o644, newline: str = "\n") -> bool:
    """Write ``text`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    A reader (the browser) never sees a half-written file. Returns ``False`` and touches nothing when the
    file already holds exactly these bytes with this mode (so repeated installs report "unchanged").
    The parent folder must exist. Raises ``OSError`` (e.g. ``PermissionError``) from the filesystem.
    """
    data = text.replace("\n", newline).encode("utf-8")
    try:
        same = path.read_bytes() == data and (os.name != "posix" or (path.stat().st_mode & 0o777) == mode)
    except OSError:
        same = False
    if same:
        return False
    write_atomic(path, data, mode=mode)
    return True


def make_dirs(path: Path) -> list[Path]:
    """Create ``path`` and its missing parents; return the folders this call created, outermost first.

    The installer records them so that uninstall can remove exactly those (and only when empty).
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    missing.reverse()
    for folder in missing:
        folder.mkdir(exist_ok=True)
    return missing


def remove_empty_dirs(folders: list[Path]) -> list[Path]:
    """Remove each folder that is empty, deepest first; return those removed. Never removes content."""
    removed: list[Path] = []
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            continue
        removed.append(folder)
    return removed
