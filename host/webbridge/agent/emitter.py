"""The run's event stamp: gives each event its run id, the next ``seq`` and the time, and hands it on.

Emitting is synchronous on purpose: the sink (the run store's write buffer and the live fan-out) never
blocks, and an event is either emitted whole or not at all, even while the run is being cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from .events import RunEvent

E = TypeVar("E", bound=BaseModel)

EventSink = Callable[[RunEvent], None]


class Emitter:
    def __init__(
        self, run_id: str, sink: EventSink, *, next_seq: int = 1, clock: Callable[[], float] = time.time
    ) -> None:
        self.run_id = run_id
        self._sink = sink
        self._next = next_seq
        self._clock = clock

    @property
    def last_seq(self) -> int:
        return self._next - 1

    def emit(self, cls: type[E], **fields: Any) -> E:
        """Build ``cls(run_id=..., seq=..., time=..., **fields)``, pass it to the sink and return it.
        Raises ``pydantic.ValidationError`` on bad fields (a bug); then no seq is used."""
        event = cls(run_id=self.run_id, seq=self._next, time=int(self._clock() * 1000), **fields)
        self._next += 1
        self._sink(event)  # type: ignore[arg-type]  # every event class is a member of the RunEvent union
        return event


__all__ = ["Emitter", "EventSink"]
