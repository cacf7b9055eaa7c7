"""Helpers shared by the benchmarks: statistics, /proc readings, framed pipes, machine notes, cleanup."""

from __future__ import annotations

import json
import math
import os
import platform
import select
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HEADER = struct.Struct("=I")


# --- statistics -----------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("no samples")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary(values: Sequence[float], digits: int = 3) -> dict[str, float]:
    """n, median (p50), p95, p99, min, max and mean of ``values``, rounded."""
    values = [float(v) for v in values]
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), digits),
        "p95": round(percentile(values, 95), digits),
        "p99": round(percentile(values, 99), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "mean": round(sum(values) / len(values), digits),
    }


# --- /proc ----------------------------------------------------------------------------------------------


def proc_status_kb(pid: int, field: str = "VmRSS") -> int | None:
    """A ``kB`` field of ``/proc/PID/status`` (``VmRSS``, ``VmHWM``), or ``None`` when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def proc_cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def proc_env(pid: int, name: str) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    prefix = name.encode() + b"="
    for item in raw.split(b"\0"):
        if item.startswith(prefix):
            return item[len(prefix) :].decode(errors="replace")
    return None


def proc_state(pid: int) -> str | None:
    """The one-letter state from ``/proc/PID/stat`` (``Z`` for a zombie), or ``None`` when gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def pids_with_env(name: str, value: str) -> list[int]:
    """Live (non-zombie) processes whose environment has ``name=value``: what a run of ours started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if pid == os.getpid():
            continue
        if proc_env(pid, name) == value and proc_state(pid) not in (None, "Z"):
            found.append(pid)
    return sorted(found)


def kill_pids(pids: Iterable[int], timeout: float = 5.0) -> list[int]:
    """SIGTERM, then SIGKILL what is still alive after ``timeout``. Returns the pids that needed SIGKILL."""
    pids = list(pids)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if proc_state(p) not in (None, "Z")]
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return alive


# --- framed pipes ---------------------------------------------------------------------------------------


def frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload)) + payload


def read_frame_fd(fd: int, timeout: float) -> bytes:
    """Read one frame from a raw file descriptor within ``timeout`` seconds.

    Raises ``TimeoutError`` or ``EOFError``. Reads only as many bytes as the frame holds.
    """
    deadline = time.monotonic() + timeout
    buf = bytearray()

    def fill(n: int) -> None:
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no complete frame within {timeout} s")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                raise EOFError(f"EOF after {len(buf)} bytes")
            buf.extend(chunk)

    fill(4)
    (size,) = HEADER.unpack(bytes(buf[:4]))
    fill(4 + size)
    return bytes(buf[4:])


# --- machine notes ---------------------------------------------------------------------------------------


def _first_match(path: str, key: str) -> str | None:
    """The value of the first line of ``path`` starting with ``key`` (``key: value`` or ``KEY="value"``)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(key):
            sep = "=" if key.endswith("=") else ":"
            return line.split(sep, 1)[1].strip().strip('"')
    return None


def machine_notes() -> dict[str, Any]:
    def version(dist: str) -> str | None:
        try:
            from importlib.metadata import version as v

            return v(dist)
        except Exception:
            return None

    try:
        chromium = subprocess.run(
            ["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=20
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        chromium = None
    mem = _first_match("/proc/meminfo", "MemTotal")
    return {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "os": _first_match("/etc/os-release", "PRETTY_NAME="),
        "kernel": platform.release(),
        "cpu": _first_match("/proc/cpuinfo", "model name"),
        "cpus": os.cpu_count(),
        "mem_total": mem,
        "loadavg_at_start": list(os.getloadavg()),
        "python": sys.version.split()[0],
        "chromium": chromium,
        "playwright": version("playwright"),
        "webbridge": version("webbridge"),
    }


def write_results(path: str | Path, result: dict[str, Any]) -> Path:
    """Write ``result`` as indented JSON to ``path`` (creating its folder); the path written. Raises
    ValueError for a NaN or infinity (nothing written) and OSError when the file cannot be written."""
    out = Path(path)
    text = json.dumps(finite(result), indent=2) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


def finite(obj: Any) -> Any:
    """JSON has no NaN/Infinity: refuse to write them into a results file."""
    if isinstance(obj, float) and not math.isfinite(obj):
        raise ValueError("non-finite number in the results")
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [finite(v) for v in obj]
    return obj
