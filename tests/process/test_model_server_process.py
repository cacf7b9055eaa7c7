"""The scripted model server as its own process (how e2e tests give a separate daemon a model): it prints
its URL, serves both wire formats from a script file, reports its state over HTTP, and on SIGTERM exits 0
only when every step was used and nothing unexpected happened."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from webbridge.agent.chat import ChatMessage
from webbridge.agent.models import RetryPolicy, create_model
from webbridge.errors import ModelServerError
from webbridge.testing.model_server import LOUD, STATE_PATH

from ..conftest import WbEnv

DEADLINE = 20.0


@asynccontextmanager
async def model_server(wb: WbEnv, *args: str) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "webbridge.testing.model_server",
        "--port",
        "0",
        *args,
        env=wb.env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), DEADLINE)
        url = line.decode().strip()
        assert url.startswith("http://127.0.0.1:"), (url, await proc.stderr.read() if proc.stderr else b"")
        yield proc, url
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def stop(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    assert proc.stderr is not None
    stderr = await asyncio.wait_for(proc.stderr.read(), DEADLINE)
    return await asyncio.wait_for(proc.wait(), DEADLINE), stderr.decode()


def write_script(tmp_path: Path, steps: list[dict[str, Any]]) -> str:
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"steps": steps}))
    return str(path)


async def test_a_script_file_is_served_in_both_wire_formats_and_a_clean_run_exits_0(
    wb: WbEnv, tmp_path: Path
) -> None:
    script = write_script(
        tmp_path,
        [
            {
                "expect": {"api": "openai", "stream": True},
                "reply": {"tool_calls": [{"id": "c1", "name": "click", "arguments": {"ref": "e3"}}]},
            },
            {"expect": {"api": "anthropic", "last_tool_result_for": "c1"}, "reply": {"text": "Clicked."}},
        ],
    )
    async with model_server(wb, "--script", script, "--api-key", "sk-proc") as (proc, url):
        kimi = create_model("moonshot", base_url=f"{url}/v1", api_key="sk-proc")
        claude = create_model("anthropic", base_url=url, api_key="sk-proc")
        seen: list[str] = []

        async def sink(delta: Any) -> None:
            seen.append(delta.text)

        try:
            first = await kimi.complete([ChatMessage(role="user", content="click it")], on_delta=sink)
            second = await claude.complete(
                [
                    ChatMessage(role="user", content="click it"),
                    first.message,
                    ChatMessage(role="tool", tool_call_id="c1", content="clicked e3"),
                ]
            )
        finally:
            await kimi.aclose()
            await claude.aclose()
        async with httpx.AsyncClient() as client:
            state = (await client.get(url + STATE_PATH)).json()
        code, stderr = await stop(proc)
    assert first.message.tool_calls[0].arguments == '{"ref": "e3"}' and second.message.content == "Clicked."
    assert state["remaining"] == 0 and state["failures"] == [] and len(state["requests"]) == 2
    assert code == 0, stderr


async def test_an_unexpected_call_makes_the_process_exit_1_loudly(wb: WbEnv, tmp_path: Path) -> None:
    script = write_script(
        tmp_path, [{"expect": {"last_message_contains": "weather"}, "reply": {"text": "sunny"}}]
    )
    async with model_server(wb, "--script", script) as (proc, url):
        model = create_model("ollama", base_url=f"{url}/v1", retry=RetryPolicy(max_retries=0))
        try:
            try:
                await model.complete([ChatMessage(role="user", content="what is the time")])
                raise AssertionError("the mismatching call was answered")
            except ModelServerError as exc:
                assert LOUD in str(exc)
        finally:
            await model.aclose()
        code, stderr = await stop(proc)
    assert code == 1
    assert (
        LOUD in stderr
        and "does not contain 'weather'" in stderr
        and "1 scripted step(s) never called" in stderr
    )


async def test_a_handler_named_on_the_command_line_answers_dynamically(wb: WbEnv) -> None:
    async with model_server(
        wb, "--handler", "webbridge.testing.model_server:echo_handler", "--model", "echo-1"
    ) as (proc, url):
        model = create_model("vllm", model="echo-1", base_url=f"{url}/v1")
        try:
            replies = [await model.complete([ChatMessage(role="user", content=t)]) for t in ("ping", "pong")]
        finally:
            await model.aclose()
        code, stderr = await stop(proc)
    assert [r.message.content for r in replies] == ["echo: ping", "echo: pong"]
    assert code == 0, stderr


async def test_a_bad_script_file_exits_2_naming_the_problem(wb: WbEnv, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"reply": {"txet": "typo"}}]))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "webbridge.testing.model_server",
        "--script",
        str(path),
        env=wb.env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), DEADLINE)
    assert proc.returncode == 2 and stdout == b"" and b"txet" in stderr
