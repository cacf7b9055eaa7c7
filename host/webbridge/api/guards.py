"""The middleware every request passes before any handler: loopback Host, no web origin, the token, JSON.

In this order, each failing closed, each refusal logged (method, path without the query, peer, reason;
never a header value that could hold the token):

1. ``Host`` must be ``127.0.0.1:PORT``, ``localhost:PORT`` or ``[::1]:PORT``, exactly one of them (L2).
2. ``Origin``, when present, must be the WebBridge extension's own; ``null`` (sandboxed frames, ``file:``
   and ``data:`` pages) and every web origin are refused, WebSocket upgrades included (L3, L4).
   ``Sec-Fetch-Site`` other than ``none``/``same-origin`` is refused too: a browser sends it on requests
   that carry no Origin (a no-cors GET from a page).
3. No credentials in the URL: a query parameter named like one, or whose value is the token, is refused
   with 401 and the request is not served (L5). The access log is off so the URL is never written anyway.
4. ``Authorization: Bearer TOKEN``, compared in constant time (L5).
5. Unknown route 404; known route, wrong method 405 (a GET never changes state, L6).
6. Every POST must say ``Content-Type: application/json``, an empty one too (415: form posts, text/plain
   and multipart never reach a handler, L3), and its body be at most ``max_body`` bytes (413).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..errors import (
    ApiBodyTooLarge,
    ApiError,
    ApiForbidden,
    ApiMethodNotAllowed,
    ApiNotFound,
    ApiUnauthorized,
    ApiUnsupportedMediaType,
)
from .auth import bearer, token_matches
from .context import CONTEXT, ApiContext
from .loopback import host_allowed
from .replies import error_reply

log = logging.getLogger("webbridge.api.guards")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Query parameter names that look like credentials (compared lower case).
CREDENTIAL_PARAMS = frozenset(
    {"token", "access_token", "auth", "authorization", "bearer", "api_key", "apikey", "key", "secret"}
)
_SAFE_FETCH_SITES = frozenset({"none", "same-origin"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def check(request: web.Request, ctx: ApiContext) -> None:
    """Raise the :class:`ApiError` that refuses ``request``, or return when it may be served."""
    hosts = request.headers.getall("Host", [])
    if len(hosts) != 1 or not host_allowed(hosts[0], ctx.port):
        raise ApiForbidden("the Host header does not name this loopback API (DNS rebinding is refused)")
    origins = request.headers.getall("Origin", [])
    if len(origins) > 1 or (origins and origins[0] not in ctx.extension_origins):
        raise ApiForbidden("requests from web pages are refused: this API serves local programs only")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if not origins and fetch_site is not None and fetch_site.lower() not in _SAFE_FETCH_SITES:
        raise ApiForbidden("cross-site requests from a browser are refused")
    for name, value in request.query.items():
        if name.lower() in CREDENTIAL_PARAMS or token_matches(value, ctx.token):
            raise ApiUnauthorized(
                "credentials in the URL are refused (they end up in logs and history); send the token in "
                "the Authorization header"
            )
    authorizations = request.headers.getall("Authorization", [])
    presented = bearer(authorizations[0]) if len(authorizations) == 1 else None
    if not token_matches(presented, ctx.token):
        raise ApiUnauthorized(
            "a bearer token is required: send `Authorization: Bearer TOKEN` with the token from the "
            "api.token file (see `webbridge daemon status`)"
        )
    routing = request.match_info.http_exception
    if isinstance(routing, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(routing.allowed_methods))
        raise ApiMethodNotAllowed(f"{request.method} is not allowed here (allowed: {allowed})")
    if routing is not None:
        raise ApiNotFound(f"no such endpoint: {request.path[:200]}")
    if request.method in _BODY_METHODS:
        if request.content_length is not None and request.content_length > ctx.max_body:
            raise ApiBodyTooLarge(f"the body is over {ctx.max_body} bytes")
        if request.content_type != "application/json":  # also when absent: every POST declares JSON
            raise ApiUnsupportedMediaType(
                f"the body must be application/json, not {request.content_type[:100]!r}"
            )


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    try:
        check(request, ctx)
    except ApiError as exc:
        peer = request.remote or "?"
        # Path only: a query string may hold the very token being refused.
        log.warning("refused %s %s from %s: %s %s", request.method, request.path[:200], peer, exc.status,
                    exc.message)  # fmt: skip
        return error_reply(exc)
    return await handler(request)


__all__ = ["CREDENTIAL_PARAMS", "check", "guard"]
