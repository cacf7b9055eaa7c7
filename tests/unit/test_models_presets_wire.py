"""Every provider preset against the scripted model server in that provider's wire format, whole and
streamed: the request lands on the right path with the right auth header and body, and the reply (text,
tool calls, stop reason, usage and cost) comes back the same either way."""

from __future__ import annotations

import pytest

from webbridge.agent.chat import ChatMessage, TextDelta, ToolSpec
from webbridge.agent.models import PRESETS, AnthropicModel, OpenAIChatModel, create_model
from webbridge.testing.model_script import Reply, ScriptToolCall, ScriptUsage, Step
from webbridge.testing.model_server import ScriptedModelServer

KEY = "test-key-0123456789"
CLICK = ToolSpec(
    name="click",
    description="Click an element",
    parameters={"type": "object", "properties": {"ref": {"type": "string"}}, "required": ["ref"]},
)
MODEL_FOR = {"vllm": "served-model"}


def _reply() -> Reply:
    return Reply(
        text="Opening the inbox now.",
        tool_calls=(ScriptToolCall(id="c-1", name="click", arguments={"ref": "e12"}),),
        usage=ScriptUsage(input_tokens=1200, output_tokens=80),
        chunk_size=5,
    )


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("preset", sorted(PRESETS))
async def test_preset_speaks_its_wire_format(preset: str, stream: bool) -> None:
    spec = PRESETS[preset]
    api = spec.api
    expect = {
        "api": api,
        "stream": stream,
        "last_message_contains": "open my inbox",
        "tools_include": ["click"],
        "system_contains": "You are WebBridge",
        "max_tokens": 512,
    }
    async with ScriptedModelServer(
        [Step.model_validate({"expect": expect, "reply": _reply().model_dump()})], api_key=KEY
    ) as server:
        base = server.anthropic_url if api == "anthropic" else server.openai_url
        model = create_model(preset, base_url=base, api_key=KEY, model=MODEL_FOR.get(preset), stream=stream)
        assert isinstance(model, AnthropicModel if api == "anthropic" else OpenAIChatModel)
        pieces: list[str] = []

        async def sink(delta: TextDelta) -> None:
            pieces.append(delta.text)

        try:
            reply = await model.complete(
                [
                    ChatMessage(role="system", content="You are WebBridge."),
                    ChatMessage(role="user", content="Please open my inbox"),
                ],
                [CLICK],
                on_delta=sink,
                max_tokens=512,
            )
        finally:
            await model.aclose()
        server.assert_done()

    (request,) = server.requests
    assert reply.message.content == "Opening the inbox now."
    assert [(c.id, c.name, c.arguments) for c in reply.message.tool_calls] == [
        ("c-1", "click", '{"ref": "e12"}')
    ]
    assert reply.stop_reason == "tool_calls"
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (1200, 80)
    assert reply.usage.cost_usd == spec.usage(model.name.split(":", 1)[1], 1200, 80).cost_usd
    if spec.local:
        assert reply.usage.cost_usd == 0.0
    elif preset == "openrouter":
        assert reply.usage.cost_usd is None
    else:
        assert reply.usage.cost_usd is not None and reply.usage.cost_usd > 0
    assert pieces == (["Openi", "ng th", "e inb", "ox no", "w."] if stream else [])
    assert request.model == (MODEL_FOR.get(preset) or spec.default_model)

    if api == "openai":
        assert request.path == "/v1/chat/completions"
        assert request.headers["Authorization"] == f"Bearer {KEY}"
        assert request.body["tools"][0] == {"type": "function", "function": CLICK.model_dump()}
        assert request.body["tool_choice"] == "auto"
        assert request.body[spec.max_tokens_field] == 512
        assert request.body["messages"][0] == {"role": "system", "content": "You are WebBridge."}
        if stream:
            assert request.body["stream_options"] == {"include_usage": True}
    else:
        assert request.path == "/v1/messages"
        assert request.headers["x-api-key"] == KEY and request.headers["anthropic-version"] == "2023-06-01"
        assert "Authorization" not in request.headers
        assert request.body["system"] == "You are WebBridge."
        assert request.body["tools"] == [
            {"name": "click", "description": "Click an element", "input_schema": CLICK.parameters}
        ]
        assert request.body["tool_choice"] == {"type": "auto"}
        assert request.body["messages"] == [
            {"role": "user", "content": [{"type": "text", "text": "Please open my inbox"}]}
        ]
    assert request.stream is stream


@pytest.mark.parametrize("preset", ["ollama", "vllm", "llamacpp"])
async def test_local_presets_send_no_authorization_without_a_key(
    preset: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PRESETS[preset].env_var, raising=False)
    monkeypatch.setitem(__import__("sys").modules, "keyring", None)
    async with ScriptedModelServer([Step(reply=Reply(text="local"))]) as server:
        model = create_model(preset, base_url=server.openai_url, model="m")
        try:
            reply = await model.complete([ChatMessage(role="user", content="hi")])
        finally:
            await model.aclose()
        server.assert_done()
    assert reply.message.content == "local" and reply.stop_reason == "end_turn"
    assert "Authorization" not in server.requests[0].headers
