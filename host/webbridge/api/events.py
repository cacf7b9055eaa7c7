"""``GET /v1/events``: a WebSocket that sends run events as JSON text messages (PROTOCOL.md §9.3).

Without parameters: every run's live events (``RunManager.watch_all``). With ``?run=ID`` (and optionally
``&after=SEQ``): that run's stored events after ``SEQ``, then its live ones; the daemon closes the socket
(1000) after ``run.finished``. The token travels only in the ``Authorization`` header of the upgrade
request (:mod:`.guards`); a browser page cannot set that header, and its Origin is refused anyway (L4).

The handler owns three tasks in one ``TaskGroup``: the pump (events → socket), the reader (it discards
what the client sends and notices the close) and a wait for the API to stop. Whichever ends first ends
the others, then the handler closes the socket (a clean close handshake: nothing else reads it then); the
event iterator is always closed, so the run manager drops the subscription at once. A watcher that
falls too far behind gets an ``{"error": {...events_lagged...}}`` message and the close code 1013: it
re-reads each run with ``?run=ID&after=SEQ``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

from aiohttp import WSCloseCode, web

from ..agent.events import RunEvent
from ..daemon.run_api import runs_of
from ..errors import ApiBadRequest, EventsLagged, WebBridgeError
from .context import CONTEXT, ApiContext
from .routes import int_param

log = logging.getLogger("webbridge.api.events")

#: What a client may send (it need send nothing); larger frames close the socket (1009).
MAX_CLIENT_MESSAGE = 4096
HEARTBEAT = 30.0
#: How long a close waits for the client's close frame.
CLOSE_TIMEOUT = 2.0
MAX_SAFE_INT = 2**53 - 1


async def events_socket(request: web.Request) -> web.WebSocketResponse:
    """Upgrade and stream. Before the upgrade: 400 for a request that is not a WebSocket upgrade or has a
    bad parameter, 404 for an unknown run, 503 without a run manager (plain JSON replies)."""
    ctx = request.app[CONTEXT]
    runs = runs_of(ctx.state)
    after = int_param(request, "after", 0, 0, MAX_SAFE_INT)
    run_id = request.query.get("run")
    if run_id is not None:
        if not 0 < len(run_id) <= 64 or not run_id.isprintable():
            raise ApiBadRequest("run must be a run id")
        await runs.get(run_id)  # RunNotFound (404) before the upgrade, not after
        source: AsyncIterator[RunEvent] = runs.events(run_id, after)
    elif "after" in request.query:
        raise ApiBadRequest("after needs run: the stream of all runs is live only")
    else:
        source = runs.watch_all()
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT, max_msg_size=MAX_CLIENT_MESSAGE, timeout=CLOSE_TIMEOUT)
    if not ws.can_prepare(request).ok:
        await _close_source(source)
        raise ApiBadRequest("GET /v1/events is a WebSocket endpoint: send a WebSocket upgrade")
    upgraded = asyncio.Event()
    try:
        async with asyncio.TaskGroup() as group:
            # The pump is scheduled before the handshake is written, so it subscribes before the client
            # can act on the handshake: a run started after the upgrade never misses its first events.
            pump = group.create_task(_pump(ws, source, upgraded), name="api-events-pump")
            await ws.prepare(request)
            upgraded.set()
            reader = group.create_task(_drain(ws), name="api-events-reader")
            stopping = group.create_task(ctx.stopping.wait(), name="api-events-stopping")
            await asyncio.wait((reader, pump, stopping), return_when=asyncio.FIRST_COMPLETED)
            # Exactly one task may read the socket while it is closed: stop the reader before closing,
            # or aiohttp drops the connection without waiting for the client's close frame.
            for task in (reader, pump, stopping):
                task.cancel()
        if not ws.closed:
            code, reason = pump.result() if pump.done() and not pump.cancelled() else _GOING_AWAY
            await ws.close(code=code, message=reason)
    finally:
        await _close_source(source)
    return ws


_GOING_AWAY = (WSCloseCode.GOING_AWAY, b"daemon stopping")


async def _drain(ws: web.WebSocketResponse) -> None:
    """Read until the client closes: nothing is expected from it; reading answers pings and notices the
    close (aiohttp answers a client's close frame itself)."""
    async for _message in ws:
        pass


async def _pump(
    ws: web.WebSocketResponse, source: AsyncIterator[RunEvent], upgraded: asyncio.Event
) -> tuple[int, bytes]:
    """Send every event; returns how to close: 1000 when the stream ended, 1013 when the watcher lagged,
    1011 on another error (after an ``{"error": ...}`` message). A client that went away: 1000, unused."""
    try:
        async for event in source:
            await upgraded.wait()
            await ws.send_str(event.model_dump_json())
    except EventsLagged as exc:
        await _send_error(ws, exc)
        return WSCloseCode.TRY_AGAIN_LATER, b"events_lagged"
    except WebBridgeError as exc:
        log.warning("event stream ended: %s", exc)
        await _send_error(ws, exc)
        return WSCloseCode.INTERNAL_ERROR, exc.name.encode()
    except ConnectionError:
        pass
    return WSCloseCode.OK, b"end of stream"


async def _send_error(ws: web.WebSocketResponse, exc: WebBridgeError) -> None:
    try:
        await ws.send_str(json.dumps({"error": exc.to_wire()}))
    except ConnectionError:
        pass


async def _close_source(source: AsyncIterator[RunEvent]) -> None:
    closer = getattr(source, "aclose", None)
    if closer is not None:
        await closer()


def close_all(ctx: ApiContext) -> None:
    """Tell every open event socket that the API is stopping: each handler closes its socket with 1001
    "going away" (waiting up to ``CLOSE_TIMEOUT`` for the client's close frame) and releases its
    subscription. The runner's shutdown waits for the handlers."""
    ctx.stopping.set()


__all__ = ["close_all", "events_socket"]
