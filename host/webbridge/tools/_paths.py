"""Workspace-relative paths as the model writes them, checked before any file system call.

:func:`parse` turns the model's text into a list of plain names, or raises
:class:`~webbridge.errors.PathRefused` naming the rule it broke (SECURITY-CATALOG P1, P2, P6-P9, P16). It
never decodes anything (``%2e%2e%2f`` is refused, not decoded) and never touches the disk: the walk that
follows (:mod:`._fswalk`) opens each name relative to its parent's descriptor without following links, so
the names alone decide nothing about where a path leads. Standard library only.
"""

from __future__ import annotations

import re
import unicodedata

from ..errors import PathRefused

#: Longest name of one path component, in UTF-8 bytes (the common file-system limit).
MAX_NAME_BYTES = 255
#: Longest whole path, in UTF-8 bytes, and the most components it may have.
MAX_PATH_BYTES = 4096
MAX_DEPTH = 64

_DRIVE = re.compile(r"^[A-Za-z]:")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
# Windows device names, reserved with any extension (P6); refused everywhere so that a workspace means the
# same on every OS.
_RESERVED = re.compile(r"^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)


def parse(text: str, *, allow_root: bool = False) -> list[str]:
    """The components of the workspace-relative path ``text`` (NFC-normalised).

    ``""`` and ``"."`` name the workspace itself: allowed only with ``allow_root`` (``[]`` is returned).
    Raises :class:`PathRefused` for absolute, drive, UNC and device paths, ``..`` and ``.`` components,
    backslashes, percent-encoding, control characters, lone surrogates, a leading ``-``, Windows reserved
    names, ``:``, trailing dots or spaces, and names or paths over the length limits.
    """
    if text in ("", ".", "./"):
        if allow_root:
            return []
        raise PathRefused("give a file path inside the workspace, e.g. notes/summary.md")
    shown = _show(text)
    for ch in text:
        if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029":
            raise PathRefused(f"{shown}: control characters are not allowed in paths")
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise PathRefused(f"{shown}: the path is not valid Unicode")
    if "\\" in text:
        raise PathRefused(f"{shown}: backslashes are not allowed; separate folders with /")
    if text.startswith("/") or text.startswith("~") or _DRIVE.match(text):
        raise PathRefused(f"{shown}: give a path relative to the workspace, not an absolute one")
    if _PERCENT.search(text):
        raise PathRefused(f"{shown}: percent-encoded paths are not decoded; write the plain path")
    text = unicodedata.normalize("NFC", text)
    if len(text.encode()) > MAX_PATH_BYTES:
        raise PathRefused(f"{shown}: the path is longer than {MAX_PATH_BYTES} bytes")
    parts = [p for p in text.split("/") if p != ""]
    if len(parts) > MAX_DEPTH:
        raise PathRefused(f"{shown}: more than {MAX_DEPTH} folders deep")
    for part in parts:
        check_name(part, shown)
    if not parts:
        raise PathRefused(f"{shown}: not a file path")
    return parts


def check_name(name: str, shown: str | None = None) -> None:
    """Refuse one component ``name`` (see :func:`parse`); ``shown`` is the whole path for the message."""
    where = shown or _show(name)
    if name in (".", ".."):
        raise PathRefused(f"{where}: '.' and '..' are not allowed in paths")
    if name.startswith("-"):
        raise PathRefused(f"{where}: names may not start with '-'")
    if ":" in name:
        raise PathRefused(f"{where}: ':' is not allowed in names")
    if name[-1] in ". ":
        raise PathRefused(f"{where}: names may not end with a dot or a space")
    if _RESERVED.match(name):
        raise PathRefused(f"{where}: {name!r} is a reserved device name on Windows")
    if len(name.encode()) > MAX_NAME_BYTES:
        raise PathRefused(f"{where}: a name is longer than {MAX_NAME_BYTES} bytes")


def _show(text: str) -> str:
    """``text`` safe to quote in a message: short, control characters escaped."""
    return repr(text[:120] + ("…" if len(text) > 120 else ""))


__all__ = ["MAX_DEPTH", "MAX_NAME_BYTES", "MAX_PATH_BYTES", "check_name", "parse"]
