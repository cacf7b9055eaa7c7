"""Writing capture files (screenshots, PDFs) into a folder the caller names.

The folder comes from the daemon (the run's workspace or an artifacts folder), never from the page or the
model. The model may suggest a file *name* only: a plain name, no folder part, no ``..``, no control
characters, no leading dot or dash; the right extension is enforced. Without a name one is made up from the
kind and the time. Writes are atomic (a temporary file in the same folder, fsynced, then renamed over the
target), so the file is always absent or whole; an existing file of that name is replaced, a symlink of that
name is replaced by the file (its target is never written).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
import unicodedata
from pathlib import Path

from ..errors import OutputRefused

#: Longest file name we write (bytes of UTF-8; most file systems allow 255).
MAX_NAME_BYTES = 200
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)


def output_dir(folder: str | os.PathLike[str]) -> Path:
    """The absolute, resolved folder to write into. Raises :class:`OutputRefused` unless it is an existing
    directory given by an absolute path."""
    path = Path(folder)
    if not path.is_absolute():
        raise OutputRefused("the output folder must be an absolute path")
    resolved = path.resolve()
    if not resolved.is_dir():
        raise OutputRefused("the output folder does not exist or is not a folder")
    return resolved


def safe_name(name: str | None, *, stem: str, suffix: str) -> str:
    """A file name to write: ``name`` checked (and given ``suffix`` if it lacks it), or a fresh
    ``<stem>-<UTC time>-<random>.<suffix>``. Raises :class:`OutputRefused` for a name that is not a plain
    file name (folder parts, ``..``, control characters, reserved names, too long)."""
    if name is None:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        return f"{stem}-{stamp}-{secrets.token_hex(3)}.{suffix}"
    if not name or name in {".", ".."} or name.startswith((".", "-")):
        raise OutputRefused("the file name must not be empty or start with a dot or a dash")
    if any(c in name for c in "/\\:") or any(unicodedata.category(c).startswith("C") for c in name):
        raise OutputRefused("the file name must be a plain name (no folder part, no control characters)")
    if name != name.strip() or name.endswith("."):
        raise OutputRefused("the file name must not end with a dot or space or start with a space")
    if _WINDOWS_RESERVED.match(name):
        raise OutputRefused("the file name is a reserved device name")
    if not name.lower().endswith("." + suffix) and not (suffix == "jpeg" and name.lower().endswith(".jpg")):
        name = f"{name}.{suffix}"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise OutputRefused(f"the file name is longer than {MAX_NAME_BYTES} bytes")
    return name


def write_atomic(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``folder/name`` by temporary file and rename; returns the absolute path.

    Blocking (run it in a thread). Raises :class:`OutputRefused` when the file cannot be written (the
    temporary file is removed; the old file, if any, is untouched)."""
    target = folder / name
    fd, tmp = _temp_in(folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputRefused(f"cannot write {name}: {exc.strerror or exc}") from exc
    return target


def _temp_in(folder: Path) -> tuple[int, str]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(10):
        tmp = str(folder / f".wb-{secrets.token_hex(8)}.part")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputRefused(f"cannot write into the output folder: {exc.strerror or exc}") from exc
    raise OutputRefused("cannot create a temporary file in the output folder")


__all__ = ["MAX_NAME_BYTES", "output_dir", "safe_name", "write_atomic"]
