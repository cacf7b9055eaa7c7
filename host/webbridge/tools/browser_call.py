"""How every browser-control tool talks to the bridge: the request, its deadline and the error translation.

:func:`_call` sends a request model with ``bridge.channel.request`` and returns the typed reply:

- the extension's 6xxx replies become the matching :class:`~webbridge.errors.BrowserActionError`
  (:func:`translate_remote_error`); every other failure propagates unchanged (``RemoteError`` for other
  remote codes, ``RequestTimeout``, ``ChannelClosed``, ``Busy``);
- a reply of another kind than expected raises :class:`~webbridge.errors.UnexpectedKind`.

:func:`_build` validates a request as the wire would (``InvalidMessage`` names a refused field). Cancelling
a call forgets the request (a late reply is dropped); it is not undone in the browser. The tool functions
live in ``browser`` (tabs, navigation, snapshot, act), ``browser_capture`` and ``browser_page_io``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from ..errors import BY_CODE, BrowserActionError, RemoteError, UnexpectedKind, WebBridgeError
from ..protocol.fields import Message
from ..protocol.messages import parse_body

#: Extra seconds the daemon waits beyond a wait's own ``timeout_ms``, so that the extension's 6006 (which
#: says what it waited for) arrives before the channel's generic 4001.
REPLY_MARGIN_S = 5.0

R = TypeVar("R", bound=Message)
M = TypeVar("M", bound=Message)


class RequestChannel(Protocol):
    async def request(
        self,
        kind: str,
        body: Mapping[str, Any] | Message | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the deadline is part of the request
    ) -> Message: ...


class BridgeLike(Protocol):
    """What the tools need of a bridge: its channel (``webbridge.daemon.bridges.Bridge`` has one)."""

    @property
    def channel(self) -> RequestChannel: ...


def translate_remote_error(err: RemoteError) -> WebBridgeError:
    """The typed browser error for a remote 6xxx code (message and detail kept); ``err`` itself otherwise."""
    cls = BY_CODE.get(err.remote_code)
    if cls is not None and issubclass(cls, BrowserActionError):
        return cls(err.message)
    return err


async def _call(
    bridge: BridgeLike,
    msg: Message,
    reply: type[R],
    *,
    timeout: float | None = None,  # noqa: ASYNC109 - the deadline is part of the request
) -> R:
    try:
        answer = await bridge.channel.request(msg.kind, msg, timeout=timeout)
    except RemoteError as exc:
        translated = translate_remote_error(exc)
        if translated is exc:
            raise
        raise translated from exc
    if not isinstance(answer, reply):
        raise UnexpectedKind(f"{msg.kind} was answered with {answer.kind}")
    return answer


def _build(model: type[M], **fields: Any) -> M:
    """The request model, validated as the wire would be: ``InvalidMessage`` names a refused field."""
    msg = parse_body(model.model_fields["kind"].default, fields)
    assert isinstance(msg, model)
    return msg


def _deadline(timeout_ms: int) -> float:
    return timeout_ms / 1000 + REPLY_MARGIN_S


__all__ = ["REPLY_MARGIN_S", "BridgeLike", "RequestChannel", "translate_remote_error"]
