"""Whole-or-nothing file writes: the one helper every part of WebBridge uses to replace a file.

:func:`write_atomic` writes to a temporary file in the same folder, fsyncs it, sets its mode and renames it
over the target, so a reader (the browser, another process, the next start) sees the old content or the new,
never a torn file. Standard library only (the relay's installer and the daemon both use it).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str | bytes, *, mode: int = 0o600, make_parent: bool = False) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8) whole or not at all, with ``mode``.

    ``make_parent`` creates the missing parent folders first; otherwise the parent must exist. Raises
    ``OSError`` from the filesystem; on any failure or cancellation the temporary file is removed and
    ``path`` is untouched.
    """
    if make_parent:
        path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        if not hasattr(os, "fchmod"):
            os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


__all__ = ["write_atomic"]
