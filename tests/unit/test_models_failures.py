"""How the adapters fail, against the real scripted server: refused keys, unknown models, rate limits and
server errors with retries and Retry-After, unreachable servers, timeouts, cancellation mid-stream, bad
wire data, and that keys and prompts never reach an error message or the log."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from webbridge.agent.chat import ChatMessage, TextDelta
from webbridge.agent.models import AnthropicModel, HttpModel, OpenAIChatModel, RetryPolicy
from webbridge.errors import (
    ModelAuthError,
    ModelBadResponse,
    ModelContextTooLong,
    ModelInputError,
    ModelNotFound,
    ModelRateLimited,
    ModelRequestRejected,
    ModelServerError,
    ModelTimeout,
    ModelUnreachable,
)
from webbridge.testing.model_server import ScriptedModelServer

KEY = "sk-secret-abcdef123456"
PROMPT = "my bank password is hunter2"
HI = [ChatMessage(role="user", content=PROMPT)]
APIS = ["openai", "anthropic"]


class Waits:
    """Stands in for asyncio.sleep in the retry loop: records each wait and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def make(
    api: str,
    server: ScriptedModelServer | str,
    waits: Waits | None = None,
    *,
    retries: int = 2,
    timeout: float = 30,
    key: str = KEY,
    stream: bool | None = None,
) -> HttpModel:
    url = (
        server
        if isinstance(server, str)
        else (server.openai_url if api == "openai" else server.anthropic_url)
    )
    cls = OpenAIChatModel if api == "openai" else AnthropicModel
    return cls(
        api,
        base_url=url,
        api_key=key,
        timeout=timeout,
        stream=stream,
        retry=RetryPolicy(max_retries=retries, base=0.2, cap=1.0),
        sleep=waits or Waits(),
    )


def error_step(status: int, **reply: Any) -> dict[str, Any]:
    return {"reply": {"status": status, **reply}}


@pytest.mark.parametrize("api", APIS)
async def test_a_refused_key_names_the_variable_not_the_key_and_is_not_retried(api: str) -> None:
    async with ScriptedModelServer([], api_key="the-right-key") as server:
        waits = Waits()
        async with make(api, server, waits) as model:
            with pytest.raises(ModelAuthError) as info:
                await model.complete(HI)
    env = "OPENAI_API_KEY" if api == "openai" else "ANTHROPIC_API_KEY"
    assert info.value.code == 7001 and env in str(info.value) and "was refused (HTTP 401)" in str(info.value)
    assert KEY not in str(info.value) and KEY not in repr(info.value.detail)
    assert len(server.requests) == 1 and not server.requests[0].auth_ok and waits.delays == []
    server.assert_done()


@pytest.mark.parametrize("api", APIS)
async def test_403_is_an_auth_error_too(api: str) -> None:
    async with ScriptedModelServer([error_step(403, error_message="key lacks access")]) as server:
        async with make(api, server) as model:
            with pytest.raises(ModelAuthError, match="HTTP 403"):
                await model.complete(HI)
        server.assert_done()


@pytest.mark.parametrize("api", APIS)
async def test_an_unknown_model_is_named(api: str) -> None:
    async with ScriptedModelServer([], models={"real-model"}) as server:
        model = (OpenAIChatModel if api == "openai" else AnthropicModel)(
            api, model="gpt-17", base_url=server.openai_url if api == "openai" else server.url, api_key=KEY
        )
        async with model:
            with pytest.raises(ModelNotFound, match=r"model 'gpt-17' is not known at http://127\.0\.0\.1"):
                await model.complete(HI)
    assert len(server.requests) == 1


@pytest.mark.parametrize("api", APIS)
async def test_429_waits_as_long_as_retry_after_says_then_succeeds(api: str) -> None:
    script = [
        error_step(429, headers={"Retry-After": "3"}),
        error_step(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),  # a date in the past
        {"reply": {"text": "finally"}},
    ]
    async with ScriptedModelServer(script) as server:
        waits = Waits()
        async with make(api, server, waits) as model:
            reply = await model.complete(HI)
        server.assert_done()
    assert reply.message.content == "finally" and waits.delays == [3.0, 0.0]


async def test_openai_retry_after_ms_is_honoured() -> None:
    async with ScriptedModelServer(
        [error_step(429, headers={"retry-after-ms": "1500"}), {"reply": {"text": "ok"}}]
    ) as server:
        waits = Waits()
        async with make("openai", server, waits) as model:
            await model.complete(HI)
    assert waits.delays == [1.5]


@pytest.mark.parametrize("api", APIS)
async def test_429_after_every_retry_is_rate_limited_with_the_hint(api: str) -> None:
    async with ScriptedModelServer([error_step(429, headers={"Retry-After": "2"})] * 3) as server:
        waits = Waits()
        async with make(api, server, waits, retries=2) as model:
            with pytest.raises(ModelRateLimited) as info:
                await model.complete(HI)
        server.assert_done()
    assert (
        waits.delays == [2.0, 2.0] and info.value.detail["retry_after"] == 2.0 and len(server.requests) == 3
    )


async def test_a_retry_after_longer_than_we_wait_fails_at_once() -> None:
    async with ScriptedModelServer([error_step(429, headers={"Retry-After": "3600"})]) as server:
        waits = Waits()
        async with make("openai", server, waits) as model:
            with pytest.raises(ModelRateLimited, match="asks to wait 3600s") as info:
                await model.complete(HI)
        server.assert_done()
    assert waits.delays == [] and info.value.detail["retry_after"] == 3600.0


@pytest.mark.parametrize(("api", "status"), [("openai", 500), ("openai", 502), ("anthropic", 529)])
async def test_server_errors_are_retried_with_jittered_backoff(api: str, status: int) -> None:
    async with ScriptedModelServer(
        [error_step(status), error_step(status), {"reply": {"text": "up again"}}]
    ) as server:
        waits = Waits()
        async with make(api, server, waits) as model:
            reply = await model.complete(HI)
        server.assert_done()
    assert reply.message.content == "up again"
    first, second = waits.delays
    assert 0.1 <= first <= 0.2 and 0.2 <= second <= 0.4  # base 0.2, doubling, jitter up to half


@pytest.mark.parametrize("api", APIS)
async def test_a_server_error_after_every_retry_carries_the_provider_message(api: str) -> None:
    async with ScriptedModelServer([error_step(503, error_message="upstream is down")] * 2) as server:
        async with make(api, server, retries=1) as model:
            with pytest.raises(ModelServerError, match=r"HTTP 503.*upstream is down"):
                await model.complete(HI)
        server.assert_done()


@pytest.mark.parametrize("api", APIS)
async def test_connection_refused_is_unreachable_naming_the_url_after_retries(api: str) -> None:
    with socket.socket() as holder:  # bound, never listening: connecting is refused
        holder.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{holder.getsockname()[1]}"
        waits = Waits()
        async with make(api, url + ("/v1" if api == "openai" else ""), waits, retries=2) as model:
            with pytest.raises(ModelUnreachable, match=f"cannot connect to .* at {url}") as info:
                await model.complete(HI)
    assert type(info.value) is ModelUnreachable and len(waits.delays) == 2


@pytest.mark.parametrize("api", APIS)
async def test_no_answer_within_the_timeout_is_a_timeout_and_the_server_sees_us_leave(api: str) -> None:
    async with ScriptedModelServer([{"reply": {"hang": True}}]) as server:
        waits = Waits()
        async with make(api, server, waits, timeout=1.0) as model:
            with pytest.raises(ModelTimeout, match=r"within 1s"):
                await model.complete(HI)
        await asyncio.wait_for(server.wait_disconnected(0), 10)
        server.assert_done()
    assert waits.delays == []  # a timeout is not retried


@pytest.mark.parametrize("api", APIS)
async def test_a_stream_that_stalls_times_out(api: str) -> None:
    async with ScriptedModelServer([{"reply": {"text": "a long answer", "hang_after_chunks": 3}}]) as server:
        async with make(api, server, timeout=1.0, stream=True) as model:
            with pytest.raises(ModelTimeout):
                await model.complete(HI)
        await asyncio.wait_for(server.wait_disconnected(0), 10)


@pytest.mark.parametrize("api", APIS)
async def test_cancelling_mid_stream_closes_the_request_at_once(api: str) -> None:
    # Stall right after the first text piece: OpenAI sends a role chunk first; Anthropic sends message_start,
    # ping and content_block_start.
    first_text = 2 if api == "openai" else 4
    async with ScriptedModelServer(
        [{"reply": {"text": "first piece, then nothing", "hang_after_chunks": first_text}}]
    ) as server:
        got_text = asyncio.Event()

        async def sink(delta: TextDelta) -> None:
            got_text.set()

        async with make(api, server) as model:
            task = asyncio.create_task(model.complete(HI, on_delta=sink))
            await asyncio.wait_for(got_text.wait(), 10)
            assert not server.disconnected(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.wait_for(server.wait_disconnected(0), 10)
        server.assert_done()


async def test_openai_context_length_is_recognised() -> None:
    step = error_step(
        400,
        error_code="context_length_exceeded",
        error_message="This model's maximum context length is 128000 tokens.",
    )
    async with ScriptedModelServer([step]) as server:
        async with make("openai", server) as model:
            with pytest.raises(ModelContextTooLong, match="128000"):
                await model.complete(HI)


async def test_anthropic_prompt_too_long_is_recognised() -> None:
    step = error_step(400, error_message="prompt is too long: 210000 tokens > 200000 maximum")
    async with ScriptedModelServer([step]) as server:
        async with make("anthropic", server) as model:
            with pytest.raises(ModelContextTooLong, match="210000 tokens"):
                await model.complete(HI)


@pytest.mark.parametrize("api", APIS)
async def test_other_4xx_are_rejected_with_the_reason_scrubbed_of_keys(api: str) -> None:
    step = error_step(400, error_message=f"Invalid request; key {KEY} and sk-proj-OTHERKEY99 are odd")
    async with ScriptedModelServer([step]) as server:
        async with make(api, server) as model:
            with pytest.raises(ModelRequestRejected, match="Invalid request") as info:
                await model.complete(HI)
    assert KEY not in str(info.value) and "OTHERKEY99" not in str(info.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("api", "raw", "content_type", "match"),
    [
        ("openai", "<html>gateway</html>", "text/html", "not JSON"),
        ("openai", '{"choices": []}', "application/json", "without choices"),
        (
            "openai",
            '{"choices": [{"message": {"tool_calls": [{"function": {}}]}}]}',
            "application/json",
            "without a function name",
        ),
        ("anthropic", '{"type": "message", "content": "text?"}', "application/json", "content list"),
        (
            "openai",
            'data: {"choices": [{"index": 0, "delta": {"content": "cut"}}]}\n\n',
            "text/event-stream",
            "ended before",
        ),
        (
            "anthropic",
            'event: message_start\ndata: {"type": "message_start", "message": {"usage": {}}}\n\n',
            "text/event-stream",
            "before message_stop",
        ),
        ("openai", "data: {not json\n\n", "text/event-stream", "not JSON"),
    ],
)
async def test_bad_wire_data_is_a_bad_response(api: str, raw: str, content_type: str, match: str) -> None:
    async with ScriptedModelServer([{"reply": {"raw": raw, "raw_content_type": content_type}}]) as server:
        async with make(api, server, stream=content_type == "text/event-stream") as model:
            with pytest.raises(ModelBadResponse, match=match):
                await model.complete(HI)


async def test_an_error_event_inside_an_anthropic_stream_is_translated() -> None:
    raw = (
        'event: message_start\ndata: {"type": "message_start", "message": {"usage": {"input_tokens": 3}}}\n\n'
        "event: error\n"
        'data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n'
    )
    async with ScriptedModelServer(
        [{"reply": {"raw": raw, "raw_content_type": "text/event-stream"}}]
    ) as server:
        async with make("anthropic", server, stream=True) as model:
            with pytest.raises(ModelServerError, match="Overloaded"):
                await model.complete(HI)


async def test_an_error_chunk_inside_an_openai_stream_is_translated() -> None:
    raw = 'data: {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}\n\n'
    async with ScriptedModelServer(
        [{"reply": {"raw": raw, "raw_content_type": "text/event-stream"}}]
    ) as server:
        async with make("openai", server, stream=True) as model:
            with pytest.raises(ModelRateLimited, match="Rate limit reached"):
                await model.complete(HI)


@pytest.mark.parametrize("api", APIS)
async def test_a_conversation_that_cannot_be_expressed_sends_nothing(api: str) -> None:
    async with ScriptedModelServer([]) as server:
        async with make(api, server) as model:
            with pytest.raises(ModelInputError, match="tool_call_id"):
                await model.complete([*HI, ChatMessage(role="tool", content="result")])
            with pytest.raises(ModelInputError, match="carries tool calls"):
                await model.complete(
                    [ChatMessage(role="user", content="x", tool_calls=({"id": "a", "name": "b"},))]
                )  # type: ignore[arg-type]
    assert server.requests == []


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    for name in ("webbridge", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield caplog


@pytest.mark.parametrize("api", APIS)
async def test_keys_and_prompts_never_reach_the_log(api: str, all_logs: pytest.LogCaptureFixture) -> None:
    async with ScriptedModelServer([error_step(500), {"reply": {"text": "fine"}}]) as server:
        async with make(api, server, stream=True) as model:
            await model.complete(HI)
    text = "\n".join(f"{r.getMessage()} {r.args!r}" for r in all_logs.records)
    assert "retrying" in text  # the log did record the call
    assert KEY not in text and "hunter2" not in text
