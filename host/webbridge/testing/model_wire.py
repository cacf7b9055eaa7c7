"""A scripted :class:`~webbridge.testing.model_script.Reply` in the real wire formats: OpenAI chat
completions and Anthropic Messages, whole or as server-sent events, and each provider's error body."""

from __future__ import annotations

import json
import time
from typing import Any

from .model_script import Api, RecordedRequest, Reply

_OPENAI_FINISH = {
    "end_turn": "stop",
    "tool_calls": "tool_calls",
    "max_tokens": "length",
    "content_filter": "content_filter",
}
_ANTHROPIC_STOP = {
    "end_turn": "end_turn",
    "tool_calls": "tool_use",
    "max_tokens": "max_tokens",
    "content_filter": "refusal",
}
_ANTHROPIC_ERROR = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
_OPENAI_ERROR = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    429: "requests",
    500: "server_error",
}


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def usage_of(reply: Reply, request: RecordedRequest) -> tuple[int, int]:
    """The scripted usage, else a deterministic estimate (about four characters a token)."""
    if reply.usage is not None:
        return reply.usage.input_tokens, reply.usage.output_tokens
    seen = len(request.system) + sum(len(m.text) for m in request.messages)
    out = len(reply.text) + sum(len(c.arguments_text()) + len(c.name) for c in reply.tool_calls)
    return seen // 4 + 1, out // 4 + 1


def call_id(reply: Reply, n: int, api: Api) -> str:
    given = reply.tool_calls[n].id
    return given or (f"call_{n}" if api == "openai" else f"toolu_{n}")


def error_body(api: Api, status: int, message: str, code: str | None = None) -> dict[str, Any]:
    if api == "anthropic":
        kind = _ANTHROPIC_ERROR.get(status, "api_error" if status >= 500 else "invalid_request_error")
        return {"type": "error", "error": {"type": kind, "message": message}}
    kind = _OPENAI_ERROR.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


# --- OpenAI ------------------------------------------------------------------------------------------------


def openai_whole(reply: Reply, request: RecordedRequest, n: int) -> dict[str, Any]:
    inp, out = usage_of(reply, request)
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": call_id(reply, i, "openai"),
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments_text()},
            }
            for i, c in enumerate(reply.tool_calls)
        ]
    return {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model or request.model,
        "choices": [{"index": 0, "message": message, "finish_reason": _OPENAI_FINISH[reply.neutral_stop()]}],
        "usage": {"prompt_tokens": inp, "completion_tokens": out, "total_tokens": inp + out},
    }


def openai_events(reply: Reply, request: RecordedRequest, n: int) -> list[bytes]:
    """The SSE events of a streamed reply, ending with ``data: [DONE]``."""
    base = {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": reply.model or request.model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return b"data: " + json.dumps(body).encode() + b"\n\n"

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": p}) for p in pieces(reply.text, reply.chunk_size)]
    starts: list[bytes] = []
    arg_pieces: list[list[bytes]] = []
    for i, c in enumerate(reply.tool_calls):
        starts.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": i,
                            "id": call_id(reply, i, "openai"),
                            "type": "function",
                            "function": {"name": c.name, "arguments": ""},
                        }
                    ]
                }
            )
        )
        arg_pieces.append(
            [
                chunk({"tool_calls": [{"index": i, "function": {"arguments": p}}]})
                for p in pieces(c.arguments_text(), reply.chunk_size)
            ]
        )
    if reply.interleave:
        events += starts
        longest = max((len(a) for a in arg_pieces), default=0)
        events += [a[k] for k in range(longest) for a in arg_pieces if k < len(a)]
    else:
        for start, args in zip(starts, arg_pieces, strict=True):
            events += [start, *args]
    events.append(chunk({}, _OPENAI_FINISH[reply.neutral_stop()]))
    options = request.body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage"):
        inp, out = usage_of(reply, request)
        usage = {"prompt_tokens": inp, "completion_tokens": out, "total_tokens": inp + out}
        events.append(b"data: " + json.dumps({**base, "choices": [], "usage": usage}).encode() + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return events


# --- Anthropic ---------------------------------------------------------------------------------------------


def anthropic_whole(reply: Reply, request: RecordedRequest, n: int) -> dict[str, Any]:
    """Raises :class:`ValueError` when a tool call's arguments are not a JSON object (this wire format
    cannot carry them outside a stream)."""
    inp, out = usage_of(reply, request)
    content: list[dict[str, Any]] = []
    if reply.text:
        content.append({"type": "text", "text": reply.text})
    for i, c in enumerate(reply.tool_calls):
        try:
            args = json.loads(c.arguments) if isinstance(c.arguments, str) else c.arguments
        except ValueError:
            args = None
        if not isinstance(args, dict):
            raise ValueError("tool-call arguments must be a JSON object for a non-streamed Anthropic reply")
        content.append(
            {"type": "tool_use", "id": call_id(reply, i, "anthropic"), "name": c.name, "input": args}
        )
    return {
        "id": f"msg_{n}",
        "type": "message",
        "role": "assistant",
        "model": reply.model or request.model,
        "content": content,
        "stop_reason": _ANTHROPIC_STOP[reply.neutral_stop()],
        "stop_sequence": None,
        "usage": {"input_tokens": inp, "output_tokens": out},
    }


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n".encode()


def anthropic_events(reply: Reply, request: RecordedRequest, n: int) -> list[bytes]:
    inp, out = usage_of(reply, request)
    events = [
        _event(
            "message_start",
            {
                "message": {
                    "id": f"msg_{n}",
                    "type": "message",
                    "role": "assistant",
                    "model": reply.model or request.model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": inp, "output_tokens": 1},
                }
            },
        ),
        _event("ping", {}),
    ]
    index = 0
    if reply.text:
        events.append(
            _event("content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}})
        )
        events += [
            _event("content_block_delta", {"index": index, "delta": {"type": "text_delta", "text": p}})
            for p in pieces(reply.text, reply.chunk_size)
        ]
        events.append(_event("content_block_stop", {"index": index}))
        index += 1
    for i, c in enumerate(reply.tool_calls):
        events.append(
            _event(
                "content_block_start",
                {
                    "index": index,
                    "content_block": {
                        "type": "tool_use",
                        "id": call_id(reply, i, "anthropic"),
                        "name": c.name,
                        "input": {},
                    },
                },
            )
        )
        events += [
            _event(
                "content_block_delta",
                {"index": index, "delta": {"type": "input_json_delta", "partial_json": p}},
            )
            for p in pieces(c.arguments_text(), reply.chunk_size)
        ]
        events.append(_event("content_block_stop", {"index": index}))
        index += 1
    events.append(
        _event(
            "message_delta",
            {
                "delta": {"stop_reason": _ANTHROPIC_STOP[reply.neutral_stop()], "stop_sequence": None},
                "usage": {"output_tokens": out},
            },
        )
    )
    events.append(_event("message_stop", {}))
    return events
