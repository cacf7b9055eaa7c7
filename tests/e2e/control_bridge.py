"""A :class:`~webbridge.tools.browser.BridgeLike` for end-to-end tests: its channel sends each request over
the daemon's control socket (``bridge.call``), so the daemon's typed tool functions run in the test process
against the real daemon → relay → extension → Chromium path, and the files they write land where the test
can look. Typed errors arrive as the daemon raised them (``StaleRef``, ``CaptureTooLarge``…)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from webbridge.daemon.client import ControlClient
from webbridge.paths import Paths
from webbridge.protocol.fields import Message
from webbridge.protocol.messages import body_of, parse_body

T = TypeVar("T")


@dataclass
class ControlChannel:
    paths: Paths

    async def request(
        self,
        kind: str,
        body: Mapping[str, Any] | Message | None = None,
        *,
        timeout: float | None = None,
    ) -> Message:
        data = body_of(body) if isinstance(body, Message) else dict(body or {})
        seconds = timeout or 30.0

        def call() -> dict[str, Any]:
            with ControlClient.connect(self.paths) as client:
                reply: dict[str, Any] = client.call(
                    "bridge.call", deadline=seconds + 30, bridge=None, kind=kind, body=data, timeout=seconds
                )
                return reply

        reply = await asyncio.to_thread(call)
        return parse_body(reply["kind"], reply["body"])


@dataclass
class ControlBridge:
    channel: ControlChannel


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from a synchronous (Playwright sync API) test, in its own thread:
    Playwright's sync API keeps an event loop of its own on the test's thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
