"""Replaying a saved workflow: :class:`WorkflowModel`, a :class:`~webbridge.agent.chat.Model` whose planner is
the recording.

A workflow replays through the same loop, tools, policy and audit as a model-driven run: the model "answers"
each turn with the next recorded tool call, after checking the previous call's result. So a replay streams the
same events, lands in the same store and obeys the same grants as any other run; only the planner differs.

- Before a step with a ``target`` the replay asks for a ``snapshot`` in ``find`` mode and takes the ref of
  the element whose role and name match exactly (:func:`ref_for`); no match fails the run (it never acts on
  a near miss).
- ``expect`` checks run on each step's result; a failed check, an error result or a missing placeholder ends
  the run with :class:`WorkflowFailed` saying which step and why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Literal

from ...errors import WorkflowFailed
from ...protocol.refs import REF_TOKEN
from ..chat import ChatMessage, DeltaSink, ModelReply, TextDelta, ToolCall, ToolSpec
from .file_format import Step, Target, Workflow, fill

#: A ref in either spelling (``e12``, ``f3e12``, the old ``f0e12``), as a word of its own.
REF = re.compile(rf"(?<![\w-]){REF_TOKEN}(?![\w-])")
#: The tool a replay uses to turn a target into a ref, and its arguments.
FIND_TOOL = "snapshot"


def ref_for(text: str, target: Target) -> str | None:
    """The ref (as the snapshot spells it) of the first line of a snapshot that names ``target`` by exact
    role and name, else ``None``."""
    head = f'{target.role} "{target.name}"'
    for line in text.splitlines():
        stripped = line.strip().removeprefix("- ")
        if stripped.startswith(head):
            rest = stripped[len(head):]
            if rest and not rest.startswith(" "):
                continue  # a longer name that merely starts the same way
            found = REF.search(rest)
            if found:
                return found.group(0)
    return None


class WorkflowModel:
    """A :class:`~webbridge.agent.chat.Model` that replays a workflow. One instance per run (it keeps state).

    ``complete`` reads the answer to its previous call from the transcript, checks it, and returns the next
    call; after the last step it returns the filled-in answer with no tool calls, which ends the run. Raises
    :class:`WorkflowFailed` when the replay cannot go on. Nothing here waits, so cancellation is immediate.
    """

    def __init__(self, workflow: Workflow, params: Mapping[str, str] | None = None) -> None:
        self.workflow = workflow
        self.variables: dict[str, str] = workflow.bind(params or {})
        self._index = 0  # the step to run next (or whose result we wait for)
        self._waiting: tuple[Literal["find", "step"], str] | None = None
        self._calls = 0

    @property
    def name(self) -> str:
        return f"workflow:{self.workflow.name}"

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec] = (),
        *,
        on_delta: DeltaSink | None = None,
        max_tokens: int | None = None,
    ) -> ModelReply:
        available = {t.name for t in tools}
        pending_ref: str | None = None
        if self._waiting is not None:
            stage, call_id = self._waiting
            result = _result_of(messages, call_id)
            step = self.workflow.steps[self._index]
            where = f"step {self._index + 1} ({step.note or step.tool})"
            if result.is_error:
                raise WorkflowFailed(f"{where} failed: {result.content[:500]}")
            if stage == "find":
                assert step.target is not None
                pending_ref = ref_for(result.content, step.target)
                if pending_ref is None:
                    raise WorkflowFailed(
                        f"{where}: no {step.target.role} named {step.target.name!r} on the page")
            else:
                self._check(step, result.content, where)
                self._index += 1
        if self._index >= len(self.workflow.steps):
            answer = fill(self.workflow.answer, self.variables)
            if on_delta is not None:
                await on_delta(TextDelta(text=answer))
            return ModelReply(message=ChatMessage(role="assistant", content=answer), stop_reason="end_turn",
                              model=self.name)
        step = self.workflow.steps[self._index]
        self._calls += 1
        call_id = f"wf{self._calls}"
        if step.target is not None and pending_ref is None:
            target = Target(**fill(step.target.model_dump(), self.variables))
            tool, args = FIND_TOOL, {"mode": "find", "query": target.name, "role": target.role}
            self._waiting = ("find", call_id)
        else:
            tool, args = step.tool, fill(step.args, self.variables)
            if pending_ref is not None:
                args["ref"] = pending_ref
            self._waiting = ("step", call_id)
        if available and tool not in available:
            raise WorkflowFailed(
                f"step {self._index + 1} needs the tool {tool!r}, which this run does not have")
        call = ToolCall(id=call_id, name=tool, arguments=json.dumps(args))
        note = step.note or step.tool
        return ModelReply(
            message=ChatMessage(role="assistant", content=note, tool_calls=(call,)),
            stop_reason="tool_calls",
            model=self.name,
        )

    def _check(self, step: Step, text: str, where: str) -> None:
        for check in step.expect:
            if check.contains is not None and fill(check.contains, self.variables) not in text:
                raise WorkflowFailed(f"{where}: expected the result to contain {check.contains!r}")
            if check.absent is not None and fill(check.absent, self.variables) in text:
                raise WorkflowFailed(f"{where}: expected the result not to contain {check.absent!r}")
        for var, pattern in step.save.items():
            found = re.search(pattern, text)
            if found is None:
                raise WorkflowFailed(f"{where}: nothing in the result matches the pattern for {var!r}")
            self.variables[var] = found.group(1) if found.re.groups else found.group(0)


def _result_of(messages: Sequence[ChatMessage], call_id: str) -> ChatMessage:
    for message in reversed(messages):
        if message.role == "tool" and message.tool_call_id == call_id:
            return message
    raise WorkflowFailed(f"the transcript holds no result for the replayed call {call_id}")
