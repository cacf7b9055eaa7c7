"""The Anthropic Messages API (``POST {base}/v1/messages``).

Differences from the OpenAI shape that matter here: the system prompt is a top-level field; a turn is a
list of content blocks (``text``, ``tool_use``, ``tool_result``); tool results travel in a ``user`` turn,
before any text in it; roles must alternate, so consecutive turns of one role are merged; ``max_tokens`` is
required. A ``tool_use`` block's ``input`` must be an object: arguments that are not a JSON object (a
malformed call being answered) are sent as ``{"_raw": "<the text>"}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from ...errors import ModelInputError
from ..chat import ChatMessage, DeltaSink, ModelReply, StopReason, TextDelta, ToolCall, ToolSpec, Usage
from .base import HttpModel
from .sse import iter_sse
from .transport import parse_event_json
from .untrusted import content_of

API_VERSION = "2023-06-01"

_STOP: dict[str, StopReason] = {
    "end_turn": "end_turn",
    "stop_sequence": "end_turn",
    "tool_use": "tool_calls",
    "max_tokens": "max_tokens",
    "refusal": "content_filter",
}


def _stop_reason(value: object) -> StopReason:
    return _STOP.get(value, "other") if isinstance(value, str) else "other"


def _tool_input(arguments: str) -> dict[str, Any]:
    try:
        value = json.loads(arguments)
    except ValueError:
        return {"_raw": arguments}
    return value if isinstance(value, dict) else {"_raw": arguments}


@dataclass
class _Block:
    type: str
    text: list[str] = field(default_factory=list)
    id: str = ""
    name: str = ""
    input: object = None


class AnthropicModel(HttpModel):
    """A Claude model behind the Anthropic Messages API."""

    api = "anthropic"
    path = "v1/messages"

    def _headers(self, api_key: str | None) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "anthropic-version": API_VERSION,
        }
        if api_key:
            headers["x-api-key"] = api_key
        return headers

    def _request(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        max_tokens: int | None,
        stream: bool,
    ) -> dict[str, Any]:
        system = [content_of(m) for m in messages if m.role == "system" and m.content]
        turns: list[dict[str, Any]] = []
        for m in messages:
            if m.role == "system":
                continue
            role = "assistant" if m.role == "assistant" else "user"
            blocks = self._blocks(m)
            if not blocks:
                continue
            if turns and turns[-1]["role"] == role:
                turns[-1]["content"].extend(blocks)
            else:
                turns.append({"role": role, "content": blocks})
        for turn in turns:
            if turn["role"] == "user":  # tool results first, then text (the API's rule)
                turn["content"].sort(key=lambda b: b["type"] != "tool_result")
        if not turns:
            raise ModelInputError("the conversation has no user or assistant message")
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens if max_tokens is not None else self.preset.default_max_tokens,
            "messages": turns,
        }
        if system:
            body["system"] = "\n\n".join(system)
        if tools:
            body["tools"] = [
                {
                    "name": t.name,
                    "description": t.description,
                    "input_schema": t.parameters or {"type": "object", "properties": {}},
                }
                for t in tools
            ]
            body["tool_choice"] = {"type": "auto"}
        if stream:
            body["stream"] = True
        return body

    @staticmethod
    def _blocks(m: ChatMessage) -> list[dict[str, Any]]:
        if m.role == "tool":
            if not m.tool_call_id:
                raise ModelInputError("a tool message has no tool_call_id")
            block: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": m.tool_call_id,
                "content": content_of(m),
            }
            if m.is_error:
                block["is_error"] = True
            return [block]
        if m.tool_calls and m.role != "assistant":
            raise ModelInputError(f"a {m.role} message carries tool calls")
        blocks: list[dict[str, Any]] = []
        if m.content:
            blocks.append({"type": "text", "text": content_of(m)})
        for call in m.tool_calls:
            blocks.append(
                {"type": "tool_use", "id": call.id, "name": call.name, "input": _tool_input(call.arguments)}
            )
        return blocks

    # --- whole reply ----------------------------------------------------------------------------------

    def _parse(self, data: dict[str, Any]) -> ModelReply:
        bad = self._transport.bad
        content = data.get("content")
        if data.get("type") == "error":
            raise self._transport.stream_error(data)
        if not isinstance(content, list):
            raise bad("a message without a content list")
        blocks: list[_Block] = []
        for raw in content:
            if not isinstance(raw, dict):
                raise bad("a content block that is not an object")
            if raw.get("type") == "text":
                if not isinstance(raw.get("text"), str):
                    raise bad("a text block without text")
                blocks.append(_Block("text", [raw["text"]]))
            elif raw.get("type") == "tool_use":
                blocks.append(
                    _Block(
                        "tool_use",
                        id=str(raw.get("id") or ""),
                        name=str(raw.get("name") or ""),
                        input=raw.get("input"),
                    )
                )
        return self._reply(
            blocks, data.get("stop_reason"), self._usage(data.get("usage"), None), data.get("model")
        )

    def _usage(self, raw: object, base: Usage | None) -> Usage:
        """Usage from a ``usage`` object; in a stream, ``message_delta`` carries the final output count and
        ``base`` holds the input count from ``message_start``."""
        if not isinstance(raw, dict):
            return base or self.preset.usage(self.model, 0, 0)
        counts = []
        for key in (
            "input_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "output_tokens",
        ):
            value = raw.get(key)
            if value is not None and not isinstance(value, int):
                raise self._transport.bad("token counts that are not integers")
            counts.append(value)
        inputs = [c for c in counts[:3] if c is not None]
        input_tokens = sum(inputs) if inputs else (base.input_tokens if base else 0)
        output = counts[3] if counts[3] is not None else (base.output_tokens if base else 0)
        return self.preset.usage(self.model, input_tokens, output)

    def _reply(self, blocks: list[_Block], stop: object, usage: Usage, model: object) -> ModelReply:
        text: list[str] = []
        calls: list[ToolCall] = []
        for block in blocks:
            if block.type == "text":
                text.extend(block.text)
            elif block.type == "tool_use":
                if not block.name:
                    raise self._transport.bad("a tool_use block without a name")
                streamed = "".join(block.text)  # streamed: the raw JSON text, malformed or not
                if streamed:
                    arguments = streamed
                elif isinstance(block.input, dict) and block.input:
                    arguments = json.dumps(block.input)
                else:
                    arguments = "{}"
                calls.append(
                    ToolCall(id=block.id or f"toolu_{len(calls)}", name=block.name, arguments=arguments)
                )
        return ModelReply(
            message=ChatMessage(role="assistant", content="".join(text), tool_calls=tuple(calls)),
            stop_reason=_stop_reason(stop),
            usage=usage,
            model=model if isinstance(model, str) and model else self.model,
        )

    # --- streamed reply -------------------------------------------------------------------------------

    async def _read_stream(self, response: httpx.Response, on_delta: DeltaSink | None) -> ModelReply:
        bad = self._transport.bad
        blocks: dict[int, _Block] = {}
        usage: Usage | None = None
        stop: object = None
        model: object = None
        finished = False
        async for event in iter_sse(response.aiter_lines()):
            data = parse_event_json(self._transport, event.data)
            kind = data.get("type", event.event)
            if kind == "ping":
                continue
            if kind == "error":
                raise self._transport.stream_error(data)
            if kind == "message_start":
                message = data.get("message")
                if not isinstance(message, dict):
                    raise bad("message_start without a message")
                model = message.get("model")
                usage = self._usage(message.get("usage"), None)
            elif kind == "content_block_start":
                index, raw = data.get("index"), data.get("content_block")
                if not isinstance(index, int) or not isinstance(raw, dict):
                    raise bad("content_block_start without an index or a block")
                block = _Block(
                    str(raw.get("type")),
                    id=str(raw.get("id") or ""),
                    name=str(raw.get("name") or ""),
                    input=raw.get("input"),
                )
                if block.type == "text" and isinstance(raw.get("text"), str) and raw["text"]:
                    block.text.append(raw["text"])
                blocks[index] = block
            elif kind == "content_block_delta":
                await self._delta(blocks, data, on_delta)
            elif kind == "message_delta":
                delta = data.get("delta")
                if isinstance(delta, dict) and delta.get("stop_reason"):
                    stop = delta["stop_reason"]
                usage = self._usage(data.get("usage"), usage)
            elif kind == "message_stop":
                finished = True
                break
        if not finished:
            raise bad("a stream that ended before message_stop")
        ordered = [blocks[i] for i in sorted(blocks)]
        return self._reply(ordered, stop, usage or self.preset.usage(self.model, 0, 0), model)

    async def _delta(
        self, blocks: dict[int, _Block], data: dict[str, Any], on_delta: DeltaSink | None
    ) -> None:
        index, delta = data.get("index"), data.get("delta")
        if not isinstance(index, int) or index not in blocks or not isinstance(delta, dict):
            raise self._transport.bad("content_block_delta for a block that was not started")
        block = blocks[index]
        if delta.get("type") == "text_delta" and isinstance(delta.get("text"), str):
            block.text.append(delta["text"])
            if on_delta is not None and delta["text"]:
                await on_delta(TextDelta(text=delta["text"]))
        elif delta.get("type") == "input_json_delta" and isinstance(delta.get("partial_json"), str):
            block.text.append(delta["partial_json"])
