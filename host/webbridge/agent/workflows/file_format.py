"""The saved workflow file format (``webbridge.workflow/1``): its models, their validation and the JSON file.

- Steps name elements by role and accessible name (``target``), never by ref: refs live only as long as the
  page.
- ``{{name}}`` placeholders in arguments and in the answer are filled (:func:`fill`) from the run's parameters
  and from values earlier steps ``save`` (a regular expression over the step's result text; group 1 when it
  has one). :class:`Workflow` refuses a placeholder that no parameter or earlier step defines.

:func:`load` / :func:`save` read and write the JSON form; both raise :class:`WorkflowInvalid` naming the file
and the bad field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ...atomic import write_atomic
from ...errors import WorkflowFailed, WorkflowInvalid

FORMAT = "webbridge.workflow/1"
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}")
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
