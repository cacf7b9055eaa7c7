"""The real relay as a process: origin check, framing caps, EOF, stdout hygiene, daemon auto-start."""

from __future__ import annotations

import json
import resource
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from webbridge import meta

from ..conftest import WbEnv, make_wb

ORIGIN = meta.origin_of(meta.EXTENSION_ID)


def relay(wb: WbEnv, *argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "webbridge.relay", *argv],
        env=env or wb.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def frames_only(data: bytes) -> list[dict[str, object]]:
    """F15: everything on the relay's stdout must be whole frames of JSON objects, nothing else."""
    out, pos = [], 0
    while pos < len(data):
        assert len(data) - pos >= 4, f"stray bytes on stdout: {data[pos:]!r}"
        (size,) = struct.unpack("=I", data[pos : pos + 4])
        assert 0 < size <= 1_048_576
        body = data[pos + 4 : pos + 4 + size]
        assert len(body) == size, "truncated frame on stdout"
        out.append(json.loads(body))
        pos += 4 + size
    return out


@pytest.mark.parametrize(
    "argv",
    [
        (),
        ("chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/",),
        ("https://evil.test/",),
        ("chrome-extension://short/",),
        (ORIGIN.rstrip("/"),),
    ],
)
def test_c9_relay_refuses_other_origins(wb: WbEnv, argv: tuple[str, ...]) -> None:
    proc = relay(wb, *argv)
    out, err = proc.communicate(b"", timeout=20)
    assert proc.returncode == 3
    assert out == b""
    assert b"3010 origin_refused" in err
    assert wb.daemon_pid() is None, "a refused relay must not start the daemon"


def test_extra_extension_id_from_the_launcher_is_served(wb: WbEnv) -> None:
    other = "b" * 32
    env = {**wb.env, meta.ALLOWED_IDS_ENV: other}
    proc = relay(wb, meta.origin_of(other), env=env)
    out, _ = proc.communicate(b"", timeout=30)
    assert proc.returncode == 0 and out == b""


@pytest.fixture(scope="module")
def bad_header_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WbEnv]:
    """One running daemon for every bad-header case. Each case checks only its own relay (exit code,
    stdout, memory); the daemon is there so the relay gets as far as reading its stdin."""
    wb = make_wb(tmp_path_factory.mktemp("relay"))
    try:
        wb.run("daemon", "start")
        wb.wait_daemon()
        yield wb
    finally:
        wb.kill_daemon(signal.SIGTERM)
        wb.kill_daemon(signal.SIGKILL)


@pytest.mark.parametrize(
    ("stdin", "why"),
    [
        (b"\x05\x00", "F1: fewer than 4 header bytes then EOF"),
        (struct.pack("=I", 100) + b'{"v":1', "F2: body shorter than the header says"),
        (struct.pack("=I", 0), "F3: length 0"),
        (struct.pack("=I", 0xFFFFFFFF), "F4: length far above the cap"),
        (struct.pack(">I", 20) + b"x" * 20, "F5: big-endian length reads as ~335 MB"),
    ],
)
def test_bad_headers_end_the_relay_cleanly(bad_header_daemon: WbEnv, stdin: bytes, why: str) -> None:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = relay(bad_header_daemon, ORIGIN)
    out, _err = proc.communicate(stdin, timeout=20)
    assert proc.returncode == 0, why
    assert out == b"", f"{why}: nothing may reach stdout, got {out!r}"
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert after < max(before, 1) + 64_000, f"{why}: the relay allocated {after} KiB"


def test_relay_starts_the_daemon_once_for_concurrent_relays(wb: WbEnv) -> None:
    procs = [relay(wb, ORIGIN) for _ in range(3)]
    wb.wait_daemon()
    pid = json.loads(wb.run("daemon", "status", "--json").stdout)["pid"]
    for p in procs:
        out, _ = p.communicate(b"", timeout=30)
        assert p.returncode == 0
        assert out == b""
    status = wb.run("daemon", "status", "--json")
    assert json.loads(status.stdout)["pid"] == pid
    # Daemons that lost the race for the lock exit on their own; within a few seconds only one remains.
    deadline = time.monotonic() + 15
    while (others := _other_daemons(wb, pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert others == [], "a second daemon kept running for the same home"
    assert json.loads(wb.run("daemon", "status", "--json").stdout)["pid"] == pid


def _other_daemons(wb: WbEnv, pid: int) -> list[int]:
    ps = subprocess.run(["pgrep", "-f", "webbridge daemon run"], capture_output=True, text=True)
    home = wb.env["WEBBRIDGE_HOME"]
    return [int(x) for x in ps.stdout.split() if int(x) != pid and _env_of(int(x)) == home]


def _env_of(pid: int) -> str | None:
    try:
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    for item in env:
        if item.startswith(b"WEBBRIDGE_HOME="):
            return item.split(b"=", 1)[1].decode()
    return None


def test_relay_exits_when_the_daemon_goes_away(daemon: WbEnv) -> None:
    proc = relay(daemon, ORIGIN)
    proc.stdin.write(struct.pack("=I", 2) + b"{}")  # type: ignore[union-attr]
    proc.stdin.flush()  # type: ignore[union-attr]
    daemon.kill_daemon()
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    frames = frames_only(out)
    assert [f.get("kind") for f in frames] in ([], ["error"])
