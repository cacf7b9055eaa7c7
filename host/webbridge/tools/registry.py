"""The tool registry: ``@tool`` turns a typed async function into a tool the model can call.

One signature gives both the JSON Schema the model sees and the pydantic validator its arguments go through
(:mod:`webbridge.tools._signature` builds them). A first parameter named ``ctx`` (annotated
:class:`ToolContext`) is injected and kept out of the schema. Bad definitions fail at decoration time with
``TypeError``.

:meth:`ToolRegistry.call` sorts every outcome by who must act (STYLE.md point 4):

- outcomes the model should see and can recover from come back as ``ToolResult(is_error=True,
  error_code=...)``: an unknown tool, arguments that are not a JSON object or fail validation, and any
  :class:`~webbridge.errors.WebBridgeError` whose class says ``model_visible = True``
  (:class:`~webbridge.errors.ToolError`, the 6xxx browser errors, policy refusals raised by a hook);
- everything else propagates and ends the run: ``ChannelClosed``, ``RequestTimeout``, cancellation, bugs.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, overload

from pydantic import BaseModel, ValidationError

from ..agent.chat import ToolCall, ToolSpec
from ..errors import BadToolArguments, UnknownTool, WebBridgeError
from ..policy.actions import ActionClass
from . import _signature
from .browser import RequestChannel

#: Longest text a tool result shows the model; longer content is cut and says so.
MAX_RESULT_CHARS = 100_000


class BridgeHandle(Protocol):
    """What a tool sees of a bridge (``webbridge.daemon.bridges.Bridge`` is one): its id and its channel."""

    @property
    def bridge_id(self) -> str: ...

    @property
    def channel(self) -> RequestChannel: ...


@dataclass
class ToolContext:
    """What a call runs with; one per run, shared by its calls (``tab_id`` and ``state`` carry over)."""

    run_id: str
    #: The browser this run acts in; ``None`` when none is connected (browser tools then refuse, 7103).
    bridge: BridgeHandle | None
    #: The task's current tab; tools that open or activate a tab update it.
    tab_id: int | None
    #: The folder the file tools may read and write (created by the caller).
    workspace: Path
    #: Called before and after every validated call, in order (the policy slots in here).
    hooks: Sequence[ToolHook] = ()
    #: Optional short progress note for the UI.
    emit: Callable[[str], Awaitable[None]] | None = None
    #: Free for tools to keep per-run state (e.g. the last snapshot, for deltas).
    state: dict[str, Any] = field(default_factory=dict)


class ToolHook(Protocol):
    """Runs around every call whose arguments validated.

    ``before_call`` may raise a model-visible error (``PolicyDenied``, any ``ToolError``) to stop the call:
    it becomes the call's error result and the tool does not run. ``after_call`` runs on every hook with the
    final result (error results too), also after a hook refused the call. Other exceptions from a hook
    propagate and end the run.
    """

    async def before_call(self, tool: RegisteredTool, args: BaseModel, ctx: ToolContext) -> None: ...

    async def after_call(
        self, tool: RegisteredTool, args: BaseModel, ctx: ToolContext, result: ToolResult
    ) -> None: ...


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one call."""

    #: What the model sees (concise text).
    content: str
    is_error: bool = False
    #: The content came from a web page or a file: the loop marks it as data, never as instructions.
    untrusted: bool = False
    #: Structured result (JSON-able) for the UI, workflows and tests.
    data: Any = None
    #: Absolute paths of files the tool wrote.
    artifacts: tuple[str, ...] = ()
    error_code: int | None = None

    @classmethod
    def from_error(cls, err: WebBridgeError) -> ToolResult:
        """The error result the model sees for ``err``: its code, name and message."""
        return cls(
            content=f"Error {err.code} {err.name}: {err.message}",
            is_error=True,
            error_code=err.code,
            data={"code": err.code, "name": err.name, "message": err.message},
        )


ToolFn = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class RegisteredTool:
    """A tool as the registry keeps it; made by :func:`tool`."""

    name: str
    description: str
    action: ActionClass
    args_model: type[BaseModel]
    fn: ToolFn
    #: Whether ``fn`` takes the context as its first argument.
    takes_ctx: bool = True
    #: Refines ``action`` per call when the effect depends on the arguments (``press`` Enter is a submit).
    classify: Callable[[BaseModel], ActionClass] | None = None

    def action_for(self, args: BaseModel) -> ActionClass:
        """The action class of a call with ``args``: ``classify(args)`` when given, else ``action``."""
        return self.action if self.classify is None else self.classify(args)

    def spec(self) -> ToolSpec:
        """What the model is told: name, description and the JSON Schema of the arguments."""
        return ToolSpec(name=self.name, description=self.description, parameters=_signature.schema_of(self))

    async def invoke(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        """Run the function with validated ``args`` and normalise what it returns (no error handling)."""
        kwargs = {name: getattr(args, name) for name in type(args).model_fields}
        out = await (self.fn(ctx, **kwargs) if self.takes_ctx else self.fn(**kwargs))
        return to_result(out)

    async def __call__(self, ctx: ToolContext, **kwargs: Any) -> ToolResult:
        """Call the tool directly (tests, workflows): validates ``kwargs`` like the registry, no hooks."""
        try:
            args = self.args_model.model_validate(kwargs)
        except ValidationError as exc:
            raise BadToolArguments(f"{self.name}: {_signature.describe_errors(exc)}") from None
        return await self.invoke(args, ctx)


def to_result(out: Any) -> ToolResult:
    """A tool's return value as a :class:`ToolResult` (``str``, ``dict``, ``BaseModel``, ``None`` or one)."""
    if isinstance(out, ToolResult):
        result = out
    elif out is None:
        result = ToolResult("done")
    elif isinstance(out, str):
        result = ToolResult(out)
    elif isinstance(out, BaseModel):
        result = ToolResult(out.model_dump_json(), data=out.model_dump(mode="json"))
    elif isinstance(out, dict | list):
        result = ToolResult(json.dumps(out, ensure_ascii=False, default=str), data=out)
    else:
        raise TypeError(f"a tool returned {type(out).__name__}; return ToolResult, str, dict or a model")
    if len(result.content) > MAX_RESULT_CHARS:
        cut = result.content[:MAX_RESULT_CHARS]
        note = f"\n[cut: {len(result.content) - MAX_RESULT_CHARS} more characters not shown]"
        result = ToolResult(
            cut + note, result.is_error, result.untrusted, result.data, result.artifacts, result.error_code
        )
    return result


@overload
def tool(
    fn: ToolFn,
    *,
    name: str | None = None,
    action: ActionClass,
    description: str | None = None,
    classify: Callable[[BaseModel], ActionClass] | None = None,
) -> RegisteredTool: ...


@overload
def tool(
    fn: None = None,
    *,
    name: str | None = None,
    action: ActionClass,
    description: str | None = None,
    classify: Callable[[BaseModel], ActionClass] | None = None,
) -> Callable[[ToolFn], RegisteredTool]: ...


def tool(
    fn: ToolFn | None = None,
    *,
    name: str | None = None,
    action: ActionClass,
    description: str | None = None,
    classify: Callable[[BaseModel], ActionClass] | None = None,
) -> RegisteredTool | Callable[[ToolFn], RegisteredTool]:
    """Make a :class:`RegisteredTool` of ``async def f(ctx: ToolContext, a: int, b: str = "x")``.

    The description is ``description`` or the docstring's first paragraph; per-argument docs come from
    ``Annotated[int, Field(description=...)]`` or the docstring's ``Args:`` section. Raises ``TypeError`` for
    a function that is not ``async``, takes ``*args``/``**kwargs``, lacks an annotation, has ``ctx``
    anywhere but first, documents an argument it does not have, uses a type with no JSON Schema, or has no
    description; ``name`` must match ``[A-Za-z0-9_-]{1,64}``. ``classify`` maps validated arguments to the
    call's action class when it depends on them; hooks then see the tool with that class as ``action``.
    """

    def wrap(f: ToolFn) -> RegisteredTool:
        if not isinstance(action, ActionClass):
            raise TypeError(f"@tool on {getattr(f, '__name__', f)!r}: action must be an ActionClass")
        built = _signature.build(f, name=name, description=description)
        return RegisteredTool(
            name=built.name,
            description=built.description,
            action=action,
            args_model=built.args_model,
            fn=f,
            takes_ctx=built.takes_ctx,
            classify=classify,
        )

    return wrap if fn is None else wrap(fn)


class ToolRegistry:
    """The tools one run may call, by name."""

    def __init__(self, tools: Iterable[RegisteredTool] = ()) -> None:
        self._tools: dict[str, RegisteredTool] = {}
        for t in tools:
            self.add(t)

    def add(self, t: RegisteredTool) -> None:
        """Add a tool. Raises ``ValueError`` when a tool of that name is registered already."""
        if t.name in self._tools:
            raise ValueError(f"a tool named {t.name!r} is registered already")
        self._tools[t.name] = t

    def get(self, name: str) -> RegisteredTool:
        """The tool called ``name``. Raises :class:`~webbridge.errors.UnknownTool` (7101)."""
        try:
            return self._tools[name]
        except KeyError:
            shown = name[:64] if isinstance(name, str) else type(name).__name__
            raise UnknownTool(f"no tool named {shown!r}; tools: {', '.join(self._tools)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def specs(self) -> list[ToolSpec]:
        return [t.spec() for t in self._tools.values()]

    def names(self) -> list[str]:
        return list(self._tools)

    async def call(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        """Validate and run one call; model-visible failures come back as error results (module docstring).

        Hooks' ``before_call`` run in order after validation; ``after_call`` runs on every hook with the
        result, error results included. Raises whatever is not model-visible (``ChannelClosed``,
        ``RequestTimeout``, bugs); cancelling the call cancels the tool where it is (a browser action already
        sent is not undone) and skips ``after_call``.
        """
        try:
            t = self.get(call.name)
            args = parse_arguments(t, call.arguments)
        except WebBridgeError as err:
            return ToolResult.from_error(err)
        # Hooks see the call's own action class (a press of Enter is a submit), never the weaker default.
        seen_as = t if t.classify is None else replace(t, action=t.action_for(args))
        try:
            for hook in ctx.hooks:
                await hook.before_call(seen_as, args, ctx)
            result = await t.invoke(args, ctx)
        except WebBridgeError as err:
            if not err.model_visible:
                raise
            result = ToolResult.from_error(err)
        for hook in ctx.hooks:
            await hook.after_call(seen_as, args, ctx, result)
        return result


def parse_arguments(t: RegisteredTool, text: str) -> BaseModel:
    """The model's argument text validated into ``t.args_model``.

    Raises :class:`~webbridge.errors.BadToolArguments` (7102) for text that is not strict JSON, not an
    object, or fails validation (the message lists each bad field briefly).
    """
    try:
        raw = json.loads(text or "{}", parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise BadToolArguments(f"{t.name}: arguments are not valid JSON ({_short(exc)})") from None
    if not isinstance(raw, dict):
        raise BadToolArguments(f"{t.name}: arguments must be a JSON object, got {type(raw).__name__}")
    try:
        return t.args_model.model_validate(raw)
    except ValidationError as exc:
        raise BadToolArguments(f"{t.name}: {_signature.describe_errors(exc)}") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def default_registry() -> ToolRegistry:
    """A fresh registry with the browser tools and the file tools (imported here: they import this module)."""
    from .browser_tools import BROWSER_TOOLS
    from .capture_tools import CAPTURE_TOOLS
    from .files import FILE_TOOLS
    from .page_io_tools import PAGE_IO_TOOLS

    return ToolRegistry([*BROWSER_TOOLS, *CAPTURE_TOOLS, *PAGE_IO_TOOLS, *FILE_TOOLS])


__all__ = [
    "MAX_RESULT_CHARS",
    "BridgeHandle",
    "RegisteredTool",
    "ToolContext",
    "ToolHook",
    "ToolRegistry",
    "ToolResult",
    "default_registry",
    "parse_arguments",
    "to_result",
    "tool",
]
