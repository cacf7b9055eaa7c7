"""The tool registry: one signature gives the schema and the validator, ctx is injected, bad definitions fail
at decoration, and every outcome lands where it belongs (error result for the model, or raised to end the
run). Hooks see validated arguments and the call's own action class."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field

from webbridge import errors
from webbridge.agent.chat import ToolCall
from webbridge.policy.actions import ActionClass
from webbridge.tools import registry as reg
from webbridge.tools.registry import (
    RegisteredTool,
    ToolContext,
    ToolRegistry,
    ToolResult,
    default_registry,
    tool,
)


def make_ctx(tmp_path: Path, hooks: tuple[Any, ...] = ()) -> ToolContext:
    return ToolContext(run_id="run-1", bridge=None, tab_id=None, workspace=tmp_path, hooks=hooks)


def call(name: str, args: Any = None, *, raw: str | None = None) -> ToolCall:
    return ToolCall(id="c1", name=name, arguments=raw if raw is not None else json.dumps(args or {}))


class Point(BaseModel):
    x: int
    y: int


CALLS: list[dict[str, Any]] = []


@tool(action=ActionClass.READ)
async def search(
    ctx: ToolContext,
    query: Annotated[str, Field(description="What to look for", max_length=50)],
    limit: int = 10,
    title: str | None = None,
    mode: Literal["fast", "deep"] = "fast",
    at: Point | None = None,
) -> str:
    """Search the notes for a phrase.

    A second paragraph the model never sees.

    Args:
        limit: Most results
            to return.
        title: Only notes with this title.

    Returns:
        Not an argument: this section is ignored.
    """
    CALLS.append({"ctx": ctx, "query": query, "limit": limit, "title": title, "mode": mode, "at": at})
    return f"found {query} x{limit}"


# --- the schema -----------------------------------------------------------------------------------------


def test_the_signature_gives_the_schema_the_model_sees() -> None:
    spec = search.spec()
    assert spec.name == "search"
    assert spec.description == "Search the notes for a phrase."
    params = spec.parameters
    assert params["type"] == "object"
    assert params["additionalProperties"] is False
    assert params["required"] == ["query"]
    props = params["properties"]
    assert list(props) == ["query", "limit", "title", "mode", "at"]  # ctx is injected, not an argument
    assert props["query"] == {"description": "What to look for", "maxLength": 50, "type": "string"}
    assert props["limit"] == {"default": 10, "description": "Most results to return.", "type": "integer"}
    assert props["title"]["description"] == "Only notes with this title."  # a property named title stays
    assert props["mode"]["enum"] == ["fast", "deep"]
    assert "title" not in json.dumps({k: v for k, v in params.items() if k != "properties"})
    assert params["$defs"]["Point"]["required"] == ["x", "y"]
    json.dumps(spec.model_dump())  # JSON-able as it is


def test_explicit_name_and_description_win_and_a_tool_may_skip_ctx() -> None:
    @tool(name="add-two", action=ActionClass.NONE, description="Add two integers.")
    async def plus(a: int, b: int) -> int:
        return a + b

    assert plus.name == "add-two" and plus.description == "Add two integers."
    assert plus.takes_ctx is False
    assert set(plus.spec().parameters["properties"]) == {"a", "b"}


# --- bad definitions fail at decoration ------------------------------------------------------------------


class Opaque:
    pass


async def _no_doc(ctx: ToolContext, a: int) -> str:
    return ""


def _defs() -> list[tuple[str, Any, dict[str, Any]]]:
    def sync_fn(ctx: ToolContext, a: int) -> str:
        """Doc."""
        return ""

    async def star_args(ctx: ToolContext, *a: int) -> str:
        """Doc."""
        return ""

    async def star_kwargs(ctx: ToolContext, **a: int) -> str:
        """Doc."""
        return ""

    async def unannotated(ctx: ToolContext, a) -> str:  # type: ignore[no-untyped-def]
        """Doc."""
        return ""

    async def ctx_second(a: int, ctx: ToolContext) -> str:
        """Doc."""
        return ""

    async def ctx_untyped(ctx: int, a: int) -> str:
        """Doc."""
        return ""

    async def documents_ghost(ctx: ToolContext, a: int) -> str:
        """Doc.

        Args:
            b: not a parameter.
        """
        return ""

    async def opaque_type(ctx: ToolContext, a: Opaque) -> str:
        """Doc."""
        return ""

    async def positional_only(ctx: ToolContext, a: int, /) -> str:
        """Doc."""
        return ""

    async def private_arg(ctx: ToolContext, _a: int) -> str:
        """Doc."""
        return ""

    async def fine(ctx: ToolContext, a: int) -> str:
        """Doc."""
        return ""

    return [
        ("async def", sync_fn, {}),
        (r"\*a", star_args, {}),
        (r"\*a", star_kwargs, {}),
        ("no type annotation", unannotated, {}),
        ("ctx must be the first", ctx_second, {}),
        ("annotated ToolContext", ctx_untyped, {}),
        ("documents arguments it does not take: b", documents_ghost, {}),
        ("no JSON Schema", opaque_type, {}),
        ("positional-only", positional_only, {}),
        ("names starting with _", private_arg, {}),
        ("needs a description", _no_doc, {}),
        ("must match", fine, {"name": "has space"}),
        ("must match", fine, {"name": "x" * 65}),
    ]


@pytest.mark.parametrize(("why", "fn", "kw"), _defs(), ids=[d[1].__name__ + str(d[2]) for d in _defs()])
def test_bad_definitions_raise_type_error_at_decoration(why: str, fn: Any, kw: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match=why):
        tool(fn, action=ActionClass.READ, **kw)


def test_the_action_must_be_an_action_class() -> None:
    async def f(ctx: ToolContext) -> str:
        """Doc."""
        return ""

    with pytest.raises(TypeError, match="ActionClass"):
        tool(f, action="read")  # type: ignore[call-overload]


# --- the registry ---------------------------------------------------------------------------------------


def test_registry_names_duplicates_and_unknown_names() -> None:
    r = ToolRegistry([search])
    assert r.names() == ["search"] and "search" in r and len(r) == 1
    assert r.get("search") is search
    with pytest.raises(ValueError, match="registered already"):
        r.add(search)
    with pytest.raises(errors.UnknownTool, match="tools: search"):
        r.get("nope")
    assert [s.name for s in r.specs()] == ["search"]


async def test_a_valid_call_runs_with_the_injected_context_and_validated_values(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    CALLS.clear()
    res = await ToolRegistry([search]).call(call("search", {"query": "tea", "at": {"x": 1, "y": 2}}), ctx)
    assert res == ToolResult("found tea x10")
    (seen,) = CALLS
    assert seen["ctx"] is ctx and seen["limit"] == 10 and seen["mode"] == "fast"
    assert seen["at"] == Point(x=1, y=2)  # nested models arrive as models, not dicts


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ("not json", "not valid JSON"),
        ('{"query": NaN}', "NaN is not JSON"),
        ('{"query": "a"} trailing', "not valid JSON"),
        ("[1, 2]", "must be a JSON object, got list"),
        ('"query"', "must be a JSON object, got str"),
        ("{}", "query: required"),
        ('{"query": "a", "limit": "many"}', "limit: Input should be a valid integer"),
        ('{"query": "a", "mode": "slow"}', "mode: Input should be 'fast' or 'deep'"),
        ('{"query": "a", "colour": 1}', "colour: unknown argument"),
        ('{"query": "' + "x" * 51 + '"}', "query: String should have at most 50 characters"),
        ('{"query": "a", "at": {"x": 1}}', "at.y: required"),
    ],
)
async def test_bad_arguments_come_back_as_an_error_result_and_the_tool_never_runs(
    tmp_path: Path, arguments: str, expected: str
) -> None:
    CALLS.clear()
    res = await ToolRegistry([search]).call(call("search", raw=arguments), make_ctx(tmp_path))
    assert res.is_error and res.error_code == 7102
    assert res.content.startswith("Error 7102 bad_tool_arguments: search: ")
    assert expected in res.content
    assert CALLS == []


async def test_every_bad_field_is_listed(tmp_path: Path) -> None:
    res = await ToolRegistry([search]).call(
        call("search", {"limit": "x", "mode": "slow", "zz": 1}), make_ctx(tmp_path)
    )
    for name in ("query: required", "limit:", "mode:", "zz: unknown argument"):
        assert name in res.content


async def test_empty_arguments_mean_an_empty_object(tmp_path: Path) -> None:
    @tool(action=ActionClass.NONE)
    async def ping(ctx: ToolContext) -> str:
        """Answer pong."""
        return "pong"

    assert (await ToolRegistry([ping]).call(call("ping", raw=""), make_ctx(tmp_path))).content == "pong"


async def test_an_unknown_tool_is_an_error_result_naming_the_tools(tmp_path: Path) -> None:
    res = await ToolRegistry([search]).call(call("serach", {}), make_ctx(tmp_path))
    assert res.is_error and res.error_code == 7101
    assert "serach" in res.content and "tools: search" in res.content


def _raising(exc: BaseException) -> RegisteredTool:
    @tool(action=ActionClass.INTERACT)
    async def boom(ctx: ToolContext) -> str:
        """Fail."""
        raise exc

    return boom


@pytest.mark.parametrize(
    "exc",
    [
        errors.ToolError("try another way"),
        errors.PathRefused("'../x': no"),
        errors.StaleRef("stale ref f0e3: take a new snapshot"),
        errors.WaitTimeout("no text after 10 s"),
        errors.PolicyDenied("example.test does not allow submit"),
        errors.ApprovalRequired("the user must approve"),
    ],
)
async def test_model_visible_errors_become_error_results(tmp_path: Path, exc: errors.WebBridgeError) -> None:
    res = await ToolRegistry([_raising(exc)]).call(call("boom"), make_ctx(tmp_path))
    assert res.is_error and res.error_code == exc.code
    assert res.content == f"Error {exc.code} {exc.name}: {exc.message}"
    assert res.data == {"code": exc.code, "name": exc.name, "message": exc.message}


@pytest.mark.parametrize(
    "exc",
    [
        errors.ChannelClosed("gone"),
        errors.RequestTimeout("late"),
        errors.RemoteError("bad", remote_code=2002, remote_name="invalid_message"),
        errors.DomainRefused("look-alike"),
        ValueError("a bug"),
        KeyError("a bug"),
    ],
)
async def test_run_failures_and_bugs_propagate(tmp_path: Path, exc: BaseException) -> None:
    with pytest.raises(type(exc)):
        await ToolRegistry([_raising(exc)]).call(call("boom"), make_ctx(tmp_path))


async def test_return_values_are_normalised(tmp_path: Path) -> None:
    values: list[Any] = [None, "text", {"a": 1}, Point(x=1, y=2), ToolResult("own", untrusted=True)]

    @tool(action=ActionClass.NONE)
    async def give(ctx: ToolContext, i: int) -> Any:
        """Return value i."""
        return values[i]

    r, ctx = ToolRegistry([give]), make_ctx(tmp_path)
    got = [await r.call(call("give", {"i": i}), ctx) for i in range(len(values))]
    assert got[0] == ToolResult("done")
    assert got[1] == ToolResult("text")
    assert got[2] == ToolResult('{"a": 1}', data={"a": 1})
    assert got[3] == ToolResult('{"x":1,"y":2}', data={"x": 1, "y": 2})
    assert got[4] == ToolResult("own", untrusted=True)


async def test_an_unsupported_return_type_is_a_bug_and_long_content_is_cut(tmp_path: Path) -> None:
    @tool(action=ActionClass.NONE)
    async def weird(ctx: ToolContext, long: bool) -> Any:
        """Return something odd."""
        return "y" * (reg.MAX_RESULT_CHARS + 5) if long else 3.5

    r, ctx = ToolRegistry([weird]), make_ctx(tmp_path)
    with pytest.raises(TypeError, match="returned float"):
        await r.call(call("weird", {"long": False}), ctx)
    res = await r.call(call("weird", {"long": True}), ctx)
    assert res.content.startswith("y" * reg.MAX_RESULT_CHARS)
    assert res.content.endswith("[cut: 5 more characters not shown]")


async def test_calling_a_tool_directly_validates_too(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    assert (await search(ctx, query="q", limit=2)).content == "found q x2"
    with pytest.raises(errors.BadToolArguments, match="limit"):
        await search(ctx, query="q", limit="two")


# --- hooks ----------------------------------------------------------------------------------------------


@dataclass
class RecordingHook:
    name: str
    log: list[tuple[Any, ...]]
    refuse: errors.WebBridgeError | None = None
    after: list[ToolResult] = field(default_factory=list)

    async def before_call(self, tool: RegisteredTool, args: BaseModel, ctx: ToolContext) -> None:
        self.log.append((self.name, "before", tool.name, tool.action, args.model_dump(), ctx.run_id))
        if self.refuse is not None:
            raise self.refuse

    async def after_call(
        self, tool: RegisteredTool, args: BaseModel, ctx: ToolContext, result: ToolResult
    ) -> None:
        self.log.append((self.name, "after", tool.name, result.is_error))
        self.after.append(result)


async def test_hooks_run_in_order_around_the_call_with_validated_arguments(tmp_path: Path) -> None:
    log: list[tuple[Any, ...]] = []
    ctx = make_ctx(tmp_path, (RecordingHook("policy", log), RecordingHook("audit", log)))
    CALLS.clear()
    res = await ToolRegistry([search]).call(call("search", {"query": "a", "limit": 3}), ctx)
    args = {"query": "a", "limit": 3, "title": None, "mode": "fast", "at": None}
    assert log == [
        ("policy", "before", "search", ActionClass.READ, args, "run-1"),
        ("audit", "before", "search", ActionClass.READ, args, "run-1"),
        ("policy", "after", "search", False),
        ("audit", "after", "search", False),
    ]
    assert ctx.hooks[0].after == [res]  # type: ignore[attr-defined]
    assert len(CALLS) == 1


async def test_a_hook_refusal_stops_the_call_and_after_call_still_sees_the_error(tmp_path: Path) -> None:
    log: list[tuple[Any, ...]] = []
    deny = RecordingHook("policy", log, refuse=errors.PolicyDenied("bank.test: submit is denied"))
    later = RecordingHook("later", log)
    CALLS.clear()
    res = await ToolRegistry([search]).call(call("search", {"query": "a"}), make_ctx(tmp_path, (deny, later)))
    assert res.is_error and res.error_code == 8001 and "submit is denied" in res.content
    assert CALLS == []
    assert [entry[:2] for entry in log] == [("policy", "before"), ("policy", "after"), ("later", "after")]
    assert deny.after == [res] and later.after == [res]


async def test_hooks_see_errors_of_the_tool_but_not_invalid_calls(tmp_path: Path) -> None:
    log: list[tuple[Any, ...]] = []
    hook = RecordingHook("h", log)
    r = ToolRegistry([_raising(errors.NotActionable("covered")), search])
    ctx = make_ctx(tmp_path, (hook,))
    await r.call(call("search", {"limit": 1}), ctx)  # invalid: no hook runs
    await r.call(call("nope"), ctx)
    assert log == []
    res = await r.call(call("boom"), ctx)
    assert hook.after == [res] and res.error_code == 6003


async def test_a_hook_that_fails_with_a_non_model_error_ends_the_run(tmp_path: Path) -> None:
    log: list[tuple[Any, ...]] = []
    hook = RecordingHook("h", log, refuse=errors.AuditBroken("seq 3"))
    with pytest.raises(errors.AuditBroken):
        await ToolRegistry([search]).call(call("search", {"query": "a"}), make_ctx(tmp_path, (hook,)))


async def test_hooks_see_the_action_class_of_this_call(tmp_path: Path) -> None:
    def classify(args: BaseModel) -> ActionClass:
        return ActionClass.SUBMIT if getattr(args, "submit", False) else ActionClass.TYPE

    @tool(action=ActionClass.TYPE, classify=classify)
    async def enter(ctx: ToolContext, text: str, submit: bool = False) -> str:
        """Type text."""
        return "ok"

    log: list[tuple[Any, ...]] = []
    r, ctx = ToolRegistry([enter]), make_ctx(tmp_path, (RecordingHook("h", log),))
    await r.call(call("enter", {"text": "a"}), ctx)
    await r.call(call("enter", {"text": "a", "submit": True}), ctx)
    assert [e[3] for e in log if e[1] == "before"] == [ActionClass.TYPE, ActionClass.SUBMIT]
    assert r.get("enter").action is ActionClass.TYPE


async def test_cancelling_a_call_cancels_the_tool_and_skips_after_call(tmp_path: Path) -> None:
    started, finished = asyncio.Event(), []

    @tool(action=ActionClass.READ)
    async def slow(ctx: ToolContext) -> str:
        """Wait forever."""
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            finished.append("cancelled")
            raise
        return "never"

    log: list[tuple[Any, ...]] = []
    ctx = make_ctx(tmp_path, (RecordingHook("h", log),))
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(ToolRegistry([slow]).call(call("slow"), ctx))
        await started.wait()
        task.cancel()
    assert task.cancelled() and finished == ["cancelled"]
    assert [e[1] for e in log] == ["before"]


# --- the default registry -------------------------------------------------------------------------------


def test_the_default_registry_holds_the_browser_and_file_tools() -> None:
    r = default_registry()
    assert default_registry() is not r  # each run gets its own
    expected = {
        "tabs_list", "tab_open", "tab_activate", "tab_close", "navigate", "snapshot", "page_text", "wait_for",
        "click", "hover", "type_text", "select_option", "check", "press", "scroll",
        "read_file", "write_file", "append_file", "list_files",
    }  # fmt: skip
    assert expected <= set(r.names())
    for spec in r.specs():
        t = r.get(spec.name)
        assert isinstance(t.action, ActionClass)
        assert 10 < len(spec.description) <= 200, spec.name  # short and useful
        assert spec.parameters["type"] == "object" and spec.parameters["additionalProperties"] is False
        json.dumps(spec.parameters)
    reads = {n for n in r.names() if r.get(n).action is ActionClass.READ}
    assert {"tabs_list", "snapshot", "page_text", "wait_for"} <= reads
    assert (
        r.get("navigate").action is ActionClass.NAVIGATE and r.get("tab_open").action is ActionClass.NAVIGATE
    )
    assert r.get("click").action is ActionClass.INTERACT
    assert r.get("write_file").action is ActionClass.FILE_WRITE
    assert r.get("read_file").action is ActionClass.FILE_READ
