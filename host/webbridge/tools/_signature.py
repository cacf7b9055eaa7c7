"""From a tool function's signature and docstring to its pydantic arguments model and JSON Schema.

Everything here runs at decoration time, so a bad definition fails at import with ``TypeError``.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PydanticUserError, ValidationError, create_model

if TYPE_CHECKING:
    from .registry import RegisteredTool

#: Tool names providers accept (OpenAI's and Anthropic's common subset).
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ARGS_HEADINGS = ("args:", "arguments:", "parameters:")
_SECTION_RE = re.compile(r"^[A-Z][A-Za-z ]*:$")
_ARG_LINE_RE = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


class _ArgsBase(BaseModel):
    # Unknown argument names are refused so a model's typo is an error it sees, not a silently dropped
    # argument.
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Built:
    name: str
    description: str
    args_model: type[BaseModel]
    takes_ctx: bool


def build(fn: Callable[..., Any], *, name: str | None, description: str | None) -> Built:
    """The name, description and arguments model of ``fn``. Raises ``TypeError`` for a bad definition."""
    label = getattr(fn, "__qualname__", repr(fn))

    def fail(why: str) -> TypeError:
        return TypeError(f"@tool {label}: {why}")

    if not inspect.iscoroutinefunction(fn):
        raise fail("must be an async def function")
    tool_name = name if name is not None else fn.__name__
    if not NAME_RE.match(tool_name):
        raise fail(f"name {tool_name!r} must match {NAME_RE.pattern}")
    summary, arg_docs = parse_docstring(inspect.getdoc(fn) or "")
    desc = (description if description is not None else summary).strip()
    if not desc:
        raise fail("needs a description (a docstring or description=...)")
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:
        raise fail(f"cannot resolve its annotations ({exc})") from None

    params = list(inspect.signature(fn).parameters.values())
    takes_ctx = bool(params) and params[0].name == "ctx"
    if takes_ctx:
        from .registry import ToolContext  # a cycle at import time otherwise

        if hints.get("ctx") is not ToolContext:
            raise fail("its ctx parameter must be annotated ToolContext")
        params = params[1:]
    fields: dict[str, Any] = {}
    for p in params:
        if p.name == "ctx":
            raise fail("ctx must be the first parameter")
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise fail(f"*{p.name} / **{p.name} cannot be described to a model")
        if p.kind is p.POSITIONAL_ONLY:
            raise fail(f"{p.name} is positional-only; the registry passes arguments by name")
        if p.name not in hints:
            raise fail(f"parameter {p.name!r} has no type annotation")
        if p.name.startswith("_"):
            raise fail(f"parameter {p.name!r}: names starting with _ are not sent to models")
        annotation = hints[p.name]
        doc = arg_docs.pop(p.name, None)
        if doc is not None:
            annotation = Annotated[annotation, Field(description=doc)]
        default = ... if p.default is inspect.Parameter.empty else p.default
        fields[p.name] = (annotation, default)
    if arg_docs:
        raise fail(f"its docstring documents arguments it does not take: {', '.join(sorted(arg_docs))}")
    model_name = "".join(part.title() for part in tool_name.replace("-", "_").split("_")) + "Args"
    try:
        model = create_model(model_name, __base__=_ArgsBase, **fields)
        model.model_json_schema()
    except (PydanticUserError, TypeError, ValueError) as exc:
        raise fail(f"its arguments have no JSON Schema ({str(exc).splitlines()[0]})") from None
    return Built(tool_name, desc, model, takes_ctx)


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The first paragraph (joined into one line) and the ``Args:`` section's ``name: text`` entries."""
    lines = doc.splitlines()
    summary: list[str] = []
    for line in lines:
        if not line.strip() or line.strip().lower() in _ARGS_HEADINGS:
            break
        summary.append(line.strip())
    args: dict[str, str] = {}
    current: str | None = None
    inside = False
    base_indent = 0
    for line in lines:
        stripped = line.strip()
        if stripped.lower() in _ARGS_HEADINGS:
            inside, current = True, None
            continue
        if not inside:
            continue
        if not stripped:
            current = None
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0 and _SECTION_RE.match(stripped):
            inside = False  # the next section (Returns:, Raises:) starts
            continue
        match = _ARG_LINE_RE.match(stripped)
        if match and (current is None or indent <= base_indent):
            current, base_indent = match.group(1).lstrip("*"), indent
            args[current] = match.group(2).strip()
        elif current is not None:
            args[current] = f"{args[current]} {stripped}".strip()
    return " ".join(summary), args


def describe_errors(exc: ValidationError, limit: int = 8) -> str:
    """One short line per bad field, e.g. ``ref: String should match pattern ...; extra: not allowed``."""
    parts = []
    for err in exc.errors(include_url=False)[:limit]:
        where = ".".join(str(x) for x in err["loc"]) or "arguments"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown argument"
        elif err["type"] == "missing":
            msg = "required"
        parts.append(f"{where}: {msg}")
    more = len(exc.errors()) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def schema_of(t: RegisteredTool) -> dict[str, Any]:
    """The JSON Schema of ``t``'s arguments without pydantic's ``title`` noise."""
    schema = _strip_titles(t.args_model.model_json_schema())
    assert isinstance(schema, dict)
    schema.setdefault("properties", {})
    return schema


def _strip_titles(node: Any) -> Any:
    """Drop the ``title`` keyword from every schema object (a property *named* title is kept)."""
    if isinstance(node, list):
        return [_strip_titles(x) for x in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in ("default", "const", "enum", "examples"):
            out[key] = value  # data, not schema
        elif key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            out[key] = {k: _strip_titles(v) for k, v in value.items()}
        else:
            out[key] = _strip_titles(value)
    return out
