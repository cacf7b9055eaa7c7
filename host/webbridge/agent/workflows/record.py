"""Recording a workflow: :func:`from_transcript` turns a successful run's transcript into a :class:`Workflow`
(refs become role+name targets, parameter values become placeholders)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from ...errors import WorkflowInvalid
from ...protocol.refs import canonical_ref, is_ref
from ..chat import ChatMessage
from .file_format import Param, Step, Target, Workflow, _first_error
from .replay import FIND_TOOL, REF


def from_transcript(
    name: str,
    task: str,
    messages: Sequence[ChatMessage],
    params: Mapping[str, str] | None = None,
    *,
    answer: str = "Done.",
) -> Workflow:
    """A workflow that repeats the successful tool calls of a finished run.

    Failed calls and ``snapshot`` calls are left out (a replay finds what it needs itself). A ``ref`` argument
    becomes a role+name target, read from the snapshot line that showed the ref earlier in the run; raises
    :class:`WorkflowInvalid` when no earlier result describes it. Each value in ``params`` is replaced by its
    placeholder wherever it appears in an argument (longest values first).
    """
    params = dict(params or {})
    results = {m.tool_call_id: m for m in messages if m.role == "tool" and m.tool_call_id}
    seen_text: list[str] = []
    steps: list[Step] = []
    for message in messages:
        if message.role == "tool":
            seen_text.append(message.content)
            continue
        if message.role != "assistant":
            continue
        for call in message.tool_calls:
            result = results.get(call.id)
            if result is None or result.is_error or call.name == FIND_TOOL:
                continue
            try:
                args = json.loads(call.arguments)
            except json.JSONDecodeError:
                continue
            if not isinstance(args, dict):
                continue
            target = None
            ref = args.pop("ref", None)
            if isinstance(ref, str):
                target = _target_from(seen_text, ref)
                if target is None:
                    raise WorkflowInvalid(f"call {call.id} ({call.name}) acts on {ref}, which no earlier "
                                          "result describes; the run cannot be saved as a workflow")
            steps.append(Step(tool=call.name, args=_parameterise(args, params), target=target))
    if not steps:
        raise WorkflowInvalid("the run made no successful tool call to record")
    try:
        return Workflow(
            name=name, task=task, steps=tuple(steps), answer=answer,
            params={k: Param(default=v) for k, v in params.items()},
        )
    except ValidationError as exc:
        raise WorkflowInvalid(_first_error(exc)) from exc


_NAMED_LINE = re.compile(r'^\s*(?:- )?([a-z]+) "((?:[^"\\]|\\.)*)"([^\n]*)', re.M)


def _target_from(texts: Sequence[str], ref: str) -> Target | None:
    """The role and name of the latest line that shows ``ref`` after its name; either spelling of a
    top-frame ref matches the other (``f0e12`` is ``e12``). None when no line does or ``ref`` is no ref."""
    if not is_ref(ref):
        return None
    want = canonical_ref(ref)
    for text in reversed(texts):
        for found in _NAMED_LINE.finditer(text):
            if any(canonical_ref(m.group(0)) == want for m in REF.finditer(found.group(3))):
                return Target(role=found.group(1), name=found.group(2))
    return None


def _parameterise(value: Any, params: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for key, raw in sorted(params.items(), key=lambda kv: -len(kv[1])):
            if raw:
                value = value.replace(raw, "{{" + key + "}}")
        return value
    if isinstance(value, dict):
        return {k: _parameterise(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_parameterise(v, params) for v in value]
    return value
