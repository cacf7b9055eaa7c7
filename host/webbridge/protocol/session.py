"""Sealing and opening envelopes for one authenticated connection (``docs/PROTOCOL.md`` §3).

A :class:`Session` holds the two keys of a connection, its id and one sequence counter per direction. Its
``role`` picks the keys: the daemon seals with ``k_d2e`` and opens with ``k_e2d``, the extension the other
way round, so a reflected frame never verifies.

:meth:`Session.open` applies the receiver's steps 1–6 in order and raises the first failure:

1. :class:`~webbridge.errors.MissingMac` — ``mac``/``p`` not strings, or ``mac`` not 43 base64url characters;
2. :class:`~webbridge.errors.BadMac` — checked over the exact bytes of ``p`` before ``p`` is parsed;
3. :class:`~webbridge.errors.BadSession` — ``p`` is not a strict JSON envelope of the right shape, ``v`` is
   not 1, or a ``sid`` differs from the session's (the outer frame's keys are checked here too);
4. :class:`~webbridge.errors.BadSequence` — ``seq`` is not exactly the last one plus one;
5. :class:`~webbridge.errors.ClockSkew` — ``ts`` more than :data:`MAX_SKEW_MS` from the clock;
6. :class:`~webbridge.errors.UnknownKind` / :class:`~webbridge.errors.UnexpectedKind` (a plain-only kind) /
   :class:`~webbridge.errors.InvalidMessage`. These leave the session usable (the sequence number is
   consumed) and carry ``detail["id"]``, ``detail["reply_to"]`` and ``detail["kind"]`` so the caller can
   answer with a sealed ``error`` reply.

Failures 1–5 are :class:`~webbridge.errors.SessionError`: the connection owner ends the session, and the
session itself refuses every later frame with :class:`~webbridge.errors.BadSession` (it never re-syncs; a new
handshake makes a new session). Every rejection is counted by error name in :attr:`Session.rejections`.
Step 7 (a reply to no open request) belongs to :class:`webbridge.protocol.channel.Channel`.
"""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from webbridge.errors import (
    BadSequence,
    BadSession,
    ClockSkew,
    FramingError,
    MessageError,
    MissingMac,
    SessionError,
    UnexpectedKind,
    UnknownKind,
    WebBridgeError,
)
from webbridge.protocol import jsonstrict, signing
from webbridge.protocol.messages import CATALOGUE, Message, body_of, parse_body

__all__ = ["MAX_SKEW_MS", "Clock", "Envelope", "Role", "SealedFrame", "Session", "now_ms"]

#: Largest accepted distance between a frame's ``ts`` and the receiver's clock.
MAX_SKEW_MS = 120_000

Role = Literal["daemon", "extension"]
#: A clock returning Unix time in milliseconds (injectable for tests).
Clock = Callable[[], int]

_MAC = re.compile(r"[A-Za-z0-9_-]{43}")
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_OUTER_KEYS = frozenset({"v", "sid", "mac", "p"})
_P_KEYS = frozenset({"v", "sid", "seq", "ts", "id", "reply_to", "kind", "body"})


def now_ms() -> int:
    """Unix time in milliseconds."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class Envelope:
    """An opened sealed frame: the signed envelope fields and the validated message."""

    seq: int
    ts: int
    id: str
    reply_to: str | None
    kind: str
    message: Message


class SealedFrame(dict[str, Any]):
    """What :meth:`Session.seal` returns: the outer frame ``{"v":1,"sid","mac","p"}``, a plain ``dict`` that
    also keeps the UTF-8 bytes of ``p`` it signed, so that :meth:`to_bytes` serialises the frame without
    escaping ``p`` character by character a second time (for an 8 MB ``p`` that pass costs ≈ 9 ms)."""

    __slots__ = ("_p", "_p_utf8")

    def __init__(self, sid: str, mac: str, p: str, p_utf8: bytes) -> None:
        super().__init__(v=1, sid=sid, mac=mac, p=p)
        self._p, self._p_utf8 = p, p_utf8

    def to_bytes(self) -> bytes:
        """The same bytes as ``jsonstrict.dumps(self).encode()``.

        ``p`` was made by :func:`jsonstrict.dumps_utf8`, so :func:`jsonstrict.escape_dumped` applies to the
        bytes it signed; a frame changed since sealing (a test forging one) is serialised the ordinary way.
        """
        sid, mac = self.get("sid"), self.get("mac")
        if (
            len(self) != 4
            or self.get("p") is not getattr(self, "_p", None)
            or type(self.get("v")) is not int
            or self["v"] != 1
            or not (isinstance(sid, str) and _ID.fullmatch(sid))
            or not (isinstance(mac, str) and _MAC.fullmatch(mac))
        ):
            return jsonstrict.dumps(self).encode()
        # sid and mac are base64url: nothing in them needs escaping.
        head = f'{{"v":1,"sid":"{sid}","mac":"{mac}","p":"'.encode("ascii")
        return b"".join((head, jsonstrict.escape_dumped(self._p_utf8), b'"}'))


def _is_int(value: Any) -> bool:
    return type(value) is int  # bool is an int subclass and is refused


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


class Session:
    """One authenticated connection. Not thread-safe; :meth:`seal` calls must be sent in the order made."""

    def __init__(
        self,
        role: Role,
        sid: str,
        keys: signing.SessionKeys,
        *,
        clock: Clock = now_ms,
        max_skew_ms: int = MAX_SKEW_MS,
    ) -> None:
        if role not in ("daemon", "extension"):
            raise ValueError(f"role must be 'daemon' or 'extension', not {role!r}")
        self.role: Role = role
        self.sid = sid
        self._seal_key, self._open_key = (keys.d2e, keys.e2d) if role == "daemon" else (keys.e2d, keys.d2e)
        self._clock = clock
        self._max_skew = max_skew_ms
        self._id_prefix = role[0]
        self._ids = itertools.count(1)
        #: Sequence number of the last frame sealed (0: none yet).
        self.sent_seq = 0
        #: Sequence number of the last frame opened (0: none yet).
        self.received_seq = 0
        #: Rejected frames by error name (``bad_mac``, ``bad_sequence``, ...), for observability.
        self.rejections: Counter[str] = Counter()
        #: The first failure of steps 1–5, after which :meth:`open` refuses everything.
        self.failure: SessionError | None = None

    @classmethod
    def from_secret(
        cls,
        role: Role,
        secret: bytes,
        nonce_e: bytes,
        nonce_d: bytes,
        sid: str,
        *,
        clock: Clock = now_ms,
    ) -> Session:
        """Derive the keys (:func:`~webbridge.protocol.signing.derive_session_keys`) and build the session."""
        return cls(role, sid, signing.derive_session_keys(secret, nonce_e, nonce_d, sid), clock=clock)

    def next_id(self) -> str:
        """A fresh message id, unique within this session and role (``d1``, ``d2``... or ``e1``...)."""
        return f"{self._id_prefix}{next(self._ids)}"

    # --- sending -----------------------------------------------------------------------------------------

    def seal(
        self,
        kind: str,
        body: Mapping[str, Any],
        *,
        reply_to: str | None = None,
        msg_id: str | None = None,
    ) -> SealedFrame:
        """Build the outer sealed frame for ``kind``/``body`` and consume the next sequence number.

        ``body`` is sent as given (validate it with the models first). Raises
        :class:`~webbridge.errors.UnknownKind` or :class:`~webbridge.errors.UnexpectedKind` for a kind that
        cannot travel sealed, ``ValueError`` for a malformed id and ``TypeError``/``ValueError`` when the
        body is not JSON-serialisable: all bugs in the caller.
        """
        info = CATALOGUE.get(kind)
        if info is None:
            raise UnknownKind(f"unknown kind {kind[:64]!r}")
        if not info.sealed:
            raise UnexpectedKind(f"{kind} only travels in plain frames")
        msg_id = self.next_id() if msg_id is None else msg_id
        if not _is_id(msg_id) or (reply_to is not None and not _is_id(reply_to)):
            raise ValueError("message ids are 1-64 characters [A-Za-z0-9_-]")
        seq = self.sent_seq + 1
        p_utf8 = jsonstrict.dumps_utf8(
            {
                "v": 1,
                "sid": self.sid,
                "seq": seq,
                "ts": self._clock(),
                "id": msg_id,
                "reply_to": reply_to,
                "kind": kind,
                "body": body,
            }
        )
        p = p_utf8.decode("utf-8")
        frame = SealedFrame(self.sid, signing.mac(self._seal_key, p_utf8), p, p_utf8)
        self.sent_seq = seq
        return frame

    def seal_message(
        self, msg: Message, *, reply_to: str | None = None, msg_id: str | None = None
    ) -> SealedFrame:
        """:meth:`seal` for a model instance."""
        return self.seal(msg.kind, body_of(msg), reply_to=reply_to, msg_id=msg_id)

    # --- receiving ---------------------------------------------------------------------------------------

    def open(self, frame: Mapping[str, Any]) -> Envelope:
        """Authenticate and validate one received sealed frame (steps 1–6, see the module docstring)."""
        try:
            if self.failure is not None:
                raise BadSession(f"session already ended ({self.failure.name})")
            return self._open(frame)
        except SessionError as exc:
            self.rejections[exc.name] += 1
            if self.failure is None:
                self.failure = exc
            raise
        except WebBridgeError as exc:
            self.rejections[exc.name] += 1
            raise

    def _open(self, frame: Mapping[str, Any]) -> Envelope:
        # 1. a well-formed MAC and a string P
        mac, p = frame.get("mac"), frame.get("p")
        if not isinstance(mac, str) or not isinstance(p, str) or _MAC.fullmatch(mac) is None:
            raise MissingMac("sealed frame needs a 43-character base64url mac and a string p")
        # 2. the MAC, over the exact bytes, before anything in P is looked at
        signing.verify(self._open_key, p.encode("utf-8", "surrogatepass"), mac)
        # 3. the envelope
        if frame.keys() != _OUTER_KEYS or not _is_int(frame["v"]) or frame["v"] != 1:
            raise BadSession("sealed frame must be exactly {v:1, sid, mac, p}")
        if frame["sid"] != self.sid:
            raise BadSession("frame is for another session")
        try:
            env = jsonstrict.loads(p)
        except FramingError as exc:
            raise BadSession(f"signed part is not strict JSON: {exc}") from exc
        if env.keys() != _P_KEYS:
            raise BadSession("signed part must have exactly v, sid, seq, ts, id, reply_to, kind, body")
        if not _is_int(env["v"]) or env["v"] != 1:
            raise BadSession("signed part has v != 1")
        if env["sid"] != self.sid:
            raise BadSession("signed part is for another session")
        seq, ts, msg_id, reply_to, kind, body = (
            env["seq"], env["ts"], env["id"], env["reply_to"], env["kind"], env["body"],
        )  # fmt: skip
        if not (_is_int(seq) and _is_int(ts) and _is_id(msg_id) and isinstance(kind, str)):
            raise BadSession("signed part has a malformed seq, ts, id or kind")
        if not (reply_to is None or _is_id(reply_to)) or not isinstance(body, dict):
            raise BadSession("signed part has a malformed reply_to or body")
        # 4. exactly the next sequence number
        if seq != self.received_seq + 1:
            raise BadSequence(f"expected seq {self.received_seq + 1}, got {seq}")
        # 5. the clock window
        now = self._clock()
        if abs(ts - now) > self._max_skew:
            raise ClockSkew(f"timestamp {ts - now:+d} ms from our clock (at most ±{self._max_skew})")
        self.received_seq = seq
        # 6. the message itself; the session survives these
        try:
            info = CATALOGUE.get(kind)
            if info is not None and not info.sealed:
                raise UnexpectedKind(f"{kind} only travels in plain frames")
            message = parse_body(kind, body)
        except MessageError as exc:
            exc.detail.update(id=msg_id, reply_to=reply_to, kind=kind[:64])
            raise
        return Envelope(seq=seq, ts=ts, id=msg_id, reply_to=reply_to, kind=kind, message=message)
