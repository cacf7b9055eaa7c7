"""Saved workflows: replay through the Model interface, checks, targets, saving a run as a workflow."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from webbridge.agent import workflows as wf
from webbridge.agent.chat import ChatMessage, ToolCall, ToolSpec
from webbridge.errors import WorkflowFailed, WorkflowInvalid

SNAPSHOT = '''banner
  link "Home" f0e1
  link "Invoices" f0e2
  link "Invoices archive" f0e9
main
  button "Show open only" f0e3
'''
TOOLS = [ToolSpec(name=n, description=n)
         for n in ("snapshot", "click", "page_text", "write_file", "tab_open")]

Tool = Callable[[dict[str, object]], tuple[str, bool]]


Calls = list[tuple[str, dict[str, object]]]


async def replay(model: wf.WorkflowModel, tools: dict[str, Tool]) -> tuple[str, Calls]:
    """A minimal loop: ask the model, run its calls with ``tools``, feed results back, until it answers."""
    messages = [ChatMessage(role="user", content=model.workflow.task)]
    calls: Calls = []
    for _ in range(50):
        reply = await model.complete(messages, TOOLS)
        messages.append(reply.message)
        if not reply.message.tool_calls:
            return reply.message.content, calls
        for call in reply.message.tool_calls:
            args = json.loads(call.arguments)
            calls.append((call.name, args))
            text, is_error = tools[call.name](args)
            messages.append(ChatMessage(role="tool", tool_call_id=call.id, content=text, is_error=is_error))
    raise AssertionError("the replay never ended")


def invoices_workflow(**overrides: object) -> wf.Workflow:
    data: dict[str, object] = {
        "name": "open-invoices",
        "task": "Save the open invoices to a file",
        "params": {"portal": {"default": "http://portal.test"}, "out": {"description": "file name"}},
        "steps": [
            {"tool": "tab_open", "args": {"url": "{{portal}}/invoices"}},
            {"tool": "click", "target": {"role": "link", "name": "Invoices"},
             "expect": [{"contains": "clicked"}]},
            {"tool": "page_text", "save": {"table": r"(?s)(\| Invoice.*?)\n\n", "first": r"INV-\d+"}},
            {"tool": "write_file", "args": {"path": "{{out}}", "content": "# Open\n{{table}}\n"}},
        ],
        "answer": "Saved to {{out}} (first: {{first}})",
    }
    data.update(overrides)
    return wf.Workflow.model_validate(data)


def fake_tools(log: list[str]) -> dict[str, Tool]:
    def page_text(_a: dict[str, object]) -> tuple[str, bool]:
        return "# Invoices\n\n| Invoice | Status |\n| INV-1 | Open |\n\nfooter", False

    def write(a: dict[str, object]) -> tuple[str, bool]:
        log.append(str(a["content"]))
        return f"wrote {a['path']}", False

    return {
        "tab_open": lambda a: (f"opened {a['url']}", False),
        "snapshot": lambda a: (SNAPSHOT, False),
        "click": lambda a: (f"clicked {a['ref']}", False),
        "page_text": page_text,
        "write_file": write,
    }


async def test_replay_resolves_targets_saves_values_and_fills_the_answer() -> None:
    written: list[str] = []
    model = wf.WorkflowModel(invoices_workflow(), {"out": "open.md"})
    answer, calls = await replay(model, fake_tools(written))
    assert [c[0] for c in calls] == ["tab_open", "snapshot", "click", "page_text", "write_file"]
    assert calls[0][1] == {"url": "http://portal.test/invoices"}
    assert calls[1][1] == {"mode": "find", "query": "Invoices", "role": "link"}
    assert calls[2][1] == {"ref": "f0e2"}  # exact name: not "Invoices archive"
    assert written == ["# Open\n| Invoice | Status |\n| INV-1 | Open |\n"]
    assert answer == "Saved to open.md (first: INV-1)"
    assert model.name == "workflow:open-invoices"


async def test_a_failed_check_stops_the_replay_naming_the_step() -> None:
    tools = fake_tools([])
    tools["click"] = lambda a: ("nothing happened", False)
    with pytest.raises(WorkflowFailed, match=r"step 2 \(click\).*contain 'clicked'"):
        await replay(wf.WorkflowModel(invoices_workflow(), {"out": "x.md"}), tools)


async def test_an_error_result_stops_the_replay() -> None:
    tools = fake_tools([])
    tools["tab_open"] = lambda a: ("[6004 url_blocked] nope", True)
    with pytest.raises(WorkflowFailed, match=r"step 1 \(tab_open\) failed: \[6004"):
        await replay(wf.WorkflowModel(invoices_workflow(), {"out": "x.md"}), tools)


async def test_a_missing_element_never_acts_on_a_near_miss() -> None:
    tools = fake_tools([])
    tools["snapshot"] = lambda a: ('link "Invoices archive" f0e9\n', False)
    with pytest.raises(WorkflowFailed, match="no link named 'Invoices'"):
        await replay(wf.WorkflowModel(invoices_workflow(), {"out": "x.md"}), tools)


async def test_a_save_pattern_that_matches_nothing_fails() -> None:
    tools = fake_tools([])
    tools["page_text"] = lambda a: ("empty page", False)
    with pytest.raises(WorkflowFailed, match="pattern for 'table'"):
        await replay(wf.WorkflowModel(invoices_workflow(), {"out": "x.md"}), tools)


async def test_a_tool_the_run_lacks_is_refused_before_calling() -> None:
    model = wf.WorkflowModel(invoices_workflow(), {"out": "x.md"})
    with pytest.raises(WorkflowFailed, match="needs the tool 'tab_open'"):
        await model.complete([ChatMessage(role="user", content="go")],
                             [ToolSpec(name="click", description="")])


def test_parameters_are_bound_with_defaults_and_checked() -> None:
    flow = invoices_workflow()
    assert flow.bind({"out": "a.md"}) == {"portal": "http://portal.test", "out": "a.md"}
    with pytest.raises(WorkflowInvalid, match="needs the parameter 'out'"):
        flow.bind({})
    with pytest.raises(WorkflowInvalid, match="no parameter nope"):
        flow.bind({"out": "a", "nope": "b"})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"steps": [{"tool": "click", "args": {"x": "{{nobody}}"}}]}, "uses {{nobody}}"),
        ({"answer": "{{later}}"}, "answer uses {{later}}"),
        ({"steps": []}, "at least 1"),
        ({"steps": [{"tool": "t", "save": {"bad-name": "x"}}]}, "not a valid variable name"),
        ({"steps": [{"tool": "t", "save": {"v": "("}}]}, "not a regular expression"),
        ({"steps": [{"tool": "t", "expect": [{}]}]}, "exactly one of contains / absent"),
        ({"name": "Has Spaces"}, "pattern"),
        ({"extra": 1}, "Extra inputs"),
    ],
)
def test_invalid_workflows_are_refused_with_the_reason(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        invoices_workflow(**change)


async def test_a_run_saved_as_a_workflow_replays_the_same_calls(tmp_path: Path) -> None:
    # A model-driven run: snapshot, a failed click, the good click, page text, write.
    run = [
        ChatMessage(role="user", content="save open invoices"),
        ChatMessage(role="assistant", tool_calls=(
            ToolCall(id="a", name="tab_open", arguments='{"url": "http://portal.test/x"}'),)),
        ChatMessage(role="tool", tool_call_id="a", content="opened"),
        ChatMessage(role="assistant", tool_calls=(
            ToolCall(id="b", name="snapshot", arguments="{}"),)),
        ChatMessage(role="tool", tool_call_id="b", content=SNAPSHOT),
        ChatMessage(role="assistant", tool_calls=(
            ToolCall(id="c", name="click", arguments='{"ref": "f0e7"}'),)),
        ChatMessage(role="tool", tool_call_id="c", content="[6001 stale_ref]", is_error=True),
        ChatMessage(role="assistant", tool_calls=(
            ToolCall(id="d", name="click", arguments='{"ref": "f0e2"}'),)),
        ChatMessage(role="tool", tool_call_id="d", content="clicked"),
        ChatMessage(role="assistant", content="done"),
    ]
    flow = wf.from_transcript("saved", "save open invoices", run, {"portal": "http://portal.test"})
    assert [(s.tool, s.args, s.target) for s in flow.steps] == [
        ("tab_open", {"url": "{{portal}}/x"}, None),
        ("click", {}, wf.Target(role="link", name="Invoices")),
    ]
    path = wf.save(flow, tmp_path / "flows" / "saved.json")
    loaded = wf.load(path)
    assert loaded == flow
    _answer, calls = await replay(wf.WorkflowModel(loaded, {"portal": "http://other.test"}), fake_tools([]))
    assert calls == [("tab_open", {"url": "http://other.test/x"}),
                     ("snapshot", {"mode": "find", "query": "Invoices", "role": "link"}),
                     ("click", {"ref": "f0e2"})]


def test_a_ref_no_result_described_cannot_be_saved() -> None:
    run = [
        ChatMessage(role="assistant", tool_calls=(
            ToolCall(id="c", name="click", arguments='{"ref": "f3e3"}'),)),
        ChatMessage(role="tool", tool_call_id="c", content="clicked"),
    ]
    with pytest.raises(WorkflowInvalid, match="acts on f3e3"):
        wf.from_transcript("x", "t", run)


def test_load_names_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "task": "t", "steps": [{"tool": 3}]}')
    with pytest.raises(WorkflowInvalid, match=r"bad.json: steps.0.tool"):
        wf.load(bad)
    with pytest.raises(WorkflowInvalid, match="cannot read"):
        wf.load(tmp_path / "missing.json")
