"""OpenAI-compatible chat completions (``POST {base}/chat/completions``): OpenAI, Moonshot/Kimi, DeepSeek,
OpenRouter, Ollama, vLLM, llama.cpp and any server that speaks the same JSON.

Streaming uses SSE with ``stream_options.include_usage`` so the last chunk carries the token counts. Tool
calls arrive as deltas keyed by ``index``; several may interleave (parallel tool calls) and are assembled
per index. Arguments stay the raw text the model produced, even when it is not valid JSON.
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

_FINISH: dict[str, StopReason] = {
    "stop": "end_turn",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "length": "max_tokens",
    "content_filter": "content_filter",
}


def _stop_reason(finish: object, has_calls: bool) -> StopReason:
    # Some servers (older Ollama, llama.cpp) say "stop" even when the turn ends in tool calls.
    if has_calls and finish in ("stop", None):
        return "tool_calls"
    return _FINISH.get(finish, "other") if isinstance(finish, str) else "other"


def _arguments(value: object) -> str:
    if isinstance(value, str):
        return value or "{}"
    if value is None:
        return "{}"
    return json.dumps(value)  # a few servers send an object instead of the JSON text


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class OpenAIChatModel(HttpModel):
    """A chat model behind an OpenAI-compatible ``/chat/completions`` endpoint."""

    api = "openai"
    path = "chat/completions"

    def _headers(self, api_key: str | None) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        return headers

    def _request(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        max_tokens: int | None,
        stream: bool,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": [self._message(m) for m in messages]}
        if tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters or {"type": "object", "properties": {}},
                    },
                }
                for t in tools
            ]
            body["tool_choice"] = "auto"
        if max_tokens is not None:
            body[self.preset.max_tokens_field] = max_tokens
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    @staticmethod
    def _message(m: ChatMessage) -> dict[str, Any]:
        if m.role == "tool":
            if not m.tool_call_id:
                raise ModelInputError("a tool message has no tool_call_id")
            return {"role": "tool", "tool_call_id": m.tool_call_id, "content": content_of(m)}
        if m.role == "assistant":
            out: dict[str, Any] = {"role": "assistant", "content": content_of(m) or None}
            if m.tool_calls:
                out["tool_calls"] = [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                    for c in m.tool_calls
                ]
            return out
        if m.tool_calls:
            raise ModelInputError(f"a {m.role} message carries tool calls")
        out = {"role": m.role, "content": content_of(m)}
        if m.name and m.role == "user":
            out["name"] = m.name
        return out

    # --- whole reply ----------------------------------------------------------------------------------

    def _parse(self, data: dict[str, Any]) -> ModelReply:
        bad = self._transport.bad
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise bad("a reply without choices")
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise bad("a choice without a message")
        content = message.get("content")
        if content is not None and not isinstance(content, str):
            raise bad("message content that is not text")
        calls: list[ToolCall] = []
        raw_calls = message.get("tool_calls") or []
        if not isinstance(raw_calls, list):
            raise bad("tool_calls that are not a list")
        for n, raw in enumerate(raw_calls):
            fn = raw.get("function") if isinstance(raw, dict) else None
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
                raise bad("a tool call without a function name")
            call_id = raw.get("id")
            calls.append(
                ToolCall(
                    id=call_id if isinstance(call_id, str) and call_id else f"call_{n}",
                    name=fn["name"],
                    arguments=_arguments(fn.get("arguments")),
                )
            )
        return ModelReply(
            message=ChatMessage(role="assistant", content=content or "", tool_calls=tuple(calls)),
            stop_reason=_stop_reason(choices[0].get("finish_reason"), bool(calls)),
            usage=self._usage(data.get("usage")),
            model=data["model"] if isinstance(data.get("model"), str) else self.model,
        )

    def _usage(self, raw: object) -> Usage:
        if not isinstance(raw, dict):
            return self.preset.usage(self.model, 0, 0)
        prompt, completion = raw.get("prompt_tokens", 0), raw.get("completion_tokens", 0)
        if not isinstance(prompt, int) or not isinstance(completion, int):
            raise self._transport.bad("token counts that are not integers")
        return self.preset.usage(self.model, prompt, completion)

    # --- streamed reply -------------------------------------------------------------------------------

    async def _read_stream(self, response: httpx.Response, on_delta: DeltaSink | None) -> ModelReply:
        bad = self._transport.bad
        text: list[str] = []
        calls: dict[int, _PartialCall] = {}
        finish: object = None
        usage = self.preset.usage(self.model, 0, 0)
        model = self.model
        done = False
        async for event in iter_sse(response.aiter_lines()):
            if event.data.strip() == "[DONE]":
                done = True
                break
            chunk = parse_event_json(self._transport, event.data)
            if "error" in chunk:
                raise self._transport.stream_error(chunk)
            if isinstance(chunk.get("model"), str):
                model = chunk["model"]
            if chunk.get("usage"):
                usage = self._usage(chunk["usage"])
            choices = chunk.get("choices") or []
            if not isinstance(choices, list):
                raise bad("a stream chunk whose choices are not a list")
            for choice in choices:
                if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                    continue
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
                delta = choice.get("delta") or {}
                if not isinstance(delta, dict):
                    raise bad("a stream delta that is not an object")
                piece = delta.get("content")
                if isinstance(piece, str) and piece:
                    text.append(piece)
                    if on_delta is not None:
                        await on_delta(TextDelta(text=piece))
                for raw in delta.get("tool_calls") or []:
                    self._merge_call(calls, raw)
        if not done and finish is None:
            raise bad("a stream that ended before the reply did")
        tool_calls = []
        for index in sorted(calls):
            part = calls[index]
            if not part.name:
                raise bad("a streamed tool call without a function name")
            tool_calls.append(
                ToolCall(
                    id=part.id or f"call_{index}", name=part.name, arguments="".join(part.arguments) or "{}"
                )
            )
        return ModelReply(
            message=ChatMessage(role="assistant", content="".join(text), tool_calls=tuple(tool_calls)),
            stop_reason=_stop_reason(finish, bool(tool_calls)),
            usage=usage,
            model=model,
        )

    def _merge_call(self, calls: dict[int, _PartialCall], raw: object) -> None:
        if not isinstance(raw, dict):
            raise self._transport.bad("a tool-call delta that is not an object")
        index = raw.get("index")
        if not isinstance(index, int):
            # No index (a few servers): a delta with an id starts a new call, else it continues the last.
            index = len(calls) if raw.get("id") or not calls else max(calls)
        part = calls.setdefault(index, _PartialCall())
        if isinstance(raw.get("id"), str) and raw["id"]:
            part.id = raw["id"]
        fn = raw.get("function") or {}
        if isinstance(fn, dict):
            if isinstance(fn.get("name"), str) and fn["name"]:
                part.name = fn["name"]
            args = fn.get("arguments")
            if isinstance(args, str):
                part.arguments.append(args)
            elif args is not None:
                part.arguments.append(json.dumps(args))
