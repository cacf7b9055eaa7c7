"""Saved workflows: a recorded, parameterised sequence of tool calls with checks, replayed without a model.

A workflow replays through the same loop, tools, policy and audit as a model-driven run:
:class:`WorkflowModel` implements :class:`~webbridge.agent.chat.Model` and "answers" each turn with the next
recorded tool call, after checking the previous call's result. So a replay streams the same events, lands in
the same store and obeys the same grants as any other run; only the planner differs.

- Steps name elements by role and accessible name (``target``), never by ref: refs live only as long as the
  page. Before such a step the replay asks for a ``snapshot`` in ``find`` mode and takes the ref of the
  element whose role and name match exactly; no match fails the run (it never acts on a near miss).
- ``{{name}}`` placeholders in arguments and in the answer are filled from the run's parameters and from
  values earlier steps ``save`` (a regular expression over the step's result text; group 1 when it has one).
- ``expect`` checks run on each step's result; a failed check, an error result or a missing placeholder ends
  the run with :class:`WorkflowFailed` saying which step and why.

:func:`from_transcript` turns a successful run's transcript into a workflow (refs become role+name targets,
parameter values become placeholders). :func:`load` / :func:`save` read and write the JSON form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..atomic import write_atomic
from ..errors import WorkflowFailed, WorkflowInvalid
from .chat import ChatMessage, DeltaSink, ModelReply, TextDelta, ToolCall, ToolSpec

FORMAT = "webbridge.workflow/1"
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}")
REF = re.compile(r"\bf\d+e\d+\b")
#: The tool a replay uses to turn a target into a ref, and its arguments.
FIND_TOOL = "snapshot"
MAX_STEPS = 500
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Target(_Strict):
    """An element named the way the page model names it: its role and its exact accessible name."""

    role: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(min_length=1, max_length=500)]


class Check(_Strict):
    """What a step's result must (``contains``) or must not (``absent``) say."""

    contains: str | None = None
    absent: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Check:
        if (self.contains is None) == (self.absent is None):
            raise ValueError("a check has exactly one of contains / absent")
        return self


class Step(_Strict):
    tool: Annotated[str, Field(min_length=1, max_length=64)]
    args: dict[str, Any] = Field(default_factory=dict)
    #: Fills ``args["ref"]`` with the ref of this element at replay time.
    target: Target | None = None
    expect: tuple[Check, ...] = ()
    #: variable name -> regular expression over the result text (group 1 if present, else the match).
    save: dict[str, str] = Field(default_factory=dict)
    note: str = ""

    @field_validator("save")
    @classmethod
    def _patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for var, pattern in value.items():
            if not PLACEHOLDER.fullmatch("{{" + var + "}}"):
                raise ValueError(f"save: {var!r} is not a valid variable name")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"save.{var}: not a regular expression: {exc}") from exc
        return value


class Param(_Strict):
    description: str = ""
    default: str | None = None


class Workflow(_Strict):
    format: Literal["webbridge.workflow/1"] = "webbridge.workflow/1"
    name: Name
    description: str = ""
    #: The goal in words: what a model is asked when the same task runs through the agent.
    task: Annotated[str, Field(min_length=1, max_length=20_000)]
    params: dict[str, Param] = Field(default_factory=dict)
    steps: Annotated[tuple[Step, ...], Field(min_length=1, max_length=MAX_STEPS)]
    answer: str = "Done."

    @model_validator(mode="after")
    def _placeholders_are_known(self) -> Workflow:
        known = set(self.params)
        for index, step in enumerate(self.steps, 1):
            target = step.target.model_dump() if step.target else {}
            for var in _placeholders(step.args) | _placeholders(target):
                if var not in known:
                    raise ValueError(f"step {index} ({step.tool}) uses {{{{{var}}}}}, which no param or "
                                     "earlier step defines")
            known |= set(step.save)
        for var in _placeholders(self.answer):
            if var not in known:
                raise ValueError(f"answer uses {{{{{var}}}}}, which no param or step defines")
        return self

    def bind(self, values: Mapping[str, str]) -> dict[str, str]:
        """The parameter values for one run: defaults filled in, unknown or missing names refused."""
        unknown = sorted(set(values) - set(self.params))
        if unknown:
            raise WorkflowInvalid(f"workflow {self.name} has no parameter {', '.join(unknown)}")
        bound: dict[str, str] = {}
        for key, param in self.params.items():
            if key in values:
                bound[key] = values[key]
            elif param.default is not None:
                bound[key] = param.default
            else:
                raise WorkflowInvalid(
                    f"workflow {self.name} needs the parameter {key!r} ({param.description})")
        return bound


def _placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, Mapping):
        return set().union(*(_placeholders(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(_placeholders(v) for v in value)) if value else set()
    return set()


def fill(value: Any, variables: Mapping[str, str]) -> Any:
    """``value`` with every ``{{name}}`` replaced; raises :class:`WorkflowFailed` for an unknown name."""
    if isinstance(value, str):
        def one(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in variables:
                raise WorkflowFailed(f"{{{{{key}}}}} has no value")
            return variables[key]
        return PLACEHOLDER.sub(one, value)
    if isinstance(value, Mapping):
        return {k: fill(v, variables) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [fill(v, variables) for v in value]
    return value


def ref_for(text: str, target: Target) -> str | None:
    """The ref of the first line of a snapshot that names ``target`` by exact role and name, else ``None``."""
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


# --- from a run, to and from files ------------------------------------------------------------------------


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


def _target_from(texts: Sequence[str], ref: str) -> Target | None:
    line_re = re.compile(r'^\s*(?:- )?([a-z]+) "((?:[^"\\]|\\.)*)"[^\n]*\b' + re.escape(ref) + r"\b", re.M)
    for text in reversed(texts):
        found = line_re.search(text)
        if found:
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


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "workflow"
    return f"{where}: {err['msg']}"


def load(path: Path) -> Workflow:
    """Read a workflow file; raises :class:`WorkflowInvalid` naming the file and the bad field."""
    try:
        return Workflow.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise WorkflowInvalid(f"{path}: cannot read: {exc.strerror}") from exc
    except ValidationError as exc:
        raise WorkflowInvalid(f"{path}: {_first_error(exc)}") from exc


def save(workflow: Workflow, path: Path) -> Path:
    """Write ``workflow`` to ``path`` whole or not at all (temp file + rename). Returns the path."""
    write_atomic(path, workflow.model_dump_json(indent=2) + "\n", make_parent=True)
    return path


class WorkflowLibrary:
    """The user's saved workflows: one ``NAME.json`` file each in one folder (the daemon's data folder).

    Names are validated before they touch the file system (no path tricks: ``Name`` allows only
    ``[a-z0-9._-]`` and no leading dot). Reading a missing workflow raises :class:`WorkflowInvalid`.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_of(self, name: str) -> Path:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", name) or ".." in name:
            raise WorkflowInvalid(f"{name!r} is not a workflow name (lowercase letters, digits, . _ -)")
        return self.folder / f"{name}.json"

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.json") if not p.name.startswith("."))

    def load(self, name: str) -> Workflow:
        path = self.path_of(name)
        if not path.is_file():
            raise WorkflowInvalid(f"no saved workflow named {name!r} (in {self.folder})")
        return load(path)

    def save(self, workflow: Workflow) -> Path:
        return save(workflow, self.path_of(workflow.name))

    def replay(self, name: str, params: Mapping[str, str]) -> WorkflowModel:
        """The replay model of ``name`` bound to ``params`` (the run manager's workflow factory)."""
        return WorkflowModel(self.load(name), params)
