"""The ref grammar (docs/PROTOCOL.md §5.2 "Refs"): how a snapshot names an element a user could act on.

A ref is an element number, prefixed by its frame number unless the element is in the top frame:
``e12`` (top frame, frame 0) or ``f3e12`` (frame 3). ``f0e12`` is an older spelling of ``e12`` and means
exactly the same element: every parser accepts it, and :func:`canonical_ref` turns it into ``e12``. Refs
are compared and used as keys only in their canonical form (leading zeros dropped, no ``f0`` prefix), so
a saved workflow, a transcript or a model that copies an old ref keeps naming the same element.

The extension's twin of this module is ``extension/background/frames.js`` (``parseRef``/``canonicalRef``)
and ``extension/content/refs.js``; ``tests/js/refs.test.js`` and ``tests/unit/test_refs.py`` hold both to
the same table.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

#: A ref inside a longer pattern (no anchors, no groups): optional frame prefix, then the element number.
#: Frame numbers have at most four digits, element numbers at most nine (both sides assign them).
REF_TOKEN = r"(?:f[0-9]{1,4})?e[0-9]{1,9}"  # noqa: S105 (a pattern, not a password)
#: A whole ref, as the wire schema checks it.
REF_PATTERN = f"^{REF_TOKEN}$"
_REF = re.compile(r"f(?P<frame>[0-9]{1,4})e(?P<n>[0-9]{1,9})|e(?P<top>[0-9]{1,9})")


def parse_ref(ref: str) -> tuple[int, int]:
    """``(frame, element number)`` of a ref: ``e12`` and ``f0e12`` → ``(0, 12)``, ``f3e12`` → ``(3, 12)``.
    Raises ValueError for anything that is not a ref (whitespace and signs included)."""
    m = _REF.fullmatch(ref) if isinstance(ref, str) else None
    if m is None:
        raise ValueError(f"not a ref: {ref!r} (expected e<N> or f<K>e<N>)")
    if m.group("top") is not None:
        return 0, int(m.group("top"))
    return int(m.group("frame")), int(m.group("n"))


def format_ref(frame: int, n: int) -> str:
    """The canonical spelling of element ``n`` of frame ``frame``: ``e<n>`` in the top frame, else
    ``f<frame>e<n>``."""
    return f"e{n}" if frame == 0 else f"f{frame}e{n}"


def canonical_ref(ref: str) -> str:
    """The canonical spelling of ``ref`` (``f0e12`` → ``e12``, ``f03e012`` → ``f3e12``; already canonical
    refs come back unchanged). Raises ValueError for anything that is not a ref."""
    return format_ref(*parse_ref(ref))


def is_ref(value: object) -> bool:
    """Whether ``value`` is a ref in either spelling."""
    return isinstance(value, str) and _REF.fullmatch(value) is not None


def ref_key(value: object) -> object:
    """``value`` canonicalised if it is a ref, else ``value`` as it is: for dictionary keys built from
    arguments that may not have been validated (a key that is not a ref then simply never matches)."""
    return canonical_ref(value) if isinstance(value, str) and is_ref(value) else value


#: The ref field of a message: either spelling, passed on as given (the extension reads both; whoever
#: compares refs or keys by them canonicalises first). Any other shape fails validation (2002 on the wire).
Ref = Annotated[str, Field(pattern=REF_PATTERN)]

__all__ = ["REF_PATTERN", "REF_TOKEN", "Ref", "canonical_ref", "format_ref", "is_ref", "parse_ref", "ref_key"]
