"""``webbridge-host``: the relay the browser launches through native messaging.

It moves frames between its stdin/stdout (the browser) and the daemon's local socket, starting the daemon
when none runs. It holds no keys and understands no message: everything it forwards is authenticated end to
end between the extension and the daemon. It does check three things, failing closed:

- the caller's origin in ``argv[1]`` must be our extension (or one the launcher names), else it exits (C9);
- every frame's length is checked on the header before the body is read (browser→host cap 32 MiB, and
  host→browser 1 MiB, above which Chrome would close the port);
- stdout carries frames and nothing else; logs go to stderr.

Browser → daemon bodies are streamed: after the header check, the body goes to the socket in pieces of at
most :data:`UP_PIECE` bytes as it arrives, so the daemon receives while the browser is still writing and the
relay never holds a whole frame (an 8 MB upload used to leave 2–3 copies behind in the heap). A body cut short
by EOF thus reaches the daemon as a truncated frame, which the daemon discards (1001) without acting on any of
it. Daemon → browser frames are read whole into one reused buffer and written only once complete, so a frame
over 1 MiB or a truncated one never puts a byte on stdout.

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
from typing import BinaryIO, cast

from . import localsock, meta, paths

MAX_UP_FRAME = 33_554_432
MAX_DOWN_FRAME = 1_048_576
#: Browser → daemon frames are forwarded in pieces of at most this many bytes (the first holds the header).
UP_PIECE = 256 * 1024
#: The daemon → browser buffer starts this small (most frames are) and grows once to 4 + MAX_DOWN_FRAME.
DOWN_INITIAL = 64 * 1024

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


def _fill(stream: BinaryIO, view: memoryview) -> int:
    """Read into all of ``view``; returns the bytes read, fewer than its length only when EOF came first."""
    readinto = cast("Callable[[memoryview], int | None]", stream.readinto)  # type: ignore[attr-defined]
    got, want = 0, len(view)
    while got < want:
        n = readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _browser_to_daemon(stdin: BinaryIO, sock: socket.socket) -> bool:
    """Forward browser frames until stdin's EOF or a refused frame (``True``: the relay ends) or until the
    daemon's socket closes (``False``: the down direction still delivers what the daemon sent first)."""
    # One reused buffer: the header and the start of the body go out in the first piece, so a small frame
    # is a single send, and a large one never sits whole in memory.
    buf = memoryview(bytearray(UP_PIECE))
    try:
        while True:
            header = localsock.read_exact(stdin, 4)
            if not header:
                log.debug("stdin closed: the browser disconnected")
                return True
            size = localsock.frame_size(header, MAX_UP_FRAME)  # before anything is read or sent
            buf[:4] = header
            start, sent = 4, 0
            while sent < size:
                end = min(UP_PIECE, start + size - sent)
                got = _fill(stdin, buf[start:end])
                if got < end - start:
                    # What went out already reaches the daemon as a truncated frame, which it discards.
                    raise localsock.FrameError(
                        1001, "frame_truncated", f"EOF after {sent + got} of {size} body bytes"
                    )
                sock.sendall(buf[:end])
                sent += end - start
                start = 0
    except localsock.FrameError as exc:
        log.error("refusing browser frame: [%s %s] %s", exc.code, exc.name, exc)
        return True
    except OSError as exc:
        log.info("daemon socket closed while forwarding: %s", exc)
        return False


def _daemon_to_browser(sock: socket.socket, stdout: BinaryIO) -> None:
    reader = sock.makefile("rb")
    # Header and body are assembled in one buffer (grown once, to at most 4 + MAX_DOWN_FRAME) and written
    # with one write, only once the whole frame is there.
    buf = memoryview(bytearray(DOWN_INITIAL))
    try:
        while True:
            header = localsock.read_exact(reader, 4)
            if not header:
                log.info("the daemon closed the connection")
                return
            size = localsock.frame_size(header, MAX_DOWN_FRAME)  # before a byte of it reaches stdout
            if 4 + size > len(buf):
                buf = memoryview(bytearray(4 + MAX_DOWN_FRAME))
            got = _fill(reader, buf[4 : 4 + size])
            if got < size:
                raise localsock.FrameError(1001, "frame_truncated", f"EOF after {got} of {size} body bytes")
            buf[:4] = header
            stdout.write(buf[: 4 + size])
            stdout.flush()
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

    def until_done(pump: Callable[[], bool]) -> Callable[[], None]:
        # Whichever direction ends first ends the relay (the browser reconnects and a new relay starts),
        # except an up direction that found the socket closed: the down direction still has to deliver
        # what the daemon sent before closing, and ends at its EOF.
        def run_pump() -> None:
            end = True
            try:
                end = pump()
            finally:
                if end:
                    done.set()

        return run_pump

    def down() -> bool:
        _daemon_to_browser(sock, stdout)
        return True

    for name, pump in (("up", lambda: _browser_to_daemon(stdin, sock)), ("down", down)):
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
