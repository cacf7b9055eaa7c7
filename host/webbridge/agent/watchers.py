"""Live fan-out of run events to watchers, each with its own bounded queue.

Publishing never waits: a watcher whose queue is full is marked ``lagged`` and dropped, so a slow side panel
or CLI can never hold a run back. A dropped watcher still reads what its queue holds, then resumes from the
store by ``seq`` (``RunManager.events`` does this by itself).
"""

from __future__ import annotations

import asyncio

from .events import RunEvent

#: Events a watcher may fall behind by before it is dropped.
QUEUE_SIZE = 1024


class Watcher:
    """One subscription: to one run (``run_id``) or to every run (``None``)."""

    def __init__(self, hub: WatcherHub, run_id: str | None, size: int) -> None:
        self.run_id = run_id
        self.queue: asyncio.Queue[RunEvent | None] = asyncio.Queue(size)
        self.lagged = False
        self.closed = False
        self._hub = hub

    def offer(self, event: RunEvent) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.lagged = True
            self._hub.remove(self)

    async def next(self) -> RunEvent | None:
        """The next event; ``None`` once the hub closed or this watcher lagged and its queue is drained."""
        if self.queue.empty() and (self.lagged or self.closed):
            return None
        return await self.queue.get()

    def close(self) -> None:
        self._hub.remove(self)


class WatcherHub:
    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self._by_run: dict[str, set[Watcher]] = {}
        self._all: set[Watcher] = set()

    def subscribe(self, run_id: str | None) -> Watcher:
        watcher = Watcher(self, run_id, self.queue_size)
        if run_id is None:
            self._all.add(watcher)
        else:
            self._by_run.setdefault(run_id, set()).add(watcher)
        return watcher

    def remove(self, watcher: Watcher) -> None:
        if watcher.run_id is None:
            self._all.discard(watcher)
            return
        group = self._by_run.get(watcher.run_id)
        if group is not None:
            group.discard(watcher)
            if not group:
                del self._by_run[watcher.run_id]

    def publish(self, event: RunEvent) -> None:
        """Offer ``event`` to its run's watchers and to the all-runs watchers. Never blocks."""
        for watcher in list(self._by_run.get(event.run_id, ())):
            watcher.offer(event)
        for watcher in list(self._all):
            watcher.offer(event)

    def close(self) -> None:
        """End every watcher (each reads what it holds, then gets ``None``)."""
        everyone = [*self._all, *(w for group in self._by_run.values() for w in group)]
        self._all.clear()
        self._by_run.clear()
        for watcher in everyone:
            watcher.closed = True
            try:
                watcher.queue.put_nowait(None)  # wake a reader blocked on an empty queue
            except asyncio.QueueFull:
                pass  # not blocked: it sees ``closed`` once it has drained the queue


__all__ = ["QUEUE_SIZE", "Watcher", "WatcherHub"]
