"""Errors as the local API answers them: ``{"error": {"code", "name", "message"}}`` with an HTTP status.

Foreign errors are translated here and nowhere else. No reply carries CORS headers (L3): a web page can
never read an answer, and every reply says ``no-store`` and ``nosniff``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..errors import (
    ApiError,
    BridgeNotFound,
    ConfigError,
    FramingError,
    InvalidMessage,
    ModelError,
    RunError,
    RunNotFound,
    RunsUnavailable,
    TooManyRuns,
    WebBridgeError,
)

#: Every reply carries these; none carries ``Access-Control-*``.
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def status_of(exc: WebBridgeError) -> int:
    """The HTTP status for ``exc`` (PROTOCOL.md §9.4)."""
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, RunNotFound):
        return 404
    if isinstance(exc, BridgeNotFound):
        return 409
    if isinstance(exc, TooManyRuns):
        return 429
    if isinstance(exc, FramingError | InvalidMessage):
        return 400
    if isinstance(exc, RunsUnavailable | RunError | ConfigError | ModelError):
        return 503
    return 500


def json_reply(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers=HEADERS)


def error_reply(exc: WebBridgeError) -> web.Response:
    status = status_of(exc)
    headers = dict(HEADERS)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="webbridge"'
    return web.json_response({"error": exc.to_wire()}, status=status, headers=headers)


__all__ = ["HEADERS", "error_reply", "json_reply", "status_of"]
