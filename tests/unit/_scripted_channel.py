"""A scripted channel under the daemon's typed browser functions (tools/browser.py), for one-layer unit tests:
each request is validated as it would go on the wire, recorded, and answered with the next scripted reply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from webbridge.protocol.fields import Message
from webbridge.protocol.messages import body_of, parse_body


@dataclass
class ScriptedChannel:
    """Answers each request with the next reply (a Message, or an exception to raise); ``sent`` records
    ``(kind, body, timeout)``. A request past the end of the script fails the test."""

    replies: list[Message | BaseException]
    sent: list[tuple[str, Message, float | None]] = field(default_factory=list)

    async def request(
        self, kind: str, body: Mapping[str, Any] | Message | None = None, *, timeout: float | None = None
    ) -> Message:
        assert isinstance(body, Message) and body.kind == kind
        parse_body(kind, body_of(body))  # what goes on the wire validates
        self.sent.append((kind, body, timeout))
        if not self.replies:
            raise AssertionError(f"unexpected request {kind}")
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def wire(self, index: int) -> dict[str, Any]:
        """The wire body of the ``index``-th request."""
        return body_of(self.sent[index][1])


@dataclass
class FakeBridge:
    channel: ScriptedChannel


def bridge(*replies: Message | BaseException) -> FakeBridge:
    """A bridge whose channel answers with ``replies`` in order."""
    return FakeBridge(ScriptedChannel(list(replies)))
