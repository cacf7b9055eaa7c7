"""``webbridge-host``: the relay the browser launches through native messaging.

It moves frames between its stdin/stdout (the browser) and the daemon's local socket, starting the daemon
when none runs. It holds no keys and understands no message: everything it forwards is authenticated end to
end between the extension and the daemon. It does check three things, failing closed:

- the caller's origin in ``argv[1]`` must be our extension (or one the launcher names), else it exits (C9);
- every frame's length is checked on the header before the body is read (browser→host cap 32 MiB, and
  host→browser 1 MiB, above which Chrome would close the port);
- stdout carries frames and nothing else; logs go to stderr.

Standard library only, so it starts in well under 100 ms. It exits when stdin reaches EOF (the browser closed
the port) or when the daemon closes the socket (the extension reconnects and a fresh relay starts).
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import sys
import threading
from collections.abc import Callable
from typing import BinaryIO

from . import localsock, meta, paths

MAX_UP_FRAME = 33_554_432
MAX_DOWN_FRAME = 1_048_576

log = logging.getLogger("webbridge.relay")

_ORIGIN = re.compile(r"chrome-extension://([a-p]{32})/\Z")


def allowed_ids(env: dict[str, str] | os._Environ[str]) -> set[str]:
    ids = {meta.EXTENSION_ID}
    for part in env.get(meta.ALLOWED_IDS_ENV, "").split(","):
        part = part.strip()
        if meta.is_extension_id(part):
            ids.add(part)
    return ids


def check_origin(argv: list[str], env: dict[str, str] | os._Environ[str]) -> str:
    """Return the caller's origin if it is one we serve; raise ``ValueError`` otherwise."""
    origin = next((a for a in argv[1:] if a.startswith("chrome-extension://")), None)
    if origin is None:
        raise ValueError("no caller origin in argv: the relay is meant to be started by the browser")
    match = _ORIGIN.match(origin)
    if not match or match.group(1) not in allowed_ids(env):
        raise ValueError(f"origin {origin!r} is not an extension this host serves")
    return origin


def _binary_stdio() -> tuple[BinaryIO, BinaryIO]:
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import msvcrt

        msvcrt.setmode(sys.stdin.fileno(), os.O_BINARY)
        msvcrt.setmode(sys.stdout.fileno(), os.O_BINARY)
    return sys.stdin.buffer, sys.stdout.buffer


def _browser_to_daemon(stdin: BinaryIO, sock: socket.socket) -> None:
    try:
        while True:
            frame = localsock.read_frame(stdin, MAX_UP_FRAME)
            if frame is None:
                log.debug("stdin closed: the browser disconnected")
                return
            localsock.write_frame(sock, frame)
    except localsock.FrameError as exc:
        log.error("refusing browser frame: [%s %s] %s", exc.code, exc.name, exc)
    except OSError as exc:
        log.info("daemon socket closed while forwarding: %s", exc)


def _daemon_to_browser(sock: socket.socket, stdout: BinaryIO) -> None:
    reader = sock.makefile("rb")
    try:
        while True:
            frame = localsock.read_frame(reader, MAX_DOWN_FRAME)
            if frame is None:
                log.info("the daemon closed the connection")
                return
            localsock.write_frame(stdout, frame)
    except localsock.FrameError as exc:
        log.error("refusing daemon frame: [%s %s] %s", exc.code, exc.name, exc)
    except OSError as exc:
        log.info("forwarding to the browser stopped: %s", exc)
    finally:
        reader.close()


def run(argv: list[str], stdin: BinaryIO, stdout: BinaryIO) -> int:
    try:
        origin = check_origin(argv, os.environ)
    except ValueError as exc:
        log.error("[3010 origin_refused] %s", exc)
        return 3
    where = paths.resolve()
    try:
        sock, token = localsock.connect_or_start(where)
    except localsock.Unavailable as exc:
        log.error("[5002 daemon_unavailable] %s; see `webbridge doctor`", exc)
        return 4
    preamble = {"v": 1, "relay": {"origin": origin, "pid": os.getpid()}}
    if token is not None:
        preamble["relay"]["token"] = token  # type: ignore[index]
    localsock.write_frame(sock, json.dumps(preamble).encode())

    done = threading.Event()

    def until_done(pump: Callable[[], None]) -> Callable[[], None]:
        # Whichever direction ends first ends the relay: the browser reconnects and a new relay starts.
        def run_pump() -> None:
            try:
                pump()
            finally:
                done.set()

        return run_pump

    for name, pump in (
        ("up", lambda: _browser_to_daemon(stdin, sock)),
        ("down", lambda: _daemon_to_browser(sock, stdout)),
    ):
        threading.Thread(target=until_done(pump), name=name, daemon=True).start()
    done.wait()
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=os.environ.get("WEBBRIDGE_RELAY_LOG", "WARNING").upper(),
        stream=sys.stderr,
        format="webbridge-host %(levelname)s %(message)s",
    )
    stdin, stdout = _binary_stdio()
    code = run(sys.argv if argv is None else argv, stdin, stdout)
    # Daemon threads may still block on a read; leave without waiting for them.
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
