"""What each ref named on the page: role and accessible name, remembered from snapshot text the run saw.

The irreversibility check (W11) needs the role and name of the element a click or a submit acts on, and
only the snapshot the model read says which element a ref is. The hook feeds every untrusted tool result
(snapshots, action deltas) through :meth:`ElementMemory.learn`, which reads the element lines of the
snapshot format (docs/PROTOCOL.md §5.2)::

    <indent><role> "<name>" <ref> <states…> ="<value>"

An action's delta marks lines ``+ `` (added) and ``~ `` (changed, as it is now); those are read too, so a
button renamed by the page is known under its new name. Text lines (``- text``, in a delta ``+ - text``)
never match, so page text cannot forge an element line; a ref named twice
with different elements in one text is forgotten (the decision then asks). The name is the element's
accessible name as the browser computed it: a page can label a "Buy" button "Next" with ``aria-label``; that
limit is in SECURITY.md. Memory is bounded: the most recent runs and refs only.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict

from ..protocol.refs import REF_TOKEN, canonical_ref, ref_key

_LINE = re.compile(
    r'^(?:[+~] )?'  # a delta's "added" or "changed" mark (a "- " line is text or gone: never matched)
    r'[ \t]*(?P<role>[a-z][a-z0-9]*)'  # indent, role
    r'(?: (?P<name>"(?:[^"\\]|\\.)*"))?'  # the name as a JSON string
    r" (?P<ref>" + REF_TOKEN + r")(?=\s|$)",  # the ref (either spelling; kept canonical)
    re.MULTILINE,
)
MAX_RUNS = 64
#: ``ctx.state`` key: ``(tab_id, canonical ref) -> (role, name)`` of the element the policy decided a call
#: on; the browser tools send it with the action as ``expect_role``/``expect_name``, so the extension acts
#: only on an element that still is that one (W6: 6008 ``target_changed`` otherwise).
EXPECTED_ELEMENTS = "policy.expected_elements"
MAX_REFS_PER_TAB = 50_000


class ElementMemory:
    """``(run, tab, ref) -> (role, name)`` from the latest snapshot text that named the ref."""

    def __init__(self) -> None:
        self._runs: OrderedDict[str, dict[int | None, OrderedDict[str, tuple[str, str]]]] = OrderedDict()

    def learn(self, run_id: str, tab_id: int | None, text: str) -> int:
        """Remember every element line in ``text``; returns how many were read."""
        tabs = self._runs.setdefault(run_id, {})
        self._runs.move_to_end(run_id)
        while len(self._runs) > MAX_RUNS:
            self._runs.popitem(last=False)
        refs = tabs.setdefault(tab_id, OrderedDict())
        count = 0
        here: dict[str, tuple[str, str]] = {}
        conflicting: set[str] = set()
        for match in _LINE.finditer(text):
            raw = match.group("name")
            try:
                name = json.loads(raw) if raw else ""
            except ValueError:
                continue
            if not isinstance(name, str):
                continue
            ref = canonical_ref(match.group("ref"))
            element = (match.group("role"), name)
            if here.setdefault(ref, element) != element:
                conflicting.add(ref)
            refs[ref] = element
            refs.move_to_end(ref)
            count += 1
        for ref in conflicting:  # one ref, two elements: trust neither (the decision then asks)
            refs.pop(ref, None)
        while len(refs) > MAX_REFS_PER_TAB:
            refs.popitem(last=False)
        return count

    def lookup(self, run_id: str, tab_id: int | None, ref: str) -> tuple[str, str] | None:
        """The element the latest snapshot gave ``ref`` (either spelling: ``f0e12`` is ``e12``), else None."""
        refs = self._runs.get(run_id, {}).get(tab_id)
        key = ref_key(ref)
        return None if refs is None or not isinstance(key, str) else refs.get(key)

    def forget(self, run_id: str) -> None:
        self._runs.pop(run_id, None)


__all__ = ["EXPECTED_ELEMENTS", "ElementMemory"]
