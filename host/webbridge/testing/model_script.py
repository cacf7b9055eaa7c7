"""The script of :mod:`webbridge.testing.model_server`: expected calls, the replies to give, and a
provider-neutral view of each recorded request for matchers and assertions.

A script is a JSON list of steps (or ``{"steps": [...]}``); each step has an optional ``expect`` and a
``reply``::

    [
      {"expect": {"api": "openai", "last_message_contains": "find the invoice", "tools_include": ["click"]},
       "reply": {"tool_calls": [{"id": "c1", "name": "click", "arguments": {"ref": "e12"}}]}},
      {"expect": {"last_tool_result_for": "c1"},
       "reply": {"text": "Done.", "usage": {"input_tokens": 120, "output_tokens": 4}}},
      {"reply": {"status": 429, "headers": {"Retry-After": "0"}}},
      {"reply": {"hang": true}}
    ]

Every model is frozen and forbids unknown fields, so a typo in a script fails when it is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Api = Literal["openai", "anthropic"]
NeutralStop = Literal["end_turn", "tool_calls", "max_tokens", "content_filter"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScriptToolCall(_Frozen):
    """A tool call to reply with. ``arguments`` is sent as given when it is text (malformed JSON included,
    to test that path), or as JSON when it is an object. ``id`` defaults to ``call_<n>``."""

    name: str
    arguments: str | dict[str, Any] = Field(default_factory=dict)
    id: str | None = None

    def arguments_text(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


class ScriptUsage(_Frozen):
    input_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0)


class Reply(_Frozen):
    """What the server answers. With ``status`` (>= 400) it answers an error in the provider's format,
    with ``headers`` (e.g. ``Retry-After``); ``error_code`` sets OpenAI's ``error.code`` (e.g.
    ``context_length_exceeded``). ``raw`` sends that body as it is (for bad-response tests). ``delay``
    waits that many seconds before the status line; ``hang`` never answers; ``hang_after_chunks`` streams
    that many SSE events and then stalls (both end when the client goes away or the server closes)."""

    text: str = ""
    tool_calls: tuple[ScriptToolCall, ...] = ()
    usage: ScriptUsage | None = None
    stop_reason: NeutralStop | None = None
    model: str | None = None
    status: int | None = Field(default=None, ge=400, le=599)
    headers: dict[str, str] = Field(default_factory=dict)
    error_message: str | None = None
    error_code: str | None = None
    raw: str | None = None
    raw_content_type: str = "application/json"
    delay: float = Field(default=0.0, ge=0)
    hang: bool = False
    hang_after_chunks: int | None = Field(default=None, ge=0)
    #: Streamed text comes in pieces of this many characters; tool-call arguments too.
    chunk_size: int = Field(default=8, ge=1)
    #: Stream the argument pieces of parallel tool calls interleaved (call 0, call 1, call 0, ...).
    interleave: bool = False

    @field_validator("tool_calls", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    def neutral_stop(self) -> NeutralStop:
        return self.stop_reason or ("tool_calls" if self.tool_calls else "end_turn")


class Expect(_Frozen):
    """A matcher on the request; every field given must hold."""

    api: Api | None = None
    model: str | None = None
    stream: bool | None = None
    #: The last message's text contains this.
    last_message_contains: str | None = None
    #: The last message is the result of the tool call with this id.
    last_tool_result_for: str | None = None
    #: Some message (any role) contains this text.
    any_message_contains: str | None = None
    system_contains: str | None = None
    tools_include: tuple[str, ...] = ()
    max_tokens: int | None = None

    def mismatches(self, request: RecordedRequest) -> list[str]:
        """What does not hold, in words (empty when the request matches)."""
        out: list[str] = []
        last = request.messages[-1] if request.messages else None
        if self.api is not None and request.api != self.api:
            out.append(f"api is {request.api!r}, expected {self.api!r}")
        if self.model is not None and request.model != self.model:
            out.append(f"model is {request.model!r}, expected {self.model!r}")
        if self.stream is not None and request.stream != self.stream:
            out.append(f"stream is {request.stream}, expected {self.stream}")
        if self.last_message_contains is not None and (
            last is None or self.last_message_contains not in last.text
        ):
            out.append(f"the last message does not contain {self.last_message_contains!r}")
        if self.last_tool_result_for is not None and (
            last is None or last.role != "tool" or last.tool_call_id != self.last_tool_result_for
        ):
            got = "nothing" if last is None else f"a {last.role} message (tool_call_id={last.tool_call_id!r})"
            out.append(f"the last message is {got}, expected the result of {self.last_tool_result_for!r}")
        if self.any_message_contains is not None and not any(
            self.any_message_contains in m.text for m in request.messages
        ):
            out.append(f"no message contains {self.any_message_contains!r}")
        if self.system_contains is not None and self.system_contains not in request.system:
            out.append(f"the system prompt does not contain {self.system_contains!r}")
        missing = [t for t in self.tools_include if t not in request.tool_names]
        if missing:
            out.append(f"tools {missing} not offered (offered: {list(request.tool_names)})")
        if self.max_tokens is not None and request.max_tokens != self.max_tokens:
            out.append(f"max_tokens is {request.max_tokens}, expected {self.max_tokens}")
        return out


class Step(_Frozen):
    expect: Expect = Expect()
    reply: Reply = Reply()


class Script(_Frozen):
    steps: tuple[Step, ...] = ()

    @classmethod
    def parse(cls, data: Any) -> Script:
        """From a list of steps or ``{"steps": [...]}``; :class:`ValueError` naming what is wrong."""
        try:
            return cls.model_validate({"steps": data} if isinstance(data, list) else data)
        except ValidationError as exc:
            raise ValueError(f"bad model script: {exc}") from None

    @classmethod
    def load(cls, path: Path) -> Script:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read model script {path}: {exc}") from None
        return cls.parse(data)


# --- the request, seen the same way whatever the wire format ---------------------------------------------


class SeenMessage(_Frozen):
    """One message as the server saw it. Anthropic ``tool_result`` blocks become ``tool`` messages."""

    role: str
    text: str = ""
    tool_call_id: str | None = None
    tool_calls: tuple[str, ...] = ()  # names
    is_error: bool = False


class RecordedRequest(_Frozen):
    """One request the server received (``body`` is the JSON as sent)."""

    index: int
    api: Api
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    model: str = ""
    stream: bool = False
    system: str = ""
    messages: tuple[SeenMessage, ...] = ()
    tool_names: tuple[str, ...] = ()
    max_tokens: int | None = None
    auth_ok: bool = True

    @property
    def last(self) -> SeenMessage | None:
        return self.messages[-1] if self.messages else None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def seen_openai(body: dict[str, Any]) -> tuple[str, tuple[SeenMessage, ...], tuple[str, ...]]:
    """(system, messages, tool names) of an OpenAI chat-completions body."""
    system: list[str] = []
    seen: list[SeenMessage] = []
    for m in body.get("messages") or []:
        if not isinstance(m, dict):
            continue
        role = str(m.get("role", ""))
        text = _text(m.get("content"))
        if role in ("system", "developer"):
            system.append(text)
            continue
        calls = tuple(
            str((c.get("function") or {}).get("name", ""))
            for c in m.get("tool_calls") or []
            if isinstance(c, dict)
        )
        seen.append(SeenMessage(role=role, text=text, tool_call_id=m.get("tool_call_id"), tool_calls=calls))
    tools = tuple(
        str((t.get("function") or {}).get("name", "")) for t in body.get("tools") or [] if isinstance(t, dict)
    )
    return "\n\n".join(system), tuple(seen), tools


def seen_anthropic(body: dict[str, Any]) -> tuple[str, tuple[SeenMessage, ...], tuple[str, ...]]:
    """(system, messages, tool names) of an Anthropic Messages body."""
    seen: list[SeenMessage] = []
    for m in body.get("messages") or []:
        if not isinstance(m, dict):
            continue
        role = str(m.get("role", ""))
        content = m.get("content")
        if isinstance(content, str):
            seen.append(SeenMessage(role=role, text=content))
            continue
        text: list[str] = []
        calls: list[str] = []
        for block in content if isinstance(content, list) else []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_result":
                seen.append(
                    SeenMessage(
                        role="tool",
                        text=_text(block.get("content")),
                        tool_call_id=block.get("tool_use_id"),
                        is_error=bool(block.get("is_error")),
                    )
                )
            elif block.get("type") == "text":
                text.append(str(block.get("text", "")))
            elif block.get("type") == "tool_use":
                calls.append(str(block.get("name", "")))
        if text or calls:
            seen.append(SeenMessage(role=role, text="".join(text), tool_calls=tuple(calls)))
    system = _text(body.get("system"))
    tools = tuple(str(t.get("name", "")) for t in body.get("tools") or [] if isinstance(t, dict))
    return system, tuple(seen), tools
