"""The ref grammar (``webbridge.protocol.refs``): ``e12`` in the top frame, ``f3e12`` elsewhere, ``f0e12`` the
old spelling of ``e12``; and every host-side consumer that compares refs treats the two spellings as one.

The table is ``tests/vectors/refs.json``, which ``tests/js/refs.test.js`` holds the extension's parsers to.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from webbridge.agent import workflows as wf
from webbridge.agent.chat import ChatMessage, ToolCall
from webbridge.errors import InvalidMessage, WorkflowInvalid
from webbridge.policy.page_elements import ElementMemory
from webbridge.protocol.messages import body_of, parse_body
from webbridge.protocol.refs import REF_PATTERN, canonical_ref, format_ref, is_ref, parse_ref, ref_key
from webbridge.protocol.schema import DEFAULT_PATH
from webbridge.testing.obedient_model import find_ref

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "refs.json").read_text(encoding="utf-8")
)
VALID: list[dict[str, Any]] = VECTORS["valid"]
INVALID: list[str] = VECTORS["invalid"]


# --- the grammar -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", VALID, ids=[c["ref"] for c in VALID])
def test_both_spellings_parse_to_frame_and_number(case: dict[str, Any]) -> None:
    assert parse_ref(case["ref"]) == (case["frame"], case["n"])
    assert canonical_ref(case["ref"]) == case["canonical"]
    assert is_ref(case["ref"]) and ref_key(case["ref"]) == case["canonical"]
    assert canonical_ref(case["canonical"]) == case["canonical"]  # idempotent


def test_the_top_frame_is_printed_without_its_prefix() -> None:
    assert format_ref(0, 5) == "e5" and format_ref(2, 5) == "f2e5"
    assert canonical_ref("f0e5") == canonical_ref("e5") == "e5"
    assert canonical_ref("f2e5") != canonical_ref("e5")


@pytest.mark.parametrize("bad", INVALID)
def test_anything_else_is_refused(bad: str) -> None:
    assert not is_ref(bad)
    with pytest.raises(ValueError, match="not a ref"):
        parse_ref(bad)
    with pytest.raises(ValueError, match="not a ref"):
        canonical_ref(bad)
    assert ref_key(bad) == bad  # a key that is no ref stays as it is (and so never matches a ref)


def test_non_strings_are_no_refs() -> None:
    for value in (None, 5, b"e5", ["e5"]):
        assert not is_ref(value)
        assert ref_key(value) == value
        with pytest.raises(ValueError):
            parse_ref(value)  # type: ignore[arg-type]


# --- on the wire -----------------------------------------------------------------------------------------

ACT = {"tab_id": 1, "action": "click"}


@pytest.mark.parametrize("case", VALID, ids=[c["ref"] for c in VALID])
def test_the_wire_takes_both_spellings_as_given(case: dict[str, Any]) -> None:
    msg = parse_body("page.act", {**ACT, "ref": case["ref"]})
    assert body_of(msg)["ref"] == case["ref"]  # passed on: the extension reads both
    drag = parse_body("page.drag", {"tab_id": 1, "ref": case["ref"], "to": case["canonical"]})
    assert body_of(drag)["to"] == case["canonical"]


@pytest.mark.parametrize("bad", INVALID)
def test_a_malformed_ref_on_the_wire_is_2002(bad: str) -> None:
    for kind, body in (("page.act", {**ACT, "ref": bad}), ("page.describe", {"tab_id": 1, "ref": bad}),
                       ("page.drag", {"tab_id": 1, "ref": "e1", "to": bad})):
        with pytest.raises(InvalidMessage) as info:
            parse_body(kind, body)
        assert info.value.code == 2002


def test_the_exported_schema_carries_the_same_pattern() -> None:
    schema = DEFAULT_PATH.read_text(encoding="utf-8")
    assert json.dumps(REF_PATTERN) in schema
    assert '"^f[0-9]{1,4}e[0-9]{1,9}$"' not in schema


# --- consumers: one element, two spellings ---------------------------------------------------------------

NEW_TEXT = 'main e1\n button "Pay" e7\n iframe "Card" e8\n  textbox "Number" f2e3\n - text e9 is not a ref'
OLD_TEXT = 'main f0e1\n button "Pay" f0e7\n iframe "Card" f0e8\n  textbox "Number" f2e3'


@pytest.mark.parametrize("text", [NEW_TEXT, OLD_TEXT], ids=["short", "old"])
def test_policy_memory_finds_an_element_under_either_spelling(text: str) -> None:
    memory = ElementMemory()
    assert memory.learn("run", 7, text) == 4  # the text line is no element
    for ref in ("e7", "f0e7", "f00e07"):
        assert memory.lookup("run", 7, ref) == ("button", "Pay")
    assert memory.lookup("run", 7, "f2e3") == ("textbox", "Number")
    assert memory.lookup("run", 7, "e3") is None  # another frame's element 3
    assert memory.lookup("run", 7, "e9") is None
    assert memory.lookup("run", 7, "not a ref") is None


def test_policy_memory_forgets_a_ref_two_spellings_give_two_elements() -> None:
    memory = ElementMemory()
    memory.learn("run", 7, 'button "Pay" e7\nbutton "Cancel" f0e7\nlink "Home" e2')
    assert memory.lookup("run", 7, "e7") is None  # one element, named twice differently: trust neither
    assert memory.lookup("run", 7, "f0e2") == ("link", "Home")


def _transcript(snapshot: str, ref: str) -> list[ChatMessage]:
    return [
        ChatMessage(role="assistant", tool_calls=(ToolCall(id="s", name="snapshot", arguments="{}"),)),
        ChatMessage(role="tool", tool_call_id="s", content=snapshot),
        ChatMessage(role="assistant",
                    tool_calls=(ToolCall(id="c", name="click", arguments=json.dumps({"ref": ref})),)),
        ChatMessage(role="tool", tool_call_id="c", content="clicked"),
    ]


@pytest.mark.parametrize(("snapshot", "ref"), [(NEW_TEXT, "f0e7"), (OLD_TEXT, "e7"), (NEW_TEXT, "e7")])
def test_a_workflow_records_the_target_whichever_spelling_the_model_copied(snapshot: str, ref: str) -> None:
    flow = wf.from_transcript("x", "t", _transcript(snapshot, ref))
    assert flow.steps[0].target == wf.Target(role="button", name="Pay")


def test_a_workflow_never_takes_another_frames_element_or_a_ref_inside_a_word() -> None:
    with pytest.raises(WorkflowInvalid, match="acts on e3"):
        wf.from_transcript("x", "t", _transcript(NEW_TEXT, "e3"))  # f2e3 is frame 2's element 3
    with pytest.raises(WorkflowInvalid, match="acts on e7"):
        wf.from_transcript("x", "t", _transcript('button "Pay" xe7 ye7-\nbutton "Go" be7', "e7"))


def test_replay_takes_the_short_ref_after_the_exact_name() -> None:
    snapshot = 'link "Invoices archive" e9\nlink "Invoices" e2 focused\nlink "Old" f0e4'
    assert wf.ref_for(snapshot, wf.Target(role="link", name="Invoices")) == "e2"
    assert wf.ref_for(snapshot, wf.Target(role="link", name="Old")) == "f0e4"
    assert wf.ref_for('link "Invoices" xe2', wf.Target(role="link", name="Invoices")) is None


def test_the_obedient_model_reads_short_refs() -> None:
    assert find_ref(NEW_TEXT, "pay", text_field=False) == "e7"
    assert find_ref(NEW_TEXT, "number", text_field=True) == "f2e3"
    assert find_ref(OLD_TEXT, "pay", text_field=False) == "f0e7"
