"""Find the line of a key in TOML text, for error messages (``tomllib`` reports lines only for syntax).

Good enough for policy files: tables (``[a."b.c"]``), dotted and quoted keys, ``key = value`` lines and
array items on their own lines. Multi-line strings are skipped over; inline tables are searched as text.
Returns ``None`` when the key cannot be found (the caller then names only the key).
"""

from __future__ import annotations

import re

_BARE = re.compile(r"[A-Za-z0-9_\-]+")


def split_key(text: str) -> tuple[list[str], int] | None:
    """Parse a dotted key at the start of ``text``; returns its parts and where it ended, or ``None``."""
    parts: list[str] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text):
            return None
        quote = text[pos]
        if quote in "\"'":
            end = pos + 1
            while end < len(text) and text[end] != quote:
                end += 2 if quote == '"' and text[end] == "\\" else 1
            if end >= len(text):
                return None
            raw = text[pos + 1:end]
            parts.append(raw.encode().decode("unicode_escape") if quote == '"' and "\\" in raw else raw)
            pos = end + 1
        else:
            match = _BARE.match(text, pos)
            if match is None:
                return None
            parts.append(match.group())
            pos = match.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] == ".":
            pos += 1
            continue
        return parts, pos


def locate(text: str, path: tuple[str, ...], item: str | None = None) -> int | None:
    """The 1-based line of ``path`` (a table or a key) in ``text``; with ``item``, the line of that string
    inside the array at ``path`` (searched from the key's line on)."""
    table: list[str] = []
    lines = text.splitlines()
    in_multiline: str | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if in_multiline is not None:
            if in_multiline in stripped:
                in_multiline = None
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            inner = stripped.lstrip("[")
            parsed = split_key(inner)
            if parsed is not None:
                table = parsed[0]
                if tuple(table) == path and item is None:
                    return number
            continue
        parsed = split_key(stripped)
        if parsed is None:
            continue
        key, end = parsed
        rest = stripped[end:].lstrip()
        if not rest.startswith("="):
            continue
        value = rest[1:].strip()
        for fence in ('"""', "'''"):
            if value.startswith(fence) and value.count(fence) == 1:
                in_multiline = fence
        full = tuple(table + key)
        if full == path:
            if item is None:
                return number
            return _find_item(lines, number, item)
        if item is None and (path[: len(full)] == full or full[: len(path)] == path):
            return number  # an inline table holding the path, or a dotted key inside it
    return None


def _find_item(lines: list[str], start: int, item: str) -> int:
    for quoted in (f'"{item}"', f"'{item}'"):
        for number in range(start, min(len(lines), start + 10_000) + 1):
            if quoted in lines[number - 1]:
                return number
    return start


__all__ = ["locate", "split_key"]
