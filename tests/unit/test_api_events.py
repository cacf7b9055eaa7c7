"""``GET /v1/events``: run events as JSON over a real WebSocket (L4: web origins refused at the upgrade; the
token only in the header), the stream of one run ending after ``run.finished``, lag and shutdown."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from webbridge.meta import EXTENSION_ID

from ._api_support import DEADLINE, Served, serve


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Served]:
    served = await serve(tmp_path)
    try:
        yield served
    finally:
        await served.server.aclose()


async def _next(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    async with asyncio.timeout(DEADLINE):
        msg = await ws.receive()
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    data: dict[str, Any] = json.loads(msg.data)
    return data


async def _closed(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    async with asyncio.timeout(DEADLINE):
        msg = await ws.receive()
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), msg
    return ws.close_code


async def _start(api: Served, task: str = "t") -> str:
    async with api.session() as http, http.post("/v1/runs", json={"task": task}, headers=api.auth()) as resp:
        assert resp.status == 201
        run_id: str = (await resp.json())["run_id"]
        return run_id


async def test_every_runs_events_arrive_live_as_json(api: Served) -> None:
    assert api.runs is not None
    async with api.session() as http, http.ws_connect("/v1/events", headers=api.auth()) as ws:
        await api.runs.wait_iterators(1)  # subscribed: nothing after this can be missed
        first = await _start(api, "one")
        second = await _start(api, "two")
        await api.runs.finish(first)
        got = [await _next(ws) for _ in range(3)]
        assert [(e["run_id"], e["type"]) for e in got] == [
            (first, "run.started"),
            (second, "run.started"),
            (first, "run.finished"),
        ]
        assert got[0]["task"] == "one" and got[0]["source"] == "api" and got[2]["outcome"] == "done"
    await api.runs.wait_iterators(0)  # the client left: the subscription is released


async def test_one_run_replays_after_seq_and_closes_after_it_finished(api: Served) -> None:
    assert api.runs is not None
    run_id = await _start(api)
    await api.runs.finish(run_id)
    async with api.session() as http:
        async with http.ws_connect("/v1/events", params={"run": run_id}, headers=api.auth()) as ws:
            assert [(await _next(ws))["seq"] for _ in range(2)] == [1, 2]
            assert await _closed(ws) == 1000
        async with http.ws_connect(
            "/v1/events", params={"run": run_id, "after": "1"}, headers=api.auth()
        ) as ws:
            assert (await _next(ws))["type"] == "run.finished"
            assert await _closed(ws) == 1000
    await api.runs.wait_iterators(0)


async def test_an_unknown_run_or_bad_parameter_is_refused_before_the_upgrade(api: Served) -> None:
    async with api.session() as http:
        for params, status in (
            ({"run": "r-nope"}, 404),
            ({"run": "r-1", "after": "x"}, 400),
            ({"after": "3"}, 400),
        ):
            with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
                await http.ws_connect("/v1/events", params=params, headers=api.auth())
            assert caught.value.status == status, params
        async with http.get("/v1/events", headers=api.auth()) as resp:  # a plain GET, no upgrade
            assert resp.status == 400 and "WebSocket" in (await resp.json())["error"]["message"]


@pytest.mark.parametrize("origin", ["https://evil.test", "null", "http://127.0.0.1:8000", "http://localhost"])
async def test_an_upgrade_from_a_web_origin_is_refused(api: Served, origin: str) -> None:
    assert api.runs is not None
    async with api.session() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await http.ws_connect("/v1/events", headers=api.auth(Origin=origin))
    assert caught.value.status == 403 and api.runs.open_iterators == 0


async def test_the_extension_may_upgrade(api: Served) -> None:
    async with (
        api.session() as http,
        http.ws_connect("/v1/events", headers=api.auth(Origin=f"chrome-extension://{EXTENSION_ID}")) as ws,
    ):
        assert not ws.closed


async def test_the_token_travels_only_in_the_header(api: Served) -> None:
    assert api.runs is not None
    async with api.session() as http:
        for params, headers in (
            ({}, {}),
            ({"token": api.token}, {}),
            ({"token": api.token}, api.auth()),
            ({"run": api.token}, api.auth()),
        ):
            with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
                await http.ws_connect("/v1/events", params=params, headers=headers)
            assert caught.value.status == 401, params
    assert api.runs.open_iterators == 0


async def test_a_lagging_watcher_is_told_and_closed_1013(api: Served) -> None:
    assert api.runs is not None
    api.runs.lag_all = True
    async with api.session() as http, http.ws_connect("/v1/events", headers=api.auth()) as ws:
        await api.runs.wait_iterators(1)
        await _start(api)
        assert (await _next(ws))["type"] == "run.started"
        assert (await _next(ws))["error"]["name"] == "events_lagged"
        assert await _closed(ws) == 1013
    await api.runs.wait_iterators(0)


async def test_stopping_the_api_closes_open_sockets_going_away(api: Served) -> None:
    assert api.runs is not None
    async with api.session() as http, http.ws_connect("/v1/events", headers=api.auth()) as ws:
        await api.runs.wait_iterators(1)
        closing = asyncio.create_task(api.server.aclose())
        assert await _closed(ws) == 1001
        async with asyncio.timeout(DEADLINE):
            await closing
    assert api.runs.open_iterators == 0
