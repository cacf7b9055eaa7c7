"""Which local files the agent may upload into a page: regular files inside the allowed roots.

The daemon checks before anything is sent to the browser; the extension receives only the resolved,
checked paths. Until the file policy of the file tools exists, the caller passes the allowed roots.

A path is accepted when it is absolute, free of control characters, resolves (every symlink followed) to a
regular file, and that resolved file lies inside one of the resolved roots. So a symlink inside a root that
points outside is refused (P3), a link loop or a dangling link is refused, FIFOs and devices are refused
without being opened (P11), and ``..`` cannot climb out because the check is on the resolved path (P1).
The browser is given the resolved path, so it reads the file that was checked (a file swapped afterwards by
someone who can write inside the root is that person's choice of content, never a path outside).
"""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import UploadRefused


def resolve_roots(roots: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The allowed roots, absolute and resolved; roots that do not exist are left out.
    Raises :class:`UploadRefused` for a relative root (a caller bug that must not widen the policy)."""
    out = []
    for root in roots:
        path = Path(root)
        if not path.is_absolute():
            raise UploadRefused("an allowed upload root must be an absolute path")
        resolved = path.resolve()
        if resolved.is_dir():
            out.append(resolved)
    return out


def check_upload_paths(paths: Sequence[str], roots: Iterable[str | os.PathLike[str]]) -> list[str]:
    """The resolved paths to hand to the browser, in order. Raises :class:`UploadRefused` naming the first
    refused path and why; then nothing may be sent. Blocking (``stat`` calls): run it in a thread."""
    allowed = resolve_roots(roots)
    if not paths:
        raise UploadRefused("no files to upload")
    if not allowed:
        raise UploadRefused("no folder is allowed for uploads")
    out = []
    for raw in paths:
        shown = _shown(raw)
        if any(unicodedata.category(c) == "Cc" for c in raw):
            raise UploadRefused(f"{shown}: control characters in the path")
        path = Path(raw)
        if not path.is_absolute():
            raise UploadRefused(f"{shown}: not an absolute path")
        try:
            resolved = path.resolve(strict=True)
            info = os.stat(resolved)
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on older Pythons
            raise UploadRefused(f"{shown}: cannot be resolved ({_why(exc)})") from None
        if not any(resolved.is_relative_to(root) for root in allowed):
            raise UploadRefused(f"{shown}: outside the folders allowed for uploads")
        if not stat.S_ISREG(info.st_mode):
            raise UploadRefused(f"{shown}: not a regular file")
        out.append(str(resolved))
    return out


def _shown(raw: str) -> str:
    text = raw if len(raw) <= 200 else raw[:200] + "…"
    return repr(text)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__


__all__ = ["check_upload_paths", "resolve_roots"]
