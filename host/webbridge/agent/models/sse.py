"""Server-sent events, read from the lines of a streamed HTTP body (the WHATWG event-stream format).

Only what the model providers use: ``event:`` and ``data:`` fields (several ``data:`` lines join with
``\\n``), comments (``:`` lines, e.g. OpenRouter's keep-alives) ignored, a blank line ends an event.
``id:`` and ``retry:`` are ignored: a broken model stream is not resumed, the call fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True)
class SseEvent:
    event: str
    data: str


async def iter_sse(lines: AsyncIterable[str]) -> AsyncIterator[SseEvent]:
    """Yield each complete event in ``lines``. An event cut off by the end of the body is still yielded
    (some servers omit the final blank line). Events without data are skipped."""
    event = ""
    data: list[str] = []
    async for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield SseEvent(event or "message", "\n".join(data))
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    if data:
        yield SseEvent(event or "message", "\n".join(data))
