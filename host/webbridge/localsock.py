"""Reaching the daemon's local socket, and starting the daemon when none runs (standard library only).

Shared by the relay (which must start fast and import nothing heavy) and the CLI. The socket is a Unix
socket in a 0700 folder on Linux and macOS; on Windows it is loopback TCP on a random port, written with a
token to ``daemon.port`` (see ``docs/PROTOCOL.md`` §7).
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import BinaryIO

from .paths import Paths

HEADER = struct.Struct("=I")
#: The daemon must be listening this soon after we start it.
START_TIMEOUT = 15.0


class Unavailable(OSError):
    """The daemon's socket does not answer."""


def _read_port_file(paths: Paths) -> tuple[int, str]:
    try:
        data = json.loads(paths.port_file.read_text(encoding="utf-8"))
        return int(data["port"]), str(data["token"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Unavailable(f"no daemon port file at {paths.port_file}") from exc


def connect(paths: Paths, timeout: float = 2.0) -> tuple[socket.socket, str | None]:
    """Connect to a running daemon. Returns the socket and, on Windows, the token to present.

    Raises :class:`Unavailable` when nothing listens.
    """
    try:
        if sys.platform == "win32":
            port, token = _read_port_file(paths)
            sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            sock.settimeout(None)
            return sock, token
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(str(paths.socket))
            sock.settimeout(None)
        except OSError:
            sock.close()
            raise
        return sock, None
    except Unavailable:
        raise
    except OSError as exc:
        raise Unavailable(f"daemon not reachable at {paths.socket}: {exc.strerror or exc}") from exc


def spawn_daemon(paths: Paths, python: str | None = None) -> None:
    """Start ``webbridge daemon run`` detached in its own session so it outlives us and the browser.

    Its stdin/stdout/stderr never inherit ours: the relay's stdout is the native-messaging wire.
    The daemon itself takes a lock, so two callers racing here still give one daemon.
    """
    cmd = [python or sys.executable, "-m", "webbridge", "daemon", "run"]
    kwargs: dict[str, object] = {
        "stdin": subprocess.DEVNULL,
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
        "close_fds": True,
        "cwd": str(Path.home()) if Path.home().exists() else None,
    }
    if sys.platform == "win32":
        flags = 0x00000008 | 0x00000200 | 0x08000000  # DETACHED_PROCESS | NEW_PROCESS_GROUP | NO_WINDOW
        kwargs["creationflags"] = flags
    else:
        kwargs["start_new_session"] = True
    subprocess.Popen(cmd, **kwargs)  # type: ignore[call-overload]


def connect_or_start(paths: Paths, timeout: float = START_TIMEOUT) -> tuple[socket.socket, str | None]:
    """Connect to the daemon, starting it first when none answers. Raises :class:`Unavailable`."""
    try:
        return connect(paths)
    except Unavailable:
        pass
    spawn_daemon(paths)
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            return connect(paths)
        except Unavailable:
            if time.monotonic() > deadline:
                raise
        time.sleep(delay)  # polling a socket path: there is no event to wait on across processes
        delay = min(delay * 1.5, 0.05)


def write_frame(out: BinaryIO | socket.socket, payload: bytes) -> None:
    data = HEADER.pack(len(payload)) + payload
    if isinstance(out, socket.socket):
        out.sendall(data)
    else:
        out.write(data)
        out.flush()


def read_exact(stream: BinaryIO, n: int) -> bytes:
    """Read exactly ``n`` bytes; fewer means EOF came first."""
    chunks: list[bytes] = []
    remaining = n
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class FrameError(Exception):
    """A frame header or body is unusable; ``code``/``name`` follow docs/PROTOCOL.md §8."""

    def __init__(self, code: int, name: str, message: str) -> None:
        super().__init__(message)
        self.code, self.name = code, name


def frame_size(header: bytes, max_size: int) -> int:
    """The body length a 4-byte header announces. Raises :class:`FrameError` for a partial header, a length
    of 0 or one over ``max_size`` (so nothing is read or allocated for such a frame)."""
    if len(header) < 4:
        raise FrameError(1001, "frame_truncated", f"EOF after {len(header)} header bytes")
    (size,) = HEADER.unpack(header)
    if size == 0:
        raise FrameError(1002, "frame_empty", "frame of length 0")
    if size > max_size:
        raise FrameError(1003, "frame_too_large", f"frame of {size} bytes is over the {max_size} cap")
    return int(size)


def read_frame(stream: BinaryIO, max_size: int) -> bytes | None:
    """Read one frame. ``None`` on EOF before a header; :class:`FrameError` on a bad or partial frame.

    The size is checked on the header, before the body is read or allocated.
    """
    header = read_exact(stream, 4)
    if not header:
        return None
    size = frame_size(header, max_size)
    body = read_exact(stream, size)
    if len(body) < size:
        raise FrameError(1001, "frame_truncated", f"EOF after {len(body)} of {size} body bytes")
    return body


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)
        if handle:
            ctypes.windll.kernel32.CloseHandle(handle)
            return True
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
