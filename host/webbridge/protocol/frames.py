"""Frame shapes (``docs/PROTOCOL.md`` §2): which type a parsed frame is, and plain frames in and out.

:func:`frame_type` sorts a strictly parsed frame into ``preamble``, ``plain``, ``sealed`` or ``chunk``.
Anything carrying ``mac``, ``p`` or ``sid`` counts as sealed, so a sealed frame that lost its MAC reaches
:meth:`~webbridge.protocol.session.Session.open` and is refused there with 3001 (C1), not as a shape error.

:func:`parse_plain` validates a plain frame and refuses every kind that may not travel plain with
:class:`~webbridge.errors.UnexpectedKind` (2003) before its body is even looked at (C10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from webbridge.errors import InvalidMessage, MessageError, UnexpectedKind, UnknownKind, UnsupportedProtocol
from webbridge.protocol.messages import CATALOGUE, PLAIN_KINDS, Message, body_of, parse_body

__all__ = ["FrameType", "PlainFrame", "frame_type", "is_id", "parse_plain", "plain_frame"]

FrameType = Literal["preamble", "plain", "sealed", "chunk"]

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PLAIN_KEYS = frozenset({"v", "id", "reply_to", "kind", "body"})


def is_id(value: Any) -> bool:
    """Whether ``value`` is an ID: a string of 1–64 characters ``[A-Za-z0-9_-]``."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _check_v(frame: dict[str, Any]) -> None:
    v = frame.get("v")
    if type(v) is not int or v != 1:
        raise UnsupportedProtocol("frame version must be 1")


def frame_type(frame: dict[str, Any]) -> FrameType:
    """Classify a parsed frame by its keys.

    Raises :class:`~webbridge.errors.UnsupportedProtocol` (2004) when a non-sealed frame's ``v`` is not 1
    (a sealed frame's ``v`` is checked after its MAC) and :class:`~webbridge.errors.InvalidMessage` (2002)
    for any other shape.
    """
    if "mac" in frame or "p" in frame or "sid" in frame:
        return "sealed"
    _check_v(frame)
    if "chunk" in frame:
        return "chunk"
    if "kind" in frame:
        return "plain"
    if frame.keys() in ({"v", "relay"}, {"v", "control"}):
        return "preamble"
    raise InvalidMessage("frame is neither preamble, plain, sealed nor chunk")


@dataclass(frozen=True, slots=True)
class PlainFrame:
    """A validated plain frame."""

    id: str
    reply_to: str | None
    kind: str
    message: Message


def parse_plain(frame: dict[str, Any]) -> PlainFrame:
    """Validate a plain frame ``{"v":1,"id","reply_to","kind","body"}``.

    Raises :class:`~webbridge.errors.UnsupportedProtocol` (``v`` not 1),
    :class:`~webbridge.errors.InvalidMessage` (shape, ids, body), :class:`~webbridge.errors.UnknownKind`, or
    :class:`~webbridge.errors.UnexpectedKind` for a kind that may not travel plain. When the frame's ``id``
    was well formed, the error's ``detail["id"]`` holds it so the caller can answer with ``reply_to``.
    """
    msg_id = frame.get("id")
    try:
        _check_v(frame)
        if frame.keys() != _PLAIN_KEYS:
            raise InvalidMessage("plain frame must be exactly {v, id, reply_to, kind, body}")
        reply_to, kind = frame["reply_to"], frame["kind"]
        if not is_id(msg_id) or not (reply_to is None or is_id(reply_to)):
            raise InvalidMessage("plain frame ids must be 1-64 characters [A-Za-z0-9_-]")
        if not isinstance(kind, str) or kind not in CATALOGUE:
            raise UnknownKind(f"unknown kind {str(kind)[:64]!r}")
        if kind not in PLAIN_KINDS:
            raise UnexpectedKind(f"{kind} may not travel in a plain frame")
        message = parse_body(kind, frame["body"])
    except MessageError as exc:
        if is_id(msg_id):
            exc.detail["id"] = msg_id
        raise
    return PlainFrame(id=str(msg_id), reply_to=reply_to, kind=kind, message=message)


def plain_frame(msg: Message, *, msg_id: str, reply_to: str | None = None) -> dict[str, Any]:
    """The plain frame carrying ``msg``. Raises ``ValueError`` for a malformed id or a kind that may not
    travel plain (bugs in the caller)."""
    if msg.kind not in PLAIN_KINDS:
        raise ValueError(f"{msg.kind} may not travel in a plain frame")
    if not is_id(msg_id) or not (reply_to is None or is_id(reply_to)):
        raise ValueError("ids are 1-64 characters [A-Za-z0-9_-]")
    return {"v": 1, "id": msg_id, "reply_to": reply_to, "kind": msg.kind, "body": body_of(msg)}
