"""The local API of the real daemon process against every L row of SECURITY-CATALOG.md (L1-L7), and runs
started, watched and stopped through it with the scripted model server standing in for the provider.

The daemon is started the way a user starts it (`webbridge daemon start`); requests are real HTTP and
WebSocket over loopback; the token is read from its file with the client-side check, as a script would.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from webbridge.api.auth import read_token
from webbridge.meta import EXTENSION_ID

from ..conftest import WbEnv, make_wb
from ._harness import DEADLINE, daemon_log, stop_daemon
from ._scripted import requests_seen, scripted_model, use_model, wait_until

NOBODY = 65534
as_root = pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0, reason="acting as another user needs root"
)


@dataclass
class Api:
    url: str
    port: int
    token: str

    def auth(self, **more: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **more}

    def session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(self.url, timeout=aiohttp.ClientTimeout(total=DEADLINE))

    async def call(self, method: str, path: str, **kw: Any) -> tuple[int, Any, dict[str, str]]:
        async with self.session() as http, http.request(method, path, **kw) as resp:
            body = await resp.json() if resp.content_type == "application/json" else await resp.text()
            return resp.status, body, dict(resp.headers)


def api_of(wb: WbEnv) -> Api:
    """Where the daemon's API listens (api.json) and its token (api.token, checked like a client does)."""
    info = json.loads(wb.paths.api_port_file.read_text())
    assert info["pid"] == wb.daemon_pid()
    return Api(info["url"], info["port"], read_token(wb.paths.api_token))


def listening(port: int) -> list[str]:
    """The local addresses (hex, as /proc/net/tcp{,6} has them) with a listening socket on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:
                found.append(address)
    return found


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One daemon's API for the module's tests that only send requests it must refuse, or reads: each
    still checks that nothing was started (``GET /v1/runs`` is empty), which no test on this daemon may
    do. Tests that read the daemon's log, stop it or start runs get a daemon of their own."""
    wb = make_wb(tmp_path_factory.mktemp("api"))
    try:
        wb.run("daemon", "start")
        wb.wait_daemon()
        yield api_of(wb)
    finally:
        wb.kill_daemon(signal.SIGTERM)
        wb.kill_daemon(signal.SIGKILL)


def _no_cors(headers: dict[str, str]) -> None:
    assert not [h for h in headers if h.lower().startswith("access-control-")], headers


# --- L1: loopback only --------------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the kernel's socket table")
async def test_l1_the_api_listens_on_127_0_0_1_alone(api: Api) -> None:
    assert api.url == f"http://127.0.0.1:{api.port}"
    assert listening(api.port) == ["0100007F"]  # 127.0.0.1, and nothing on 0.0.0.0 or ::
    status, body, _ = await api.call("GET", "/v1/status", headers=api.auth())
    assert status == 200 and body["runs_available"] is True


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_l1_a_wildcard_or_network_address_in_the_config_refuses_to_start(wb: WbEnv, host: str) -> None:
    wb.paths.config.mkdir(parents=True)
    (wb.paths.config / "config.toml").write_text(f'[daemon]\napi_host = "{host}"\n')
    proc = wb.run("daemon", "start", check=False, timeout=DEADLINE)
    assert proc.returncode != 0 and "api_host" in proc.stderr and "config.toml" in proc.stderr, proc.stderr
    assert wb.daemon_pid() is None and not wb.paths.api_port_file.exists()


@pytest.mark.skipif(not Path("/proc/net/tcp6").exists(), reason="reads the kernel's socket table")
async def test_l1_ipv6_loopback_when_asked(wb: WbEnv) -> None:
    wb.env["WEBBRIDGE_API_HOST"] = "::1"
    wb.run("daemon", "start")
    wb.wait_daemon()
    api = api_of(wb)
    assert api.url == f"http://[::1]:{api.port}"
    assert listening(api.port) == ["00000000000000000000000001000000"]  # ::1 only
    status, _, _ = await api.call("GET", "/v1/status", headers=api.auth(Host=f"[::1]:{api.port}"))
    assert status == 200


# --- L2: DNS rebinding ---------------------------------------------------------------------------------


async def test_l2_a_rebound_host_name_is_refused(daemon: WbEnv) -> None:
    api = api_of(daemon)
    for host in (
        f"evil.test:{api.port}",
        "evil.test",
        f"127.0.0.1:{api.port + 1}",
        f"localhost:{api.port}.evil.test",
    ):
        status, body, headers = await api.call("GET", "/v1/runs", headers=api.auth(Host=host))
        assert status == 403 and body["error"]["name"] == "api_forbidden", host
        _no_cors(headers)
    for host in (f"localhost:{api.port}", f"127.0.0.1:{api.port}"):
        assert (await api.call("GET", "/v1/runs", headers=api.auth(Host=host)))[0] == 200
    assert "refused GET /v1/runs from 127.0.0.1: 403" in daemon_log(daemon)


# --- L3: cross-site requests ----------------------------------------------------------------------------


FORMS = [
    ("application/x-www-form-urlencoded", b"task=Transfer+all+my+money"),
    ("text/plain", b'{"task": "Transfer all my money"}'),
    (
        "multipart/form-data; boundary=b",
        b'--b\r\nContent-Disposition: form-data; name="task"\r\n\r\nx\r\n--b--\r\n',
    ),
]


@pytest.mark.parametrize(("content_type", "data"), FORMS)
async def test_l3_a_cross_site_form_post_is_refused_and_starts_nothing(
    api: Api, content_type: str, data: bytes
) -> None:
    # What a web page can send without a preflight: a simple form post, with its Origin (no token: a page
    # cannot read the token file; with it, the Origin alone is refused).
    for auth in ({}, api.auth()):
        headers = {
            **auth,
            "Origin": "https://evil.test",
            "Content-Type": content_type,
            "Sec-Fetch-Site": "cross-site",
        }
        status, body, got = await api.call("POST", "/v1/runs", data=data, headers=headers)
        assert status == 403 and body["error"]["code"] == 7182
        _no_cors(got)
    # The same body from a local program that has the token but no JSON type: 415.
    status, body, _ = await api.call(
        "POST", "/v1/runs", data=data, headers=api.auth(**{"Content-Type": content_type})
    )
    assert status == 415 and body["error"]["name"] == "api_unsupported_media_type"
    assert (await api.call("GET", "/v1/runs", headers=api.auth()))[1] == {"runs": []}


@pytest.mark.parametrize(
    "origin", ["null", "https://evil.test", "http://localhost:3000", "chrome-extension://" + "a" * 32]
)
async def test_l3_no_origin_but_the_extensions_own_is_served(api: Api, origin: str) -> None:
    status, _, headers = await api.call("GET", "/v1/status", headers=api.auth(Origin=origin))
    assert status == 403
    _no_cors(headers)
    preflight = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    status, _, headers = await api.call("OPTIONS", "/v1/runs", headers=preflight)
    assert status == 403
    _no_cors(headers)
    ours = await api.call("GET", "/v1/status", headers=api.auth(Origin=f"chrome-extension://{EXTENSION_ID}"))
    assert ours[0] == 200
    _no_cors(ours[2])


# --- L4: WebSocket from a web origin ---------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["https://evil.test", "null", "http://127.0.0.1"])
async def test_l4_a_websocket_upgrade_from_a_web_origin_is_refused(api: Api, origin: str) -> None:
    async with api.session() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await http.ws_connect("/v1/events", headers=api.auth(Origin=origin))
        assert caught.value.status == 403
        async with http.ws_connect("/v1/events", headers=api.auth()) as ws:  # a local program: served
            assert not ws.closed


# --- L5: the token ------------------------------------------------------------------------------------


async def test_l5_missing_wrong_or_url_tokens_are_401_and_never_logged(daemon: WbEnv) -> None:
    api = api_of(daemon)
    for headers in (
        {},
        {"Authorization": "Bearer " + "x" * 43},
        {"Authorization": f"Basic {api.token}"},
        {"Authorization": api.token},
        {"Authorization": f"Bearer {api.token[:-1]}"},
    ):
        status, body, got = await api.call("GET", "/v1/status", headers=headers)
        assert status == 401 and body["error"]["name"] == "api_unauthorized", headers
        assert got["WWW-Authenticate"].startswith("Bearer")
    # A token in the query string is refused even alongside a valid header, and the request is not served.
    for query in ({"token": api.token}, {"access_token": api.token}, {"q": api.token}):
        status, body, _ = await api.call(
            "POST", "/v1/runs", params=query, json={"task": "x"}, headers=api.auth()
        )
        assert status == 401 and "URL" in body["error"]["message"]
    async with api.session() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await http.ws_connect("/v1/events", params={"token": api.token})
        assert caught.value.status == 401
    assert (await api.call("GET", "/v1/runs", headers=api.auth()))[1] == {"runs": []}
    text = daemon_log(daemon)
    assert "refused POST /v1/runs from 127.0.0.1: 401 credentials in the URL" in text
    assert api.token not in text and api.token[:-1] not in text


# --- L6: GET never changes state --------------------------------------------------------------------------


async def test_l6_get_on_a_state_changing_route_is_405_and_changes_nothing(wb: WbEnv, tmp_path: Path) -> None:
    with scripted_model(tmp_path, [{"reply": {"hang": True}}]) as url:
        use_model(wb, url)
        wb.run("daemon", "start")
        wb.wait_daemon()
        api = api_of(wb)
        status, body, _ = await api.call("POST", "/v1/runs", json={"task": "Wait"}, headers=api.auth())
        assert status == 201
        run_id = body["run_id"]
        for method in ("GET", "HEAD", "PUT", "DELETE"):
            status, _, _ = await api.call(method, f"/v1/runs/{run_id}/stop", headers=api.auth())
            assert status == 405, method
        status, _, _ = await api.call("DELETE", f"/v1/runs/{run_id}", headers=api.auth())
        assert status == 405
        status, detail, _ = await api.call("GET", f"/v1/runs/{run_id}", headers=api.auth())
        assert detail["summary"]["status"] == "running"
        await asyncio.to_thread(wait_until, lambda: requests_seen(url) == 1, what="the model call")
        status, body, _ = await api.call("POST", f"/v1/runs/{run_id}/stop", json={}, headers=api.auth())
        assert (status, body) == (200, {"run_id": run_id, "stopped": True})
        await asyncio.to_thread(stop_daemon, wb)


# --- L7: the token file --------------------------------------------------------------------------------


def test_l7_the_token_file_is_0600_in_a_0700_folder(daemon: WbEnv) -> None:
    token = daemon.paths.api_token
    assert stat.S_IMODE(os.lstat(token).st_mode) == 0o600
    assert stat.S_IMODE(os.lstat(token.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.lstat(daemon.paths.api_port_file).st_mode) == 0o600
    assert os.lstat(token).st_uid == os.getuid()


@as_root
def test_l7_another_user_cannot_read_the_token(daemon: WbEnv) -> None:
    token = daemon.paths.api_token
    other = subprocess.run(
        ["cat", str(token)],
        user=NOBODY,
        group=NOBODY,
        extra_groups=[],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert other.returncode != 0 and "Permission denied" in other.stderr and other.stdout == ""
    # The same user reads a file it is allowed to read: the refusal above is the permissions, not the setup.
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        control = Path(folder) / "public"
        control.write_text("readable\n")
        os.chmod(control, 0o644)
        ok = subprocess.run(
            ["cat", str(control)],
            user=NOBODY,
            group=NOBODY,
            extra_groups=[],
            capture_output=True,
            text=True,
            timeout=DEADLINE,
        )
        assert ok.stdout == "readable\n"


async def test_l7_an_unsafe_token_file_is_reported_and_replaced_at_restart(daemon: WbEnv) -> None:
    old = api_of(daemon)
    os.chmod(daemon.paths.api_token, 0o644)
    status = daemon.run("daemon", "status").stdout
    assert str(daemon.paths.api_token) in status and "readable or writable by others (mode 644" in status
    assert json.loads(daemon.run("daemon", "status", "--json").stdout)["api"]["token_problem"]
    stop_daemon(daemon)
    assert not daemon.paths.api_port_file.exists()
    daemon.run("daemon", "start")
    daemon.wait_daemon()
    new = api_of(daemon)  # read_token: the new file passes the client-side check
    assert new.token != old.token and stat.S_IMODE(os.lstat(daemon.paths.api_token).st_mode) == 0o600
    assert (await new.call("GET", "/v1/status", headers={"Authorization": f"Bearer {old.token}"}))[0] == 401
    assert (await new.call("GET", "/v1/status", headers=new.auth()))[0] == 200
    assert "replacing the API token" in daemon_log(daemon) and old.token not in daemon_log(daemon)


@as_root
async def test_l7_a_token_file_of_another_user_is_refused_and_replaced(daemon: WbEnv) -> None:
    old = api_of(daemon)
    os.chown(daemon.paths.api_token, NOBODY, NOBODY)
    status = daemon.run("daemon", "status").stdout
    assert f"belongs to another user (uid {NOBODY})" in status
    stop_daemon(daemon)
    daemon.run("daemon", "start")
    daemon.wait_daemon()
    new = api_of(daemon)
    assert new.token != old.token and os.lstat(daemon.paths.api_token).st_uid == os.getuid()


def test_a_safe_token_survives_a_restart_and_status_names_the_files(daemon: WbEnv) -> None:
    before = api_of(daemon)
    shown = daemon.run("daemon", "status").stdout
    assert f"local API: {before.url}" in shown
    assert str(daemon.paths.api_token) in shown and str(daemon.paths.api_port_file) in shown
    assert before.token not in shown
    stop_daemon(daemon)
    daemon.run("daemon", "start")
    daemon.wait_daemon()
    assert api_of(daemon).token == before.token


def test_the_api_can_be_turned_off(wb: WbEnv) -> None:
    wb.env["WEBBRIDGE_API_ENABLED"] = "false"
    wb.run("daemon", "start")
    wb.wait_daemon()
    assert not wb.paths.api_port_file.exists()
    assert "local API: not listening" in wb.run("daemon", "status").stdout


# --- body caps and runs end to end ----------------------------------------------------------------------


async def test_a_body_over_the_cap_is_413(api: Api) -> None:
    status, body, _ = await api.call(
        "POST",
        "/v1/runs",
        data=b'{"task": "' + b"x" * 300_000 + b'"}',
        headers=api.auth(**{"Content-Type": "application/json"}),
    )
    assert status == 413 and body["error"]["name"] == "api_body_too_large"


async def test_a_run_started_watched_and_read_through_the_api(wb: WbEnv, tmp_path: Path) -> None:
    steps = [
        {
            "expect": {"last_message_contains": "What is six times seven?"},
            "reply": {"tool_calls": [{"id": "c1", "name": "list_files", "arguments": {"path": "."}}]},
        },
        {"expect": {"last_tool_result_for": "c1"}, "reply": {"text": "42"}},
    ]
    with scripted_model(tmp_path, steps) as url:
        use_model(wb, url)
        wb.run("daemon", "start")
        wb.wait_daemon()
        api = api_of(wb)
        async with api.session() as http, http.ws_connect("/v1/events", headers=api.auth()) as live:
            status, body, _ = await api.call(
                "POST", "/v1/runs", json={"task": "What is six times seven?"}, headers=api.auth()
            )
            assert status == 201
            run_id = body["run_id"]
            async with http.ws_connect("/v1/events", params={"run": run_id}, headers=api.auth()) as one:
                events = []
                async with asyncio.timeout(DEADLINE):
                    async for msg in one:
                        events.append(json.loads(msg.data))
                assert one.close_code == 1000
            async with asyncio.timeout(DEADLINE):
                first = json.loads((await live.receive()).data)
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        assert events[0]["type"] == "run.started" and events[0]["source"] == "api"
        assert events[-1]["type"] == "run.finished" and events[-1]["outcome"] == "done"
        assert "tool.finished" in [e["type"] for e in events]
        assert (first["run_id"], first["type"]) == (run_id, "run.started")
        status, detail, _ = await api.call("GET", f"/v1/runs/{run_id}", headers=api.auth())
        assert detail["summary"]["status"] == "done" and detail["summary"]["message"] == "42"
        status, listed, _ = await api.call("GET", "/v1/runs", headers=api.auth())
        assert [(r["run_id"], r["source"]) for r in listed["runs"]] == [(run_id, "api")]
        status, body, _ = await api.call("POST", f"/v1/runs/{run_id}/stop", json={}, headers=api.auth())
        assert (status, body) == (200, {"run_id": run_id, "stopped": False})
        await asyncio.to_thread(stop_daemon, wb)


async def test_a_live_run_is_stopped_through_the_api(wb: WbEnv, tmp_path: Path) -> None:
    with scripted_model(tmp_path, [{"reply": {"hang": True}}]) as url:
        use_model(wb, url)
        wb.run("daemon", "start")
        wb.wait_daemon()
        api = api_of(wb)
        status, body, _ = await api.call(
            "POST", "/v1/runs", json={"task": "Think forever"}, headers=api.auth()
        )
        run_id = body["run_id"]
        async with (
            api.session() as http,
            http.ws_connect("/v1/events", params={"run": run_id}, headers=api.auth()) as ws,
        ):
            async with asyncio.timeout(DEADLINE):
                assert json.loads((await ws.receive()).data)["type"] == "run.started"
            await asyncio.to_thread(wait_until, lambda: requests_seen(url) == 1, what="the model call")
            status, body, _ = await api.call("POST", f"/v1/runs/{run_id}/stop", json={}, headers=api.auth())
            assert (status, body) == (200, {"run_id": run_id, "stopped": True})
            async with asyncio.timeout(DEADLINE):
                rest = [json.loads(msg.data) async for msg in ws]
            assert rest[-1]["type"] == "run.finished" and rest[-1]["outcome"] == "cancelled"
            assert ws.close_code == 1000, (rest, ws.exception(), daemon_log(wb)[-3000:])
        await asyncio.to_thread(stop_daemon, wb)


async def test_stopping_the_daemon_closes_event_sockets_going_away(daemon: WbEnv) -> None:
    api = api_of(daemon)
    async with api.session() as http, http.ws_connect("/v1/events", headers=api.auth()) as ws:
        async with asyncio.timeout(DEADLINE):  # reading while it stops: the client answers the close
            msg, _ = await asyncio.gather(ws.receive(), asyncio.to_thread(stop_daemon, daemon))
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == 1001
    assert not daemon.paths.api_port_file.exists()
