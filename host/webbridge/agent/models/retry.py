"""When to try a model call again, and how long to wait first.

Retried: 408, 409, 429, 500, 502, 503, 504 and Anthropic's 529 (overloaded), and failures to connect. Not
retried: a timeout waiting for an answer (the next try would most likely hang the same way and the user
has already waited ``timeout`` seconds), and every other 4xx. The wait is the server's ``Retry-After`` (or
OpenAI's ``retry-after-ms``) when it sends one, else exponential back-off with jitter so that many clients
that failed together do not come back together. A ``Retry-After`` longer than :attr:`RetryPolicy.max_wait`
is not waited out: the call fails at once with the hint in the error.
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


@dataclass(frozen=True)
class RetryPolicy:
    """``max_retries`` extra tries after the first. Back-off for try *n* (0-based) is
    ``min(cap, base * 2**n)`` scaled by a random factor in ``[1 - jitter, 1]``."""

    max_retries: int = 4
    base: float = 0.5
    cap: float = 8.0
    jitter: float = 0.5
    #: The longest server-requested wait we honour; longer hints fail the call instead.
    max_wait: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.base < 0 or self.cap < 0 or not 0 <= self.jitter <= 1:
            raise ValueError(f"bad retry policy: {self}")

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based) when the server gave no hint."""
        delay: float = min(self.cap, self.base * 2.0**attempt)
        return delay * (1 - self.jitter * rand())


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds the server asks us to wait, from ``retry-after-ms``, or ``Retry-After`` as seconds or as an
    HTTP date; ``None`` when absent or unreadable. A date in the past means 0."""
    lower = {k.lower(): v for k, v in headers.items()}
    ms = lower.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms) / 1000
        except ValueError:
            value = -1.0
        if value >= 0 and value == value:  # not NaN
            return value
    raw = lower.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds and seconds != float("inf") else None
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())
