"""Event subscriptions of one connection: each pumps a run's events (or every run's) to a sink until the run
finishes, the subscription is replaced or stopped, or the connection closes.

The pumps are tasks owned by a :class:`Watches` object, which the connection closes with itself. A sink that
cannot deliver any more (the connection is gone) ends its pump quietly; back-pressure is the sink's: a pump
awaits each delivery, and the run manager drops a watcher that falls too far behind (its iterator then
raises ``EventsLagged``, which ends the pump; the subscriber resumes by ``seq``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from ..agent.events import RunEvent
from ..errors import ChannelClosed, ChannelError, TooManyWatches, UnexpectedKind, WebBridgeError
from ..protocol.fields import Message

if TYPE_CHECKING:
    from .connection import RelayConnection

log = logging.getLogger("webbridge.daemon.run_watch")

#: Most subscriptions one connection may hold at once.
MAX_WATCHES = 16

Sink = Callable[[RunEvent], Awaitable[None]]


class Watches:
    """The subscriptions of one connection, keyed by run id (``None``: every run). ``aclose()`` may be
    called twice."""

    def __init__(self, limit: int = MAX_WATCHES) -> None:
        self._limit = limit
        self._tasks: dict[str | None, asyncio.Task[None]] = {}
        self._closed = False

    def __len__(self) -> int:
        return len(self._tasks)

    def __contains__(self, key: str | None) -> bool:
        return key in self._tasks

    async def start(self, key: str | None, events: AsyncIterator[RunEvent], sink: Sink) -> None:
        """Pump ``events`` into ``sink``, replacing a subscription with the same key (whose pump is cancelled
        and awaited first). Raises :class:`TooManyWatches` when the limit is reached (nothing subscribed);
        cancelling this call leaves the old subscription stopped and no new one."""
        if self._closed:
            raise ChannelClosed("the connection is closing")
        if key not in self._tasks and len(self._tasks) >= self._limit:
            await _close_iter(events)
            raise TooManyWatches(f"at most {self._limit} run watches per connection")
        await self.stop(key)
        task = asyncio.get_running_loop().create_task(self._pump(events, sink), name=f"webbridge-watch-{key}")
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._forget(key, done))

    async def stop(self, key: str | None) -> bool:
        """End one subscription and wait for its pump. True if it was active."""
        task = self._tasks.pop(key, None)
        if task is None:
            return False
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return True

    async def aclose(self) -> None:
        """End every subscription and wait for the pumps."""
        self._closed = True
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _forget(self, key: str | None, task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]

    @staticmethod
    async def _pump(events: AsyncIterator[RunEvent], sink: Sink) -> None:
        try:
            async for event in events:
                await sink(event)
        except (ChannelError, ConnectionError) as exc:
            log.debug("watch ended: %s", exc)
        except WebBridgeError as exc:
            log.info("watch ended: %s", exc)
        finally:
            await _close_iter(events)


class ConnectionWatches:
    """What the handler groups of one relay connection that hold subscriptions share: the connection, its
    :class:`Watches`, the session check and the delivery of one event to the extension."""

    def __init__(self, conn: RelayConnection, limit: int = MAX_WATCHES) -> None:
        self._conn = conn
        self.watches = Watches(limit=limit)

    async def aclose(self) -> None:
        """End every subscription and wait for the pumps. Idempotent."""
        await self.watches.aclose()

    def _bridge_id(self) -> str:
        """The bridge of the session. Raises :class:`UnexpectedKind` before ``session.open``."""
        bridge = self._conn.bridge
        if bridge is None:
            raise UnexpectedKind("send session.open first")
        return bridge.bridge_id

    async def _notify(self, kind: str, msg: Message) -> None:
        """Send one event to the extension; nothing when the channel is gone. Raises what
        ``Channel.notify`` raises (which ends the pump that delivers)."""
        channel = self._conn.channel
        if channel is None:
            return
        await channel.notify(kind, msg)


async def _close_iter(events: AsyncIterator[RunEvent]) -> None:
    closer = getattr(events, "aclose", None)
    if closer is not None:
        await closer()
