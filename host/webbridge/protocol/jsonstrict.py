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
iterative walk afterwards checks depth (and strings, only when the text holds a ``\\ud``/``\\uD`` escape:
strict UTF-8 cannot carry a surrogate, so only such an escape can make one). A frame of one 8 MB string
costs one decode and one scan.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pydantic_core

from webbridge.errors import DuplicateKey, InvalidJson, InvalidUtf8, JsonLimits, JsonTooDeep, NotAnObject

__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "dumps", "dumps_utf8", "escape_dumped", "loads"]

#: Deepest nesting accepted; the top-level object is depth 1.
MAX_DEPTH = 64
#: Longest integer literal accepted, counting digits only (not the sign).
MAX_INT_DIGITS = 20
#: Escapes looked at one by one before the string check simply runs (a sealed frame has about 20).
_MAX_ESCAPES_VISITED = 64


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


def _may_escape_surrogate(text: str) -> bool:
    """Whether ``text`` (already parsed as JSON) may hold a ``\\uD800``–``\\uDFFF`` escape: the only way a
    string can end up with a surrogate, since strict UTF-8 (and the check on ``str`` input) excludes raw
    ones. Visits the escapes with ``str.find`` of one character (a memchr); a text with many escapes is
    simply walked, as is any ``\\ud``/``\\uD``. Never wrong in the unsafe direction."""
    i = text.find("\\")
    for _ in range(_MAX_ESCAPES_VISITED):
        if i < 0:
            return False
        if text[i + 1 : i + 2] == "u" and text[i + 2 : i + 3] in ("d", "D"):
            return True
        # In valid JSON every backslash in a string opens an escape: skip its second character, so that
        # the "\\" of an escaped backslash is never read as the start of another escape.
        i = text.find("\\", i + 2)
    return i >= 0


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
    _walk(value, _may_escape_surrogate(text))
    return value


def dumps(obj: Any) -> str:
    """Serialise compactly (no spaces, UTF-8 kept as is, no NaN).

    Raises ``ValueError`` for non-finite floats and ``TypeError`` for values JSON cannot hold: both are bugs
    in the caller, never peer input.
    """
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def dumps_utf8(obj: Any) -> bytes:
    """:func:`dumps`, encoded as UTF-8: the same JSON value, and the same bytes but for the spelling of some
    float exponents (``1e-7`` for ``1e-07``).

    Plain JSON data (exactly ``dict`` with ``str`` keys, ``list``, ``str``, ``int``, finite ``float``,
    ``bool``, ``None``) goes through pydantic-core's serialiser, which copies runs of text that need no
    escaping in bulk: 3-4x faster than :func:`dumps` plus ``encode`` on megabytes of ASCII, 7x on text with
    escapes and non-ASCII characters. Anything else takes the :func:`dumps` path, so the errors are those of
    :func:`dumps` (``ValueError``, ``TypeError``, ``UnicodeEncodeError`` for a lone surrogate): bugs in the
    caller, never peer input.
    """
    if _plain_json(obj):
        try:
            return pydantic_core.to_json(obj)
        except pydantic_core.PydanticSerializationError:
            pass  # a lone surrogate, say: let dumps() and encode() raise what they raise
    return dumps(obj).encode("utf-8")


_SCALARS = frozenset({str, int, bool, type(None)})


def _plain_json(top: Any) -> bool:
    """Whether ``top`` holds only exact JSON types, ``str`` keys and finite floats (one iterative walk)."""
    stack = [top]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            for key in node:
                if type(key) is not str:
                    return False
            values: Any = node.values()
        elif kind is list:
            values = node
        else:
            values = (node,)
        for value in values:
            kind = type(value)
            if kind in _SCALARS:
                continue
            if kind is float:
                if not math.isfinite(value):
                    return False
            elif kind is dict or kind is list:
                stack.append(value)
            else:
                return False
    return True


def escape_dumped(text_utf8: bytes) -> bytes:
    """The inside of the JSON string literal whose value is ``text_utf8``, the UTF-8 of a text that
    :func:`dumps` or :func:`dumps_utf8` returned: the same bytes as ``dumps(text).encode()[1:-1]``, in a
    fraction of the time.

    Their output never holds a control character (they escape them inside strings and write no whitespace),
    so only ``\\`` and ``"`` need escaping; both are single bytes that never occur inside a multi-byte UTF-8
    sequence, so escaping the bytes is exact. Other input is a bug in the caller.
    """
    if b"\\" in text_utf8:
        text_utf8 = text_utf8.replace(b"\\", b"\\\\")
    return text_utf8.replace(b'"', b'\\"')
