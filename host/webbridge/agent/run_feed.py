"""A run's event feed for watchers: what the store holds, then what happens live, with nothing missed.

:class:`RunFeed` joins the two sources of run events. The store (``webbridge.store.runs.RunStore``) has
every event on record; the :class:`~webbridge.agent.watchers.WatcherHub` fans out the live ones and drops a
watcher that falls behind. A feed subscribes before it reads the store, skips live events it already gave,
and when it is dropped resumes from the store by ``seq``: a slow reader misses nothing and never slows a
run. The run manager owns the hub and the store; the feed only reads them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from ..errors import EventsLagged
from .events import RunEvent, RunFinished, RunSummary
from .watchers import WatcherHub

__all__ = ["EventSource", "RunFeed"]


class EventSource(Protocol):
    """What a feed reads of ``webbridge.store.runs.RunStore``."""

    async def summary(self, run_id: str) -> RunSummary: ...
    async def events_after(self, run_id: str, after_seq: int = 0, limit: int = 500) -> list[RunEvent]: ...


class RunFeed:
    """Stored-then-live event streams over ``store`` and ``hub``. Used from the event loop only."""

    def __init__(self, store: EventSource, hub: WatcherHub) -> None:
        self.store = store
        self._hub = hub

    async def events(self, run_id: str, after_seq: int = 0) -> AsyncIterator[RunEvent]:
        """The run's stored events after ``after_seq``, then its live ones, ending after ``RunFinished``
        (or when the hub closes).

        Raises :class:`~webbridge.errors.RunNotFound` (on first iteration) for an unknown run. A watcher that
        falls behind is dropped by the live fan-out and resumes here from the store, so it misses nothing and
        never slows the run. Closing the iterator (or cancelling its reader) unsubscribes.
        """
        watcher = self._hub.subscribe(run_id)  # before reading the store: nothing falls in between
        try:
            await self.store.summary(run_id)
            last = after_seq
            while page := await self.store.events_after(run_id, last):
                for event in page:
                    yield event
                    last = event.seq
                    if isinstance(event, RunFinished):
                        return
            while True:
                live = await watcher.next()
                if live is None:
                    if not watcher.lagged:
                        return  # the hub closed
                    watcher.close()
                    watcher = self._hub.subscribe(run_id)
                    for stored_event in await self.stored_since(run_id, last):
                        yield stored_event
                        last = stored_event.seq
                        if isinstance(stored_event, RunFinished):
                            return
                    continue
                if live.seq <= last:
                    continue
                yield live
                last = live.seq
                if isinstance(live, RunFinished):
                    return
        finally:
            watcher.close()

    async def watch_all(self) -> AsyncIterator[RunEvent]:
        """Live events of every run (nothing stored), until the hub closes.

        Raises :class:`~webbridge.errors.EventsLagged` when this watcher fell more than its queue behind;
        the caller then reads what it missed per run with :meth:`events` (``after_seq``) and watches again.
        Closing the iterator (or cancelling its reader) unsubscribes.
        """
        watcher = self._hub.subscribe(None)
        try:
            while True:
                event = await watcher.next()
                if event is None:
                    if watcher.lagged:
                        raise EventsLagged(
                            f"this watcher fell more than {self._hub.queue_size} events behind; "
                            "re-read each run from its last seq"
                        )
                    return
                yield event
        finally:
            watcher.close()

    async def stored_since(self, run_id: str, after_seq: int) -> list[RunEvent]:
        """Every stored event of the run after ``after_seq``, read page by page (none for an unknown run)."""
        out: list[RunEvent] = []
        while True:
            page = await self.store.events_after(run_id, after_seq)
            out.extend(page)
            if not page:
                return out
            after_seq = page[-1].seq
