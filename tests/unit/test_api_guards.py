"""The guards of the local API (L2-L6) against a real ApiServer on 127.0.0.1 port 0: every refusal is the
right status and error, carries no CORS header, reaches no handler (the run double sees nothing), and is
logged without the token."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from webbridge.meta import EXTENSION_ID

from ._api_support import Served, raw_request, serve

EXTENSION_ORIGIN = f"chrome-extension://{EXTENSION_ID}"
MULTIPART = b'--x\r\nContent-Disposition: form-data; name="task"\r\n\r\nt\r\n--x--\r\n'


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Served]:
    served = await serve(tmp_path)
    try:
        yield served
    finally:
        await served.server.aclose()


async def _call(
    api: Served, method: str, path: str, **kw: object
) -> tuple[int, dict[str, object], dict[str, str]]:
    async with api.session() as http, http.request(method, path, **kw) as resp:  # type: ignore[arg-type]
        body = await resp.json() if resp.content_type == "application/json" else {}
        return resp.status, body, dict(resp.headers)


def _no_cors(headers: dict[str, str]) -> None:
    assert not [h for h in headers if h.lower().startswith("access-control-")], headers


async def test_an_authenticated_local_request_is_served(api: Served) -> None:
    status, body, headers = await _call(api, "GET", "/v1/status", headers=api.auth())
    assert status == 200 and body["runs_available"] is True and body["bridges"] == []
    assert headers["Cache-Control"] == "no-store"
    _no_cors(headers)


@pytest.mark.parametrize("host", ["localhost", "[::1]", "LOCALHOST"])
async def test_every_loopback_name_of_the_port_is_accepted(api: Served, host: str) -> None:
    status, _, _ = await _call(api, "GET", "/v1/status", headers=api.auth(Host=f"{host}:{api.port}"))
    assert status == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.test:{port}",
        "evil.test",
        "127.0.0.1",
        "127.0.0.1:1",
        "localhost:{port}.evil.test",
        "192.168.0.1:{port}",
        "0.0.0.0:{port}",
    ],
)
async def test_a_foreign_host_header_is_refused_before_the_token_is_looked_at(api: Served, host: str) -> None:
    status, body, headers = await _call(
        api, "GET", "/v1/status", headers=api.auth(Host=host.format(port=api.port))
    )
    assert status == 403 and body["error"]["name"] == "api_forbidden"  # type: ignore[index]
    _no_cors(headers)


async def test_no_host_header_and_two_host_headers_are_refused(api: Served) -> None:
    auth = f"Authorization: Bearer {api.token}"
    status, _ = await raw_request(api.port, f"GET /v1/status HTTP/1.0\r\n{auth}\r\nConnection: close")
    assert status == 403
    status, _ = await raw_request(
        api.port,
        f"GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1:{api.port}\r\nHost: evil.test:{api.port}\r\n{auth}\r\n"
        "Connection: close",
    )
    assert status in (400, 403)  # the parser or the guard; never served


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.test",
        "http://localhost:3000",
        f"http://127.0.0.1:{0}",
        "null",
        "chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        f"{EXTENSION_ORIGIN}/",
        "file://",
    ],
)
async def test_a_web_or_null_origin_is_refused_even_with_the_token(api: Served, origin: str) -> None:
    status, body, headers = await _call(api, "GET", "/v1/runs", headers=api.auth(Origin=origin))
    assert status == 403 and body["error"]["code"] == 7182  # type: ignore[index]
    _no_cors(headers)


async def test_the_extensions_own_origin_is_served(api: Served) -> None:
    status, _, headers = await _call(api, "GET", "/v1/runs", headers=api.auth(Origin=EXTENSION_ORIGIN))
    assert status == 200
    _no_cors(headers)


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
async def test_a_browser_cross_site_fetch_without_origin_is_refused(api: Served, site: str) -> None:
    status, _, _ = await _call(api, "GET", "/v1/runs", headers=api.auth(**{"Sec-Fetch-Site": site}))
    assert status == 403
    status, _, _ = await _call(api, "GET", "/v1/runs", headers=api.auth(**{"Sec-Fetch-Site": "none"}))
    assert status == 200


async def test_a_cors_preflight_gets_no_cors_answer(api: Served) -> None:
    headers = {
        "Origin": "https://evil.test",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    status, _, got = await _call(api, "OPTIONS", "/v1/runs", headers=headers)
    assert status == 403
    _no_cors(got)


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer wrong", "Basic dXNlcjpwYXNz", "bearer{space}{token}x", "{token}"]
)
async def test_a_missing_or_wrong_token_is_401(api: Served, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header.format(token=api.token, space=" ")}
    status, body, got = await _call(api, "GET", "/v1/status", headers=headers)
    assert status == 401 and body["error"]["name"] == "api_unauthorized"  # type: ignore[index]
    assert got["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "query", ["token={token}", "access_token={token}", "api_key=x", "TOKEN=x", "q={token}"]
)
async def test_a_token_in_the_query_string_is_refused_and_not_served(
    api: Served, query: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert api.runs is not None
    caplog.set_level(logging.INFO, logger="webbridge")
    path = "/v1/runs?" + query.format(token=api.token)
    status, body, _ = await _call(api, "POST", path, headers=api.auth(), json={"task": "t"})
    assert status == 401 and "URL" in body["error"]["message"]  # type: ignore[index]
    assert api.runs.requests == []  # not served
    assert "refused POST /v1/runs " in caplog.text and api.token not in caplog.text


async def test_get_never_changes_state(api: Served) -> None:
    assert api.runs is not None
    status, body, _ = await _call(api, "POST", "/v1/runs", headers=api.auth(), json={"task": "t"})
    run_id = body["run_id"]
    status, body, _ = await _call(api, "GET", f"/v1/runs/{run_id}/stop", headers=api.auth())
    assert status == 405 and body["error"]["name"] == "api_method_not_allowed"  # type: ignore[index]
    assert api.runs.stops == [] and not api.runs.finished(str(run_id))
    for method in ("HEAD", "PUT", "DELETE", "PATCH"):
        status, _, _ = await _call(api, method, f"/v1/runs/{run_id}/stop", headers=api.auth())
        assert status == 405, method
    assert api.runs.stops == []


async def test_unknown_routes_are_404_but_only_after_the_token(api: Served) -> None:
    assert (await _call(api, "GET", "/v1/nope"))[0] == 401
    status, body, _ = await _call(api, "GET", "/v1/nope", headers=api.auth())
    assert status == 404 and body["error"]["name"] == "api_not_found"  # type: ignore[index]


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/x-www-form-urlencoded", b"task=buy+everything"),
        ("text/plain", b'{"task": "t"}'),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="task"\r\n\r\nt\r\n--x--\r\n',
        ),
        ("application/json-patch+json", b'{"task": "t"}'),
        (None, b'{"task": "t"}'),
    ],
)
async def test_form_posts_and_other_bodies_are_415_and_start_nothing(
    api: Served, content_type: str | None, data: bytes
) -> None:
    assert api.runs is not None
    headers = api.auth() if content_type is None else api.auth(**{"Content-Type": content_type})
    status, body, _ = await _call(api, "POST", "/v1/runs", headers=headers, data=data)
    assert status == 415 and body["error"]["code"] == 7184  # type: ignore[index]
    assert api.runs.requests == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_post_without_a_body_must_declare_json_too(api: Served, content_type: str | None) -> None:
    assert api.runs is not None
    _, body, _ = await _call(api, "POST", "/v1/runs", headers=api.auth(), json={"task": "t"})
    stop = f"/v1/runs/{body['run_id']}/stop"
    headers = api.auth() if content_type is None else api.auth(**{"Content-Type": content_type})
    status, _ = await raw_json_less(api, stop, headers)
    assert status == 415 and api.runs.stops == []


async def raw_json_less(api: Served, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return await raw_request(
        api.port,
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{api.port}\r\n{lines}"
        "Content-Length: 0\r\nConnection: close",
    )


async def test_bodies_over_the_cap_are_413_with_or_without_a_length(tmp_path: Path) -> None:
    served = await serve(tmp_path, max_body=1024)
    try:
        assert served.runs is not None
        big = b'{"task": "' + b"x" * 2000 + b'"}'
        status, body, _ = await _call(
            served, "POST", "/v1/runs", data=big, headers=served.auth(**{"Content-Type": "application/json"})
        )

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(0, len(big), 100):
                yield big[i : i + 100]

        assert status == 413 and body["error"]["name"] == "api_body_too_large"  # type: ignore[index]
        status, body, _ = await _call(
            served,
            "POST",
            "/v1/runs",
            data=chunks(),
            headers=served.auth(**{"Content-Type": "application/json"}),
        )
        assert status == 413 and body["error"]["name"] == "api_body_too_large"  # type: ignore[index]
        assert served.runs.requests == []
    finally:
        await served.server.aclose()


async def test_the_api_answers_nothing_on_other_addresses(api: Served) -> None:
    """The socket is bound to 127.0.0.1 alone (L1): the same port on ::1 is someone else's or nobody's."""
    assert api.server.url == f"http://127.0.0.1:{api.port}"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
            http.get(f"http://[::1]:{api.port}/v1/status", headers=api.auth()) as resp,
        ):
            assert resp.status != 200  # pragma: no cover - only if something else listens there
    except aiohttp.ClientConnectionError:
        pass
