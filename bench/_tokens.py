"""B3 token accounting: what each snapshot text spends its characters on, and the floor a line-per-element
text cannot go below on a page. Pure functions (tests/unit/test_bench_tokens.py).

The floor of a page is what one line ``role "name" ref`` per element Playwright gives a ref on an
interactive role takes — with Playwright's own short refs (``e12``) and names, and nothing else: no text,
no structure, no indentation, no states, no values. Any snapshot that passes the B2 gate (it must name at
least 99 % of those elements, with their role and name) and keeps that line shape prints at least about
this much; ``floor / Playwright`` is therefore the best B3 ratio such a text can reach on the page.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from webbridge.protocol.refs import REF_TOKEN

from ._aria import INTERACTIVE, Node

#: The ref of an element line (``e12`` in the top frame, ``f3e12`` in frame 3), after its role and blanked
#: name; text lines and markers have none (a word like "e4" in page text is no ref).
_OUR_REF = re.compile(r'^(?:[+~] )?[a-z][a-z0-9-]*(?: "")?(?P<ref> ' + REF_TOKEN + r")(?= |$)")
_PW_REF = re.compile(r" \[ref=[a-z0-9]+\]")
_PW_CURSOR = " [cursor=pointer]"
_MARKERS = ("↓ ", "↑ ", "→ ", "· ", "… ")


def floor_chars(playwright: dict[str, Node]) -> int:
    """Characters of one ``role "name" ref`` line (newline included) per interactive element Playwright
    refs; a nameless one is ``role ref``."""
    total = 0
    for ref, node in playwright.items():
        if node.role not in INTERACTIVE:
            continue
        name = f" {json.dumps(node.name, ensure_ascii=False)}" if node.name else ""
        total += len(node.role) + len(name) + 1 + len(ref) + 1
    return total


def our_composition(text: str) -> dict[str, int]:
    """Characters of our snapshot text by line kind (newlines included): ``text`` lines, zone ``marker``
    lines, and each role's lines; plus, counted inside those, ``(indentation)`` and ``(refs)``."""
    by: Counter[str] = Counter()
    for line in text.split("\n"):
        body = line.lstrip(" ")
        by["(indentation)"] += len(line) - len(body)
        if body.startswith("- "):
            kind = "text"
        elif body.startswith(_MARKERS):
            kind = "marker"
        else:
            kind = body.split(" ", 1)[0] or "(empty)"
            ref = _OUR_REF.match(_unquoted(body))
            by["(refs)"] += len(ref.group("ref")) if ref else 0
        by[kind] += len(line) + 1
    return dict(by.most_common())


def playwright_composition(text: str) -> dict[str, int]:
    """Characters of a Playwright ai snapshot by line kind (``/url``, ``text``, each role), plus, counted
    inside those, ``(indentation and bullets)``, ``(refs)`` and ``(cursor)``."""
    by: Counter[str] = Counter()
    for line in text.split("\n"):
        body = line.lstrip(" ")
        if body.startswith("- "):
            body = body[2:]
        by["(indentation and bullets)"] += len(line) - len(body)
        plain = _unquoted(body)
        by["(refs)"] += sum(len(m) for m in _PW_REF.findall(plain))
        by["(cursor)"] += plain.count(_PW_CURSOR) * len(_PW_CURSOR)
        kind = re.split(r"[ :]", body, maxsplit=1)[0] or "(empty)"
        by[kind] += len(line) + 1
    return dict(by.most_common())


def _unquoted(line: str) -> str:
    """The line with the insides of its JSON strings blanked, so that a ref-like word in a name never
    counts."""
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)
