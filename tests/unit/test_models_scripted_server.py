"""The scripted model server itself: it fails loudly on an unexpected call (exhausted script, failed
matcher, broken handler) even when the client swallows the error, answers from a Python handler in dynamic
mode, plays the provider's gatekeeping (key, version header, unknown model), and refuses bad scripts."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from webbridge.agent.chat import ChatMessage, ToolSpec
from webbridge.agent.models import OpenAIChatModel, RetryPolicy
from webbridge.errors import ModelServerError
from webbridge.testing.model_script import RecordedRequest, Reply, Script, ScriptToolCall
from webbridge.testing.model_server import LOUD, STATE_PATH, ScriptedModelServer

NO_RETRY = RetryPolicy(max_retries=0)


def model(server: ScriptedModelServer) -> OpenAIChatModel:
    return OpenAIChatModel("openai", base_url=server.openai_url, api_key="k", retry=NO_RETRY)


async def test_an_exhausted_script_answers_500_loudly_and_assert_done_fails() -> None:
    async with ScriptedModelServer([{"reply": {"text": "only one"}}]) as server:
        async with model(server) as m:
            await m.complete([ChatMessage(role="user", content="first")])
            server.assert_done()
            with pytest.raises(ModelServerError, match=f"HTTP 500.*{LOUD}.*used up"):
                await m.complete([ChatMessage(role="user", content="second")])
    with pytest.raises(AssertionError, match=r"unexpected call #1 to /v1/chat/completions.*'second'"):
        server.assert_done()


async def test_a_failed_matcher_is_recorded_even_if_the_client_ignores_the_error() -> None:
    script = [{"expect": {"last_tool_result_for": "c9", "tools_include": ["click"]}, "reply": {"text": "x"}}]
    async with ScriptedModelServer(script) as server:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{server.openai_url}/chat/completions",
                json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
            )
        assert response.status_code == 500 and LOUD in response.json()["error"]["message"]
        assert server.remaining == 1  # the step was not used up by the wrong call
    with pytest.raises(AssertionError) as info:
        server.assert_done()
    assert "expected the result of 'c9'" in str(info.value) and "tools ['click'] not offered" in str(
        info.value
    )
    assert "1 scripted step(s) never called" in str(info.value)


async def test_unused_steps_fail_assert_done() -> None:
    async with ScriptedModelServer([{"reply": {"text": "a"}}, {"reply": {"text": "b"}}]) as server:
        async with model(server) as m:
            await m.complete([ChatMessage(role="user", content="q")])
    with pytest.raises(AssertionError, match="1 scripted step"):
        server.assert_done()


async def test_dynamic_mode_decides_each_reply_from_the_request() -> None:
    seen: list[RecordedRequest] = []

    async def always_click(request: RecordedRequest) -> Reply:
        seen.append(request)
        if request.last is not None and request.last.role == "tool":
            return Reply(text=f"clicked {len(seen) - 1} times")
        return Reply(tool_calls=(ScriptToolCall(id=f"c{len(seen)}", name="click", arguments={"ref": "e1"}),))

    async with ScriptedModelServer([{"reply": {"text": "scripted first"}}], handler=always_click) as server:
        async with model(server) as m:
            first = await m.complete([ChatMessage(role="user", content="go")])
            second = await m.complete(
                [ChatMessage(role="user", content="go")], [ToolSpec(name="click", description="")]
            )
            call = second.message.tool_calls[0]
            third = await m.complete(
                [
                    ChatMessage(role="user", content="go"),
                    second.message,
                    ChatMessage(role="tool", tool_call_id=call.id, content="ok"),
                ]
            )
        server.assert_done()
    assert first.message.content == "scripted first" and len(seen) == 2
    assert call.name == "click" and seen[0].tool_names == ("click",)
    assert third.message.content == "clicked 1 times"


async def test_a_handler_that_raises_is_a_loud_failure() -> None:
    def broken(request: RecordedRequest) -> Reply:
        raise KeyError("no such branch")

    async with ScriptedModelServer(handler=broken) as server:
        async with model(server) as m:
            with pytest.raises(ModelServerError, match="the handler failed"):
                await m.complete([ChatMessage(role="user", content="q")])
    with pytest.raises(AssertionError, match="KeyError"):
        server.assert_done()


async def test_anthropic_requests_need_the_version_header() -> None:
    async with ScriptedModelServer([{"reply": {"text": "x"}}], api_key="k") as server:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{server.url}/v1/messages",
                headers={"x-api-key": "k"},
                json={"model": "m", "max_tokens": 5, "messages": []},
            )
        assert response.status_code == 400
        assert response.json() == {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": "anthropic-version: header is required"},
        }
        assert server.remaining == 1 and server.failures == []


async def test_a_body_that_is_not_json_is_a_failure() -> None:
    async with ScriptedModelServer() as server:
        async with httpx.AsyncClient() as client:
            response = await client.post(f"{server.openai_url}/chat/completions", content=b"[1, 2")
    assert response.status_code == 400
    with pytest.raises(AssertionError, match="not a JSON object"):
        server.assert_done()


async def test_state_endpoint_reports_requests_failures_and_steps_left() -> None:
    async with ScriptedModelServer([{"reply": {"text": "a"}}, {"reply": {"text": "b"}}]) as server:
        async with model(server) as m:
            await m.complete([ChatMessage(role="user", content="q")])
        async with httpx.AsyncClient() as client:
            state = (await client.get(server.url + STATE_PATH)).json()
    assert state["remaining"] == 1 and state["failures"] == []
    assert [r["messages"][-1]["text"] for r in state["requests"]] == ["q"]


def test_scripts_with_typos_or_bad_values_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"(?s)bad model script.*replay"):
        Script.parse([{"replay": {"text": "x"}}])
    with pytest.raises(ValueError, match=r"(?s)bad model script.*status"):
        Script.parse([{"reply": {"status": 200}}])
    path = tmp_path / "s.json"
    path.write_text("{nope")
    with pytest.raises(ValueError, match="cannot read model script"):
        Script.load(path)
    path.write_text(json.dumps({"steps": [{"reply": {"text": "ok"}}]}))
    assert Script.load(path).steps[0].reply.text == "ok"


async def test_anthropic_whole_reply_cannot_carry_malformed_arguments_and_says_so() -> None:
    from webbridge.agent.models import AnthropicModel

    script = [{"reply": {"tool_calls": [{"name": "x", "arguments": "{broken"}]}}]
    async with ScriptedModelServer(script) as server:
        async with AnthropicModel("anthropic", base_url=server.url, api_key="k", retry=NO_RETRY) as m:
            with pytest.raises(ModelServerError, match="JSON object"):
                await m.complete([ChatMessage(role="user", content="q")])
    with pytest.raises(AssertionError, match="cannot be sent"):
        server.assert_done()
