"""Reading both snapshot texts, and comparing them (B2 recall and role+name agreement). Pure functions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

#: Roles counted as "elements a user acts on" among those Playwright gives refs to (its ai mode gives a ref
#: to every visible node that receives pointer events, paragraphs and generic divs included).
INTERACTIVE = frozenset(
    {
        "button", "checkbox", "combobox", "link", "listbox", "menuitem", "menuitemcheckbox", "menuitemradio",
        "option", "radio", "searchbox", "slider", "spinbutton", "switch", "tab", "textbox", "treeitem",
    }
)  # fmt: skip

_PW_LINE = re.compile(r'^(?P<role>[a-z]+)(?: (?P<name>"(?:[^"\\]|\\.)*"))?(?P<rest>.*)$')
_PW_REF = re.compile(r"\[ref=(?P<ref>[a-z0-9]+)\]")
_OUR_LINE = re.compile(
    r'^\s*(?:[+~] )?(?P<role>[a-z0-9]+)(?: (?P<name>"(?:[^"\\]|\\.)*"))?(?: (?P<ref>f\d+e\d+))?(?P<rest>.*)$'
)


@dataclass(frozen=True)
class Node:
    role: str
    name: str
    ref: str


def _name(quoted: str | None) -> str:
    if not quoted:
        return ""
    try:
        value = json.loads(quoted)
        return value if isinstance(value, str) else quoted[1:-1]
    except json.JSONDecodeError:
        return quoted[1:-1].replace('\\"', '"')


def parse_playwright(text: str) -> dict[str, Node]:
    """ref → node of a Playwright ``aria_snapshot(mode="ai")`` text."""
    out: dict[str, Node] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line.startswith("- "):
            continue
        line = line[2:]
        if line.startswith("'") and line.rstrip(":").endswith("'"):
            line = line.rstrip(":")[1:-1].replace("''", "'")
        m = _PW_LINE.match(line)
        ref = _PW_REF.search(line)
        if not m or not ref:
            continue
        out[ref.group("ref")] = Node(m.group("role"), _name(m.group("name")), ref.group("ref"))
    return out


def parse_ours(text: str) -> dict[str, Node]:
    """ref → node of our snapshot text."""
    out: dict[str, Node] = {}
    for line in text.splitlines():
        m = _OUR_LINE.match(line)
        if m and m.group("ref"):
            out[m.group("ref")] = Node(m.group("role"), _name(m.group("name")), m.group("ref"))
    return out


def _norm(s: str) -> str:
    return " ".join(s.split())


def same_name(ours: str, theirs: str) -> bool:
    """Equal after whitespace normalisation; our names are cut at 100 characters with "…"."""
    a, b = _norm(ours), _norm(theirs)
    if a == b:
        return True
    return a.endswith("…") and b.startswith(a[:-1].rstrip())


@dataclass
class Fidelity:
    reference: int  # Playwright refs with an interactive role (sampled)
    found: int  # of those, elements that have a ref of ours
    agree: int  # of those found, same role and name
    misses: list[str]  # a few examples, "role name" of Playwright's side
    disagreements: list[str]

    @property
    def recall(self) -> float:
        return self.found / self.reference if self.reference else 1.0

    @property
    def agreement(self) -> float:
        return self.agree / self.found if self.found else 1.0


def compare(pw: dict[str, Node], ours: dict[str, Node], mapping: dict[str, str | None]) -> Fidelity:
    """``mapping``: Playwright ref → our ref of the same DOM element (None when it has none)."""
    found = agree = 0
    misses: list[str] = []
    disagreements: list[str] = []
    for pw_ref, our_ref in mapping.items():
        theirs = pw[pw_ref]
        mine = ours.get(our_ref) if our_ref else None
        if mine is None:
            if len(misses) < 8:
                misses.append(f"{theirs.role} {theirs.name[:60]!r}")
            continue
        found += 1
        if mine.role == theirs.role and same_name(mine.name, theirs.name):
            agree += 1
        elif len(disagreements) < 8:
            disagreements.append(
                f"pw {theirs.role} {theirs.name[:50]!r} / ours {mine.role} {mine.name[:50]!r}"
            )
    return Fidelity(len(mapping), found, agree, misses, disagreements)
