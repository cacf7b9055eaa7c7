"""Provider-neutral chat types: the one shape the loop, the model adapters and the store agree on.

Adapters (``webbridge.agent.models``) translate these to and from a provider's wire format in one place;
the loop never sees provider JSON. Tool-call arguments stay the raw JSON text the model produced, so a
malformed call can be answered as a tool result instead of failing the run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant", "tool"]
StopReason = Literal["end_turn", "tool_calls", "max_tokens", "content_filter", "other"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ToolCall(_Frozen):
    """One call the model asked for. ``arguments`` is the model's JSON text, not yet validated."""

    id: str
    name: str
    arguments: str = "{}"


class ChatMessage(_Frozen):
    """One turn. ``tool`` messages answer the :class:`ToolCall` named by ``tool_call_id``.

    ``untrusted`` marks content read from a page or file (not the user's words): adapters wrap it so the
    model can tell data from instructions, and compaction never promotes it into the task.
    """

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    untrusted: bool = False
    #: For ``tool`` messages: the tool call failed (the content says why).
    is_error: bool = False


class ToolSpec(_Frozen):
    """What the model is told about a tool: a name, a description and a JSON Schema for its arguments."""

    name: str
    description: str
    parameters: dict[str, Any] = Field(default_factory=dict)


class Usage(_Frozen):
    input_tokens: int = 0
    output_tokens: int = 0
    #: Cost in US dollars when the preset knows the model's price, else ``None``.
    cost_usd: float | None = None

    def __add__(self, other: Usage) -> Usage:
        cost = None if self.cost_usd is None and other.cost_usd is None else (
            (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        )
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=cost,
        )


class ModelReply(_Frozen):
    """A whole assistant turn: its message (text and/or tool calls), why it stopped, and what it cost."""

    message: ChatMessage
    stop_reason: StopReason
    usage: Usage = Usage()
    model: str = ""


class TextDelta(_Frozen):
    """A piece of assistant text as it streams in (for live progress; the reply carries the whole)."""

    type: Literal["text"] = "text"
    text: str


#: Called for each streamed piece; may be ``None`` when nobody watches.
DeltaSink = Callable[[TextDelta], Awaitable[None]]


class Model(Protocol):
    """A chat model with tools. Implementations: ``webbridge.agent.models``.

    ``complete`` raises :class:`webbridge.errors.ModelError` subclasses (bad key, unknown model, server
    unreachable, rate limited after retries, bad response); cancelling it closes the HTTP request at once.
    """

    @property
    def name(self) -> str: ...

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec] = (),
        *,
        on_delta: DeltaSink | None = None,
        max_tokens: int | None = None,
    ) -> ModelReply: ...
