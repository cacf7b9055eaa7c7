"""A model server on 127.0.0.1 that answers from a script in the real OpenAI and Anthropic wire formats.

``POST /v1/chat/completions`` (OpenAI-compatible) and ``POST /v1/messages`` (Anthropic), whole or streamed
(SSE). Every request is recorded (:attr:`ScriptedModelServer.requests`). Each call takes the next step of
the :class:`~webbridge.testing.model_script.Script`; when its matcher fails, or the script is exhausted and
there is no ``handler``, the server answers 500 with a message that starts ``SCRIPTED MODEL SERVER`` and
records the failure, so :meth:`ScriptedModelServer.assert_done` fails the test even when the code under
test swallowed the error. ``handler`` (dynamic mode) decides the reply from the request once the steps are
used up: ``lambda req: Reply(tool_calls=[...])``.

The server also plays the provider's gatekeeping: with ``api_key`` set, a request without that key
(``Authorization: Bearer`` or ``x-api-key``) gets 401, and an Anthropic request without
``anthropic-version`` gets 400; with ``models`` set, an unknown model gets 404. These answers are recorded
but are not failures (tests provoke them on purpose) and do not use up a step.

In a test::

    async with ScriptedModelServer([Step(reply=Reply(text="hi"))], api_key="k") as server:
        model = create_model("openai", base_url=server.openai_url, api_key="k")
        ...
        server.assert_done()

As a process (for tests where the daemon is another process); prints its base URL on one line, serves
``GET /__scripted__/state`` (requests, failures, steps left) and on SIGTERM/SIGINT exits 1 if anything
went wrong::

    python -m webbridge.testing.model_server --script FILE [--handler pkg.mod:func] [--api-key K] --port 0
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import inspect
import json
import signal
import sys
from collections.abc import Awaitable, Callable, Collection, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from . import model_wire as wire
from .model_script import Api, RecordedRequest, Reply, Script, Step, seen_anthropic, seen_openai

Handler = Callable[[RecordedRequest], "Reply | dict[str, Any] | Awaitable[Reply | dict[str, Any]]"]

STATE_PATH = "/__scripted__/state"
LOUD = "SCRIPTED MODEL SERVER"


class ScriptedModelServer:
    """See the module docstring. ``start()``/``aclose()`` or ``async with``; ``aclose()`` is idempotent and
    ends any hanging reply first, so closing never waits on a stalled test."""

    def __init__(
        self,
        script: Script | Sequence[Step | dict[str, Any]] = (),
        *,
        handler: Handler | None = None,
        api_key: str | None = None,
        models: Collection[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.script = (
            script
            if isinstance(script, Script)
            else Script.parse([s.model_dump() if isinstance(s, Step) else s for s in script])
        )
        self.handler = handler
        self.api_key = api_key
        self.models = None if models is None else frozenset(models)
        self.requests: list[RecordedRequest] = []
        self.failures: list[str] = []
        self._next = 0
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._disconnected: dict[int, asyncio.Event] = {}
        self.url = ""

    # --- lifecycle --------------------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen and return the base URL (``http://127.0.0.1:PORT``)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._openai)
        app.router.add_post("/v1/messages", self._anthropic)
        app.router.add_get(STATE_PATH, self._state)
        # handler_cancellation: a client that goes away cancels its handler, which records the disconnect.
        runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=5)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        port = int(runner.addresses[0][1])
        self.url = f"http://{self._host}:{port}"
        return self.url

    async def aclose(self) -> None:
        self._closing.set()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    @property
    def openai_url(self) -> str:
        """The base URL for an OpenAI-compatible preset (``.../v1``)."""
        return f"{self.url}/v1"

    @property
    def anthropic_url(self) -> str:
        """The base URL for the Anthropic preset (the adapter adds ``/v1/messages``)."""
        return self.url

    # --- assertions ---------------------------------------------------------------------------------------

    @property
    def remaining(self) -> int:
        return len(self.script.steps) - self._next

    def assert_done(self) -> None:
        """Raise :class:`AssertionError` if any call was unexpected or a scripted step was never used."""
        problems = list(self.failures)
        if self.remaining:
            problems.append(f"{self.remaining} scripted step(s) never called (next is step {self._next})")
        if problems:
            raise AssertionError(f"{LOUD}: " + "; ".join(problems))

    async def wait_disconnected(self, index: int) -> None:
        """Return once the client of request ``index`` went away while its reply was pending or streaming."""
        await self._event(index).wait()

    def disconnected(self, index: int) -> bool:
        return self._event(index).is_set()

    def _event(self, index: int) -> asyncio.Event:
        return self._disconnected.setdefault(index, asyncio.Event())

    # --- requests -------------------------------------------------------------------------------------------

    async def _openai(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "openai")

    async def _anthropic(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "anthropic")

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "requests": [r.model_dump(mode="json") for r in self.requests],
                "failures": self.failures,
                "remaining": self.remaining,
            }
        )

    async def _serve(self, request: web.Request, api: Api) -> web.StreamResponse:
        index = len(self.requests)
        try:
            body = json.loads(await request.read())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self.failures.append(f"call #{index} to {request.path}: the body is not a JSON object")
            return self._error(api, 400, f"{LOUD}: the request body is not a JSON object")
        record = self._record(index, api, request, body)
        self.requests.append(record)
        self._event(index)
        try:
            return await self._answer(request, record)
        except asyncio.CancelledError:
            self._event(index).set()  # the client went away (handler_cancellation)
            raise
        except ConnectionResetError:
            self._event(index).set()
            raise

    def _record(self, index: int, api: Api, request: web.Request, body: dict[str, Any]) -> RecordedRequest:
        system, messages, tools = (seen_openai if api == "openai" else seen_anthropic)(body)
        max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
        return RecordedRequest(
            index=index,
            api=api,
            path=request.path,
            headers=dict(request.headers),
            body=body,
            model=str(body.get("model", "")),
            stream=body.get("stream") is True,
            system=system,
            messages=messages,
            tool_names=tools,
            max_tokens=max_tokens if isinstance(max_tokens, int) else None,
            auth_ok=self._auth_ok(api, request),
        )

    def _auth_ok(self, api: Api, request: web.Request) -> bool:
        if self.api_key is None:
            return True
        if api == "openai":
            return request.headers.get("Authorization") == f"Bearer {self.api_key}"
        return request.headers.get("x-api-key") == self.api_key

    async def _answer(self, request: web.Request, record: RecordedRequest) -> web.StreamResponse:
        api = record.api
        if not record.auth_ok:
            return self._error(api, 401, "Incorrect API key provided.", "invalid_api_key")
        if api == "anthropic" and "anthropic-version" not in request.headers:
            return self._error(api, 400, "anthropic-version: header is required")
        if self.models is not None and record.model not in self.models:
            return self._error(api, 404, f"The model `{record.model}` does not exist.", "model_not_found")
        reply = await self._reply_for(record)
        if reply is None:
            return self._error(api, 500, self.failures[-1])
        if reply.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), reply.delay)
        if reply.hang:
            await self._closing.wait()
            return self._error(api, 503, "server closing")
        if reply.raw is not None:
            return web.Response(
                status=reply.status or 200,
                text=reply.raw,
                content_type=None,
                headers={"Content-Type": reply.raw_content_type, **reply.headers},
            )
        if reply.status is not None:
            message = reply.error_message or f"scripted error {reply.status}"
            return self._error(api, reply.status, message, reply.error_code, reply.headers)
        n = record.index
        try:
            if not record.stream:
                whole = (
                    wire.openai_whole(reply, record, n)
                    if api == "openai"
                    else wire.anthropic_whole(reply, record, n)
                )
                return web.json_response(whole, headers=reply.headers)
            events = (wire.openai_events if api == "openai" else wire.anthropic_events)(reply, record, n)
        except ValueError as exc:
            self.failures.append(f"call #{n}: the scripted reply cannot be sent: {exc}")
            return self._error(api, 500, f"{LOUD}: {exc}")
        return await self._stream(request, reply, events)

    async def _stream(self, request: web.Request, reply: Reply, events: list[bytes]) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **reply.headers}
        )
        await response.prepare(request)
        for k, event in enumerate(events):
            if reply.hang_after_chunks is not None and k >= reply.hang_after_chunks:
                await self._closing.wait()
                return response
            await response.write(event)
        await response.write_eof()
        return response

    async def _reply_for(self, record: RecordedRequest) -> Reply | None:
        """The reply for ``record``, or ``None`` after recording why the call was unexpected."""
        where = f"call #{record.index} to {record.path}"
        if self._next < len(self.script.steps):
            step = self.script.steps[self._next]
            problems = step.expect.mismatches(record)
            if problems:
                self.failures.append(
                    f"{LOUD}: {where} does not match step {self._next}: " + "; ".join(problems)
                )
                return None
            self._next += 1
            return step.reply
        if self.handler is None:
            last = record.last.text[:80] if record.last else ""
            self.failures.append(
                f"{LOUD}: unexpected {where}: the script's {len(self.script.steps)} step(s) are used up "
                f"(last message: {last!r})"
            )
            return None
        try:
            result = self.handler(record)
            if inspect.isawaitable(result):
                result = await result
            return result if isinstance(result, Reply) else Reply.model_validate(result)
        except Exception as exc:  # a broken handler is a test failure, reported loudly
            self.failures.append(f"{LOUD}: the handler failed on {where}: {type(exc).__name__}: {exc}")
            return None

    @staticmethod
    def _error(
        api: Api, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
    ) -> web.Response:
        return web.json_response(wire.error_body(api, status, message, code), status=status, headers=headers)


def echo_handler(request: RecordedRequest) -> Reply:
    """A stock dynamic handler: answers ``echo: <the last message's text>`` (smoke tests, demos)."""
    return Reply(text=f"echo: {request.last.text if request.last else ''}")


# --- as a process ------------------------------------------------------------------------------------------


def _load_handler(spec: str) -> Handler:
    module, _, attr = spec.partition(":")
    if not module or not attr:
        raise SystemExit(f"--handler wants module:function, got {spec!r}")
    handler = getattr(importlib.import_module(module), attr)
    if not callable(handler):
        raise SystemExit(f"--handler {spec!r} is not callable")
    return handler  # type: ignore[no-any-return]


async def _serve_forever(args: argparse.Namespace) -> int:
    script = Script.load(Path(args.script)) if args.script else Script()
    server = ScriptedModelServer(
        script,
        handler=_load_handler(args.handler) if args.handler else None,
        api_key=args.api_key,
        models=args.model or None,
        host=args.host,
        port=args.port,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        print(server.url, flush=True)
        await stop.wait()
    try:
        server.assert_done()
    except AssertionError as exc:
        print(str(exc), file=sys.stderr, flush=True)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m webbridge.testing.model_server", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--script", help='JSON script: a list of steps or {"steps": [...]}')
    parser.add_argument("--handler", help="module:function deciding replies once the script is used up")
    parser.add_argument("--api-key", help="require this key (401 otherwise)")
    parser.add_argument("--model", action="append", help="a known model (repeat); others get 404")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_serve_forever(args))
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
