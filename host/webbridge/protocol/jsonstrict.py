"""Strict JSON for the wire (``docs/PROTOCOL.md`` §1).

:func:`loads` accepts exactly one JSON object encoded as valid UTF-8 and refuses everything the protocol
refuses, each with its own error:

===========================================================  ======================
input                                                        raises
===========================================================  ======================
bytes that are not strict UTF-8 (overlong, surrogates), or   :class:`InvalidUtf8`
a ``str`` holding surrogate code points
a BOM, trailing data, ``NaN``/``Infinity``, comments,        :class:`InvalidJson`
anything else ``json`` refuses
nesting deeper than :data:`MAX_DEPTH` (also 100 000 deep:    :class:`JsonTooDeep`
the parser's ``RecursionError`` never escapes)
integers over :data:`MAX_INT_DIGITS` digits, non-finite      :class:`JsonLimits`
floats (``1e999999``), lone surrogate escapes (``"\\ud800"``)
an object repeating a key (after unescaping)                 :class:`DuplicateKey`
a top level that is not an object                            :class:`NotAnObject`
===========================================================  ======================

The C parser does the work; hooks catch numbers, constants and duplicate keys while it runs, and one
iterative walk afterwards checks depth (and strings, only when the text contains a backslash). A
frame of one 8 MB string costs one decode and one scan.
"""

from __future__ import annotations

import json
import math
from typing import Any

from webbridge.errors import DuplicateKey, InvalidJson, InvalidUtf8, JsonLimits, JsonTooDeep, NotAnObject

__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "dumps", "loads"]

#: Deepest nesting accepted; the top-level object is depth 1.
MAX_DEPTH = 64
#: Longest integer literal accepted, counting digits only (not the sign).
MAX_INT_DIGITS = 20


def _parse_int(text: str) -> int:
    digits = len(text) - (text[0] == "-")
    if digits > MAX_INT_DIGITS:
        raise JsonLimits(f"integer of {digits} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonLimits(f"number {text[:32]!r} is not finite")
    return value


def _parse_constant(text: str) -> Any:
    raise InvalidJson(f"{text} is not JSON")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(f"duplicate key {key[:64]!r}")
            seen.add(key)
    return obj


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object,
    parse_int=_parse_int,
    parse_float=_parse_float,
    parse_constant=_parse_constant,
)


def _check_str(value: str) -> None:
    # Strict UTF-8 decoding cannot produce surrogates, so any left here came from a lone ``\uD8xx`` escape
    # (a valid escaped pair is combined into one code point by the parser).
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise JsonLimits("string holds a lone surrogate escape") from None


def _walk(top: dict[str, Any], check_strings: bool) -> None:
    """Check nesting depth (and strings) without recursion."""
    stack: list[tuple[Any, int]] = [(top, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise JsonTooDeep(f"nesting deeper than {MAX_DEPTH}")
        if isinstance(node, dict):
            if check_strings:
                for key in node:
                    _check_str(key)
            children: Any = node.values()
        else:
            children = node
        for child in children:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
            elif check_strings and isinstance(child, str):
                _check_str(child)


def loads(data: bytes | bytearray | memoryview | str) -> dict[str, Any]:
    """Parse one strict JSON object.

    Raises :class:`~webbridge.errors.InvalidUtf8`, :class:`~webbridge.errors.InvalidJson`,
    :class:`~webbridge.errors.JsonTooDeep`, :class:`~webbridge.errors.JsonLimits`,
    :class:`~webbridge.errors.DuplicateKey` or :class:`~webbridge.errors.NotAnObject` (all
    :class:`~webbridge.errors.FramingError`); never ``RecursionError`` nor ``ValueError``.
    """
    if isinstance(data, str):
        text = data
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidUtf8("text holds surrogate code points") from None
    else:
        try:
            text = bytes(data).decode("utf-8") if not isinstance(data, bytes) else data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidUtf8(f"invalid UTF-8 at byte {exc.start}") from None
    if text.startswith("\ufeff"):
        raise InvalidJson("byte order mark before the JSON text")
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise JsonTooDeep(f"nesting deeper than {MAX_DEPTH}") from None
    except json.JSONDecodeError as exc:
        raise InvalidJson(f"{exc.msg} at character {exc.pos}") from None
    if not isinstance(value, dict):
        raise NotAnObject(f"top level is {type(value).__name__}, not an object")
    # One-character search is a memchr; without any backslash there is no escape, so no surrogate.
    _walk(value, "\\" in text)
    return value


def dumps(obj: Any) -> str:
    """Serialise compactly (no spaces, UTF-8 kept as is, no NaN).

    Raises ``ValueError`` for non-finite floats and ``TypeError`` for values JSON cannot hold: both are bugs
    in the caller, never peer input.
    """
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
