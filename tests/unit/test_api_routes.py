"""The REST routes of the local API over a real ApiServer and a run-manager double: bodies validated with
errors that name the field, nothing started on any refusal, run-manager errors with their HTTP status."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from webbridge.errors import BridgeNotFound, ModelKeyMissing, TooManyRuns, WebBridgeError

from ._api_support import Served, serve


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Served]:
    served = await serve(tmp_path)
    try:
        yield served
    finally:
        await served.server.aclose()


async def _call(api: Served, method: str, path: str, **kw: Any) -> tuple[int, Any]:
    kw["headers"] = api.auth(**kw.get("headers", {}))
    async with api.session() as http, http.request(method, path, **kw) as resp:
        assert resp.content_type == "application/json"
        return resp.status, await resp.json()


async def test_start_list_get_and_stop_a_run(api: Served) -> None:
    assert api.runs is not None
    status, body = await _call(
        api,
        "POST",
        "/v1/runs",
        json={"task": "Find the price", "tab": "current", "max_steps": 3, "context": {"page": "p"}},
    )
    assert status == 201
    run_id = body["run_id"]
    [req] = api.runs.requests
    assert (req.task, req.tab, req.max_steps, req.source, req.context) == (
        "Find the price",
        "current",
        3,
        "api",
        {"page": "p"},
    )
    status, listed = await _call(api, "GET", "/v1/runs")
    assert status == 200 and [(r["run_id"], r["status"], r["source"]) for r in listed["runs"]] == [
        (run_id, "running", "api")
    ]
    status, detail = await _call(api, "GET", f"/v1/runs/{run_id}")
    assert status == 200 and detail["summary"]["run_id"] == run_id
    assert [e["type"] for e in detail["events"]] == ["run.started"]

    status, body = await _call(
        api, "POST", f"/v1/runs/{run_id}/stop", headers={"Content-Type": "application/json"}
    )
    assert (status, body) == (200, {"run_id": run_id, "stopped": True})  # an empty body is fine
    status, body = await _call(api, "POST", f"/v1/runs/{run_id}/stop", json={})
    assert (status, body) == (200, {"run_id": run_id, "stopped": False})  # idempotent
    _, detail = await _call(api, "GET", f"/v1/runs/{run_id}")
    assert detail["summary"]["status"] == "cancelled" and detail["events"][-1]["outcome"] == "cancelled"


async def test_list_limit(api: Served) -> None:
    for i in range(3):
        await _call(api, "POST", "/v1/runs", json={"task": f"t{i}"})
    status, listed = await _call(api, "GET", "/v1/runs", params={"limit": "2"})
    assert status == 200 and [r["run_id"] for r in listed["runs"]] == ["r-3", "r-2"]
    for bad in ("0", "501", "-1", "x", "1e3", "9" * 30):
        status, body = await _call(api, "GET", "/v1/runs", params={"limit": bad})
        assert status == 400 and "limit" in body["error"]["message"], bad


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b'{"task": ""}', "api_bad_request", "task"),
        (b"{}", "api_bad_request", "task"),
        (b'{"task": "t", "evil": 1}', "api_bad_request", "evil"),
        (b'{"task": "t", "max_steps": 0}', "api_bad_request", "max_steps"),
        (b'{"task": "t", "source": "schedule"}', "api_bad_request", "source"),
        (b'{"task": "t", "context": {"a": 1}}', "api_bad_request", "context.a"),
        (b'{"task": "t"', "invalid_json", ""),
        (b'{"task": "t", "task": "u"}', "duplicate_key", ""),
        (b'["task"]', "not_an_object", ""),
        (b"", "api_bad_request", "JSON object"),
        (b'{"task": NaN}', "invalid_json", ""),
        (b"\xff\xfe", "invalid_utf8", ""),
        (b'{"a":' * 100 + b"1" + b"}" * 100, "json_too_deep", ""),
    ],
)
async def test_a_bad_body_is_400_naming_the_problem_and_starts_nothing(
    api: Served, data: bytes, name: str, words: str
) -> None:
    assert api.runs is not None
    status, body = await _call(
        api, "POST", "/v1/runs", data=data, headers={"Content-Type": "application/json"}
    )
    assert status == 400 and body["error"]["name"] == name, body
    assert words in body["error"]["message"]
    assert api.runs.requests == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (BridgeNotFound("no bridge 'b-9'; connected: none"), 409),
        (TooManyRuns("16 runs are going"), 429),
        (ModelKeyMissing("no API key for OpenAI; set OPENAI_API_KEY"), 503),
    ],
)
async def test_run_manager_errors_keep_their_code_and_get_a_status(
    api: Served, error: WebBridgeError, status: int
) -> None:
    assert api.runs is not None
    api.runs.fail_start = error
    got, body = await _call(api, "POST", "/v1/runs", json={"task": "t", "bridge_id": "b-9"})
    assert got == status and body["error"] == error.to_wire()


async def test_unknown_runs_are_404_and_bad_ids_400(api: Served) -> None:
    for method, path in (("GET", "/v1/runs/r-nope"), ("POST", "/v1/runs/r-nope/stop")):
        status, body = await _call(api, method, path, json={} if method == "POST" else None)
        assert status == 404 and body["error"]["name"] == "run_not_found", path
    status, body = await _call(api, "GET", "/v1/runs/" + "x" * 65)
    assert status == 400


async def test_stop_takes_no_fields(api: Served) -> None:
    assert api.runs is not None
    _, body = await _call(api, "POST", "/v1/runs", json={"task": "t"})
    status, err = await _call(api, "POST", f"/v1/runs/{body['run_id']}/stop", json={"force": True})
    assert status == 400 and "force" in err["error"]["message"] and api.runs.stops == []


async def test_without_a_run_manager_runs_are_503_and_status_says_so(tmp_path: Path) -> None:
    served = await serve(tmp_path, with_runs=False)
    try:
        status, body = await _call(served, "GET", "/v1/status")
        assert status == 200 and body["runs_available"] is False and body["pid"] > 0
        for method, path in (
            ("GET", "/v1/runs"),
            ("POST", "/v1/runs"),
            ("GET", "/v1/runs/r-1"),
            ("POST", "/v1/runs/r-1/stop"),
        ):
            status, body = await _call(served, method, path, json={"task": "t"})
            assert status == 503 and body["error"]["name"] == "runs_unavailable", path
            assert "run manager" in body["error"]["message"]
    finally:
        await served.server.aclose()


async def test_an_unexpected_failure_is_a_logged_500_without_details(
    api: Served, caplog: pytest.LogCaptureFixture
) -> None:
    assert api.runs is not None

    async def broken(limit: int = 50) -> Any:
        raise ZeroDivisionError("secret internals")

    api.runs.list_runs = broken  # type: ignore[method-assign]
    caplog.set_level(logging.ERROR, logger="webbridge.api")
    status, body = await _call(api, "GET", "/v1/runs")
    assert status == 500 and body["error"]["name"] == "internal"
    assert "secret internals" not in body["error"]["message"] and "ZeroDivisionError" in caplog.text


async def test_aclose_removes_the_port_file_and_is_idempotent(api: Served) -> None:
    port_file = api.state.settings.paths.api_port_file
    assert port_file.exists()
    await api.server.aclose()
    await api.server.aclose()
    assert not port_file.exists() and api.state.settings.paths.api_token.exists()
