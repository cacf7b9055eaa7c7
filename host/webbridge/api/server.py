"""The local API's app factory and the server the daemon starts and stops with itself.

:func:`create_app` builds the aiohttp application (guards first, then the error translation, then the
routes). :class:`ApiServer` binds one loopback socket itself (so the port is known before the first request,
and the Host check is exact from the first byte), serves the app on it with the access log off (a URL may
hold a refused token), and writes ``api.json`` (where it listens) next to ``api.token``, both 0600 in the
0700 runtime folder. ``aclose`` closes the event sockets with 1001, stops serving and removes ``api.json``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from typing import Any

from aiohttp import web

from .. import relay
from ..config import Settings
from ..errors import InternalError, WebBridgeError
from ..paths import ensure_private_dir
from .auth import ensure_token, write_private
from .context import CONTEXT, MAX_BODY, ApiContext, ApiState
from .events import close_all, events_socket
from .guards import Handler, guard
from .loopback import loopback_host, port_number
from .replies import error_reply
from .routes import add_routes

log = logging.getLogger("webbridge.api.server")

#: How long stopping waits for requests in flight (a ``stop`` waits for its run to end) before cancelling.
SHUTDOWN_TIMEOUT = 5.0


@web.middleware
async def translate_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """WebBridge errors become JSON error replies with their status; anything else is a logged 500."""
    try:
        return await handler(request)
    except WebBridgeError as exc:
        return error_reply(exc)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("the local API failed on %s %s", request.method, request.path[:200])
        return error_reply(InternalError("the daemon failed on this request; its log has the details"))


def extension_origins(env: dict[str, str] | None = None) -> frozenset[str]:
    """The origins of the extensions this daemon serves (the relay's list), as browsers send them."""
    ids = relay.allowed_ids(dict(os.environ) if env is None else env)
    return frozenset(f"chrome-extension://{ext_id}" for ext_id in ids)


def create_app(ctx: ApiContext) -> web.Application:
    """The application for ``ctx``. Every request passes :func:`.guards.guard` before routing reaches a
    handler; bodies are capped at ``ctx.max_body``."""
    app = web.Application(middlewares=[guard, translate_errors], client_max_size=ctx.max_body)
    app[CONTEXT] = ctx
    add_routes(app)
    app.router.add_get("/v1/events", events_socket, allow_head=False)

    async def on_shutdown(_app: web.Application) -> None:
        close_all(ctx)

    app.on_shutdown.append(on_shutdown)
    return app


def bind_loopback(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host`` (re-checked: 127.0.0.1 or ::1 only) and ``port``, not yet listening.
    Raises :class:`~webbridge.errors.ConfigError` for any other host and ``OSError`` when the port is
    taken; nothing is left open on failure."""
    host = loopback_host(host)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        if os.name == "posix":  # a quick restart must not wait out TIME_WAIT; never SO_REUSEPORT
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class ApiServer:
    """The daemon's local API. ``start()`` then ``aclose()``; ``aclose()`` may be called twice."""

    def __init__(self, state: ApiState, settings: Settings, *, max_body: int = MAX_BODY) -> None:
        self.state = state
        self.settings = settings
        self.max_body = max_body
        self.ctx: ApiContext | None = None
        self.url: str | None = None
        #: Why the API is not serving (the port was taken), for the log and status; None when it serves.
        self.problem: str | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Bind, write the token and port files, serve.

        Raises :class:`~webbridge.errors.ConfigError` (naming ``api_host``/``api_port``) for a host that is
        not loopback, whatever built the settings; the daemon must not start then. A port that cannot be
        bound is logged and kept in :attr:`problem`: the daemon serves its browsers without the API.
        Cancellation leaves nothing bound.
        """
        paths = self.settings.paths
        host = loopback_host(self.settings.api_host)
        port = port_number(self.settings.api_port)
        ensure_private_dir(paths.runtime)
        try:
            sock = bind_loopback(host, port)
        except OSError as exc:
            self.problem = f"the local API cannot listen on {host} port {port}: {exc.strerror or exc}"
            log.error("%s; set api_port (0 lets the OS pick) or api_enabled = false", self.problem)
            return
        try:
            bound = sock.getsockname()[1]
            ctx = ApiContext(
                self.state,
                ensure_token(paths.api_token),
                extension_origins=extension_origins(),
                max_body=self.max_body,
                port=bound,
            )
            runner = web.AppRunner(
                create_app(ctx), access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT
            )
            await runner.setup()
        except BaseException:
            sock.close()
            raise
        try:
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner, self.ctx = runner, ctx
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{bound}"
        write_private(paths.api_port_file, json.dumps(self.info()) + "\n")
        log.info("local API on %s (token in %s)", self.url, paths.api_token)

    def info(self) -> dict[str, Any]:
        """What ``api.json`` holds: where the API listens and where its token is."""
        paths = self.settings.paths
        port = self.ctx.port if self.ctx is not None else None
        return {"url": self.url, "port": port, "pid": os.getpid(), "token_file": str(paths.api_token)}

    async def aclose(self) -> None:
        """Close the event sockets (1001), stop listening, wait up to ``SHUTDOWN_TIMEOUT`` for requests in
        flight, remove ``api.json``. The token file stays (a restarted daemon reuses a safe one)."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        try:
            await runner.cleanup()
        finally:
            try:
                self.settings.paths.api_port_file.unlink()
            except FileNotFoundError:
                pass


__all__ = ["ApiServer", "bind_loopback", "create_app", "extension_origins"]
