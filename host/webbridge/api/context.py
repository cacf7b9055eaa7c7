"""What the API's handlers share: the token, the bound port, the origins it trusts, and the daemon state.

One :class:`ApiContext` per app, stored under :data:`CONTEXT`. ``port`` is filled in once the socket is
bound (port 0 lets the OS pick), before the first request can arrive.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

#: A POST body may be at most this large (a run request's task is at most 20 000 characters).
MAX_BODY = 256 * 1024


class Bridges(Protocol):
    def list(self) -> Any: ...


class ApiState(Protocol):
    """What the API reads of ``webbridge.daemon.server.DaemonState``. ``runs`` may raise ``RunError`` (no
    run manager); :func:`webbridge.daemon.run_api.runs_of` turns that into ``RunsUnavailable``."""

    pid: int

    @property
    def bridges(self) -> Bridges: ...

    def uptime(self) -> float: ...


@dataclass
class ApiContext:
    state: ApiState
    token: str = field(repr=False)
    #: ``chrome-extension://ID`` origins (no trailing slash, as browsers send them) allowed to call.
    extension_origins: frozenset[str] = frozenset()
    max_body: int = MAX_BODY
    port: int = 0
    #: Set when the API stops: every event socket closes with 1001.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)


CONTEXT: web.AppKey[ApiContext] = web.AppKey("webbridge_api", ApiContext)

__all__ = ["CONTEXT", "MAX_BODY", "ApiContext", "ApiState", "Bridges"]
