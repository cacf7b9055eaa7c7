"""Reading both snapshot texts, and comparing them (B2 recall and role+name agreement). Pure functions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from webbridge.protocol.refs import REF_TOKEN

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
    r'^\s*(?:[+~] )?(?P<role>[a-z0-9]+)(?: (?P<name>"(?:[^"\\]|\\.)*"))?'
    r"(?: (?P<ref>" + REF_TOKEN + r"))?(?=\s|$)(?P<rest>.*)$"  # e12 (top frame), f3e12 (frame 3)
)


@dataclass(frozen=True)
class Node:
    role: str
    name: str
    ref: str
    derived: bool = False  # no name: labelled by the text printed under it


def _name(quoted: str | None) -> str:
    if not quoted:
        return ""
    try:
        value = json.loads(quoted)
        return value if isinstance(value, str) else quoted[1:-1]
    except json.JSONDecodeError:
        return quoted[1:-1].replace('\\"', '"')


def _label_of(body: str) -> tuple[str | None, str]:
    """(role, label) of one Playwright line body (after "- "): its quoted name, else its inline text."""
    if body.startswith("'") and body.rstrip(":").endswith("'"):
        body = body.rstrip(":")[1:-1].replace("''", "'")
    if body.startswith("text: "):
        value = body[len("text: ") :]
        return None, _name(value) if value.startswith('"') else value
    if body.startswith("/"):  # /url:, /placeholder:
        return None, ""
    m = _PW_LINE.match(body)
    if not m:
        return None, ""
    name = _name(m.group("name"))
    if name:
        return m.group("role"), name
    rest = m.group("rest")
    colon = rest.rfind("]: ")
    inline = rest[colon + 3 :] if colon >= 0 else (rest[2:] if rest.startswith(": ") else "")
    return m.group("role"), _name(inline) if inline.startswith('"') else inline


def _content_label(lines: list[str], start: int, indent: int) -> str:
    """The text of the lines under line ``start - 1`` (deeper than ``indent``); a name stands for its
    subtree."""
    parts: list[str] = []
    i = start
    while i < len(lines):
        raw = lines[i]
        depth = len(raw) - len(raw.lstrip(" "))
        if depth <= indent:
            break
        _, label = _label_of(raw.strip()[2:])
        if label:
            parts.append(label)
            i += 1
            while i < len(lines) and len(lines[i]) - len(lines[i].lstrip(" ")) > depth:
                i += 1  # the name already covers this subtree
            continue
        i += 1
    return " ".join(parts)


def parse_playwright(text: str) -> dict[str, Node]:
    """ref → node of a Playwright ``aria_snapshot(mode="ai")`` text.

    Playwright's ai mode removes a name that is derived from content it also prints (its
    ``removeRedundantNames`` step: ``- link [ref=e5]:`` over ``- img "BBC"``), and prints no name for nodes
    in a visible ``aria-hidden`` subtree. Such a node is labelled here by the text printed for it (after its
    colon, or its descendants' names and texts): the label an agent reading that snapshot sees.
    """
    out: dict[str, Node] = {}
    lines = text.splitlines()
    for i, raw in enumerate(lines):
        stripped = raw.strip()
        if not stripped.startswith("- "):
            continue
        ref = _PW_REF.search(stripped)
        role, name = _label_of(stripped[2:])
        if not ref or role is None:
            continue
        derived = False
        if not name:
            name = _content_label(lines, i + 1, len(raw) - len(raw.lstrip(" ")))
            derived = bool(name)
        out[ref.group("ref")] = Node(role, name, ref.group("ref"), derived)
    return out


def parse_ours(text: str, derive: bool = True) -> dict[str, Node]:
    """ref → node of our snapshot text; a node without a name is labelled by the lines under it, as above
    (unless ``derive`` is false: then exactly the printed role and name, for comparing our own snapshots)."""
    out: dict[str, Node] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _OUR_LINE.match(line)
        if not (m and m.group("ref")):
            continue
        name, derived = _name(m.group("name")), False
        if not name and derive:
            value = re.search(r' =("(?:[^"\\]|\\.)*")', m.group("rest"))
            parts = [_name(value.group(1))] if value else []
            parts += _our_content_label(lines, i + 1, len(line) - len(line.lstrip(" ")))
            name, derived = " ".join(parts), bool(parts)
        out[m.group("ref")] = Node(m.group("role"), name, m.group("ref"), derived)
    return out


def _our_content_label(lines: list[str], start: int, indent: int) -> list[str]:
    parts: list[str] = []
    j = start
    while j < len(lines) and len(lines[j]) - len(lines[j].lstrip(" ")) > indent:
        body = lines[j].strip()
        depth = len(lines[j]) - len(lines[j].lstrip(" "))
        sub = _OUR_LINE.match(lines[j])
        label = body[2:] if body.startswith("- ") else (_name(sub.group("name")) if sub else "")
        j += 1
        if label:
            parts.append(label)
            while j < len(lines) and len(lines[j]) - len(lines[j].lstrip(" ")) > depth:
                j += 1
    return parts


def _norm(s: str) -> str:
    return " ".join(s.split())


def same_name(ours: str, theirs: str, loose: bool = False) -> bool:
    """Equal after whitespace normalisation; our names are cut at 100 characters with "…". ``loose``: labels
    put together from printed lines, whose joins are not the name's own spacing: compared without spaces."""
    a, b = _norm(ours), _norm(theirs)
    if loose:
        a, b = a.replace(" ", ""), b.replace(" ", "")
    if a == b:
        return True
    return a.endswith("…") and b.startswith(a[:-1].rstrip())


@dataclass
class Fidelity:
    reference: int  # Playwright refs with an interactive role (sampled)
    found: int  # of those, elements that have a ref of ours
    agree: int  # of those found and labelled by Playwright, same role and name
    unlabelled: int  # found, but Playwright prints no label at all (nothing to agree with)
    misses: list[str]  # a few examples, "role name" of Playwright's side
    disagreements: list[str]

    @property
    def recall(self) -> float:
        return self.found / self.reference if self.reference else 1.0

    @property
    def agreement(self) -> float:
        compared = self.found - self.unlabelled
        return self.agree / compared if compared else 1.0


def compare(pw: dict[str, Node], ours: dict[str, Node], mapping: dict[str, str | None]) -> Fidelity:
    """``mapping``: Playwright ref → our ref of the same DOM element (None when it has none)."""
    found = agree = unlabelled = 0
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
        if not theirs.name and mine.name:
            unlabelled += 1
        elif mine.role == theirs.role and (
            (theirs.derived and mine.derived)
            or same_name(mine.name, theirs.name, theirs.derived or mine.derived)
        ):
            agree += 1  # both without a name (labelled only by what they print) agree on having none
        elif len(disagreements) < 8:
            disagreements.append(
                f"pw {theirs.role} {theirs.name[:50]!r} / ours {mine.role} {mine.name[:50]!r}"
            )
    return Fidelity(len(mapping), found, agree, unlabelled, misses, disagreements)
