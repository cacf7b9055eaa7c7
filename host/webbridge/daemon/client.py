"""A small synchronous client of the daemon's control protocol, for the CLI and doctor (stdlib only)."""

from __future__ import annotations

import itertools
import json
import socket
import time
from typing import Any

from .. import localsock
from ..errors import BY_CODE, DaemonUnavailable, RemoteError, WebBridgeError
from ..paths import Paths
from .lock import AlreadyRunning, InstanceLock

MAX_REPLY = 16_777_216


def reply_result(reply: dict[str, Any]) -> Any:
    """The ``result`` of a control reply. Raises the daemon's typed error (by its code) when ``ok`` is
    false, or a plain :class:`WebBridgeError` when the code is unknown or only says "remote"."""
    if reply.get("ok"):
        return reply.get("result")
    error = reply.get("error") or {}
    cls = BY_CODE.get(error.get("code", 5003))
    message = str(error.get("message", "error"))
    if cls is not None and cls is not RemoteError:
        raise cls(message)
    raise WebBridgeError(message)


class ControlClient:
    """One control connection. Use as a context manager; :meth:`call` raises the daemon's typed error."""

    def __init__(self, sock: socket.socket, token: str | None) -> None:
        self._sock = sock
        self._reader = sock.makefile("rb")
        self._ids = itertools.count(1)
        preamble: dict[str, Any] = {"v": 1, "control": {"token": token} if token else {}}
        localsock.write_frame(sock, json.dumps(preamble).encode())

    @classmethod
    def connect(cls, paths: Paths, *, start: bool = False) -> ControlClient:
        """Connect, optionally starting the daemon. Raises :class:`DaemonUnavailable`."""
        try:
            sock, token = localsock.connect_or_start(paths) if start else localsock.connect(paths)
        except localsock.Unavailable as exc:
            raise DaemonUnavailable(
                f"{exc}. Start it with `webbridge daemon start` (or run `webbridge doctor`)"
            ) from exc
        return cls(sock, token)

    def call(self, op: str, deadline: float | None = 60.0, **args: Any) -> Any:
        req_id = next(self._ids)
        self._sock.settimeout(deadline)
        try:
            localsock.write_frame(
                self._sock, json.dumps({"v": 1, "id": req_id, "op": op, "args": args}).encode()
            )
            payload = localsock.read_frame(self._reader, MAX_REPLY)
        except (OSError, localsock.FrameError) as exc:
            raise DaemonUnavailable(f"the daemon stopped answering: {exc}") from exc
        if payload is None:
            raise DaemonUnavailable("the daemon closed the control connection")
        return reply_result(json.loads(payload))

    def close(self) -> None:
        self._reader.close()
        self._sock.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def probe(paths: Paths) -> dict[str, Any]:
    """The running daemon's status. Raises :class:`DaemonUnavailable`."""
    with ControlClient.connect(paths) as client:
        result: dict[str, Any] = client.call("status", deadline=5.0)
        return result


def start(paths: Paths, timeout: float = localsock.START_TIMEOUT) -> dict[str, Any]:
    """Start the daemon if it is not running and return its status. Raises :class:`DaemonUnavailable`."""
    with ControlClient.connect(paths, start=True) as client:
        result: dict[str, Any] = client.call("status", deadline=timeout)
        return result


def stop(paths: Paths, timeout: float = 10.0) -> bool:
    """Ask the daemon to stop and wait until it is gone: it releases its instance lock last, after removing
    its socket and pid file, so `stop` then `start` never meets the old daemon. False if none was running."""
    try:
        with ControlClient.connect(paths) as client:
            client.call("shutdown", deadline=5.0)
    except DaemonUnavailable:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _lock_free(paths):
            return True
        time.sleep(0.02)  # no cross-process event for "daemon gone"; poll briefly
    raise DaemonUnavailable("the daemon did not stop in time; see its log")


def _lock_free(paths: Paths) -> bool:
    lock = InstanceLock(paths.lock)
    try:
        lock.acquire()
    except AlreadyRunning:
        return False
    lock.release()
    return True
