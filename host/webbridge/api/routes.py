"""The REST routes (PROTOCOL.md §9.2): status, and runs delegated to the daemon's run manager.

Handlers run after :mod:`.guards`, so every request here is authenticated, from no web origin, and a body
is JSON of at most ``max_body`` bytes. Errors are raised as WebBridge errors and answered by
:func:`.replies.error_reply` (the app's error middleware); a refused request changes nothing.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from .. import __version__
from ..agent.events import RunRequest
from ..daemon.run_api import runs_of
from ..errors import ApiBadRequest, ApiBodyTooLarge, RunsUnavailable
from ..protocol import jsonstrict
from .context import CONTEXT
from .replies import json_reply

#: ``GET /v1/runs?limit=N``: 1..MAX_LIMIT, default DEFAULT_LIMIT.
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_ID = 64


async def read_json(request: web.Request, *, empty_ok: bool = False) -> dict[str, Any]:
    """The request body as one strict JSON object (``{}`` for an empty body when ``empty_ok``).

    Raises :class:`ApiBodyTooLarge` past the app's ``client_max_size`` (also for a chunked body without
    a length), :class:`ApiBadRequest` for an empty body, and the :mod:`jsonstrict` errors (400) for
    anything that is not exactly one JSON object.
    """
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiBodyTooLarge(f"the body is over {request.app[CONTEXT].max_body} bytes") from None
    if not raw:
        if empty_ok:
            return {}
        raise ApiBadRequest("a JSON object is required as the body")
    return jsonstrict.loads(raw)


def run_id_of(request: web.Request) -> str:
    run_id = request.match_info["run_id"]
    if not 0 < len(run_id) <= MAX_ID or not run_id.isprintable():
        raise ApiBadRequest("the run id is malformed")
    return run_id


def int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not text.isdigit() or len(text) > 16 or not low <= int(text) <= high:
        raise ApiBadRequest(f"{name} must be an integer in [{low}, {high}]")
    return int(text)


async def get_status(request: web.Request) -> web.Response:
    state = request.app[CONTEXT].state
    try:
        runs_of(state)
        runs_available = True
    except RunsUnavailable:  # reported here, not an error of this endpoint
        runs_available = False
    return json_reply(
        {
            "version": __version__,
            "pid": state.pid,
            "uptime": round(state.uptime(), 3),
            "bridges": [b.public() for b in state.bridges.list()],
            "runs_available": runs_available,
        }
    )


async def list_runs(request: web.Request) -> web.Response:
    limit = int_param(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    summaries = await runs_of(request.app[CONTEXT].state).list_runs(limit)
    return json_reply({"runs": [s.model_dump(mode="json") for s in summaries[:limit]]})


async def get_run(request: web.Request) -> web.Response:
    detail = await runs_of(request.app[CONTEXT].state).get(run_id_of(request))
    return json_reply(detail.model_dump(mode="json"))


async def start_run(request: web.Request) -> web.Response:
    """``POST /v1/runs``: a :class:`RunRequest` body. ``source`` is the daemon's to set (always ``api``).
    201 with the run id; 400 naming the bad field; nothing is started on any error."""
    runs = runs_of(request.app[CONTEXT].state)  # 503 before the body is even read
    body = await read_json(request)
    if body.get("source", "api") != "api":
        raise ApiBadRequest("source: runs started through the API are always 'api'; leave it out")
    try:
        req = RunRequest.model_validate({**body, "source": "api"})
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "body"
        raise ApiBadRequest(f"{where}: {err['msg']}") from None
    run_id = await runs.start(req)
    return json_reply({"run_id": run_id}, status=201)


async def stop_run(request: web.Request) -> web.Response:
    """``POST /v1/runs/{id}/stop`` (body empty or ``{}``): waits until the run has ended; ``stopped``
    False for a run that had already ended (idempotent); 404 for an unknown run."""
    run_id = run_id_of(request)
    runs = runs_of(request.app[CONTEXT].state)
    body = await read_json(request, empty_ok=True)
    if body:
        raise ApiBadRequest(f"stop takes no fields (got {sorted(body)[0]!r})")
    stopped = await runs.stop(run_id)
    return json_reply({"run_id": run_id, "stopped": stopped})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/status", get_status, allow_head=False)
    app.router.add_get("/v1/runs", list_runs, allow_head=False)
    app.router.add_post("/v1/runs", start_run)
    app.router.add_get("/v1/runs/{run_id}", get_run, allow_head=False)
    app.router.add_post("/v1/runs/{run_id}/stop", stop_run)


__all__ = ["add_routes", "int_param", "read_json", "run_id_of"]
