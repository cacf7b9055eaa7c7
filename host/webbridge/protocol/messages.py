"""The message models of ``wb1``: one pydantic class per kind, and the catalogue (``docs/PROTOCOL.md`` §4-5).

These classes are the single source of the message shapes; ``extension/protocol/schema.json`` is exported
from them by :mod:`webbridge.protocol.schema`. Every model forbids extra fields and validates strictly (no
coercion: ``"1"`` is not an int, ``1`` is not a bool). On the wire a message is ``kind`` plus ``body``; the
models carry ``kind`` as a defaulted ``Literal`` so ``Ping()`` is a complete message, and :func:`body_of`
gives back the body.

:func:`parse_body` is the one entry point for received bodies: it raises
:class:`~webbridge.errors.UnknownKind` (2001) or :class:`~webbridge.errors.InvalidMessage` (2002), the
latter naming the first offending field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from webbridge.errors import InvalidMessage, UnknownKind, UnsupportedProtocol
from webbridge.meta import PROTOCOL
from webbridge.protocol.fields import (
    MAX_ECHO,
    MAX_SAFE_INT,
    MAX_TABS,
    BrowserDesc,
    Digest,
    Id16,
    Message,
    MsgId,
    Nonce,
    PublicKey,
    Short,
    Tab,
    TimeMs,
)

__all__ = [
    "CATALOGUE",
    "PLAIN_KINDS",
    "BrowserDesc",
    "BrowserInfo",
    "BrowserInfoResult",
    "Echo",
    "EchoResult",
    "Error",
    "Hello",
    "HelloOk",
    "KeyRotate",
    "KeyRotated",
    "KindInfo",
    "Message",
    "PairBegin",
    "PairCancel",
    "PairConfirm",
    "PairDone",
    "PairKey",
    "PairReveal",
    "Ping",
    "Pong",
    "SessionOpen",
    "SessionOpened",
    "Tab",
    "body_of",
    "check_protocol",
    "echo_reply",
    "parse_body",
]


# --- handshake and pairing (plain) ---------------------------------------------------------------------


class Hello(Message):
    kind: Literal["hello"] = "hello"
    proto: Annotated[list[Annotated[str, Field(max_length=16)]], Field(min_length=1, max_length=8)]
    ext_version: Short
    ext_id: Short
    pairing_id: MsgId | None
    nonce: Nonce
    browser: BrowserDesc
    profile: Short


class HelloOk(Message):
    kind: Literal["hello.ok"] = "hello.ok"
    proto: Annotated[str, Field(max_length=16)]
    daemon_version: Short
    nonce: Nonce
    sid: Id16
    paired: bool
    time: TimeMs


class PairBegin(Message):
    kind: Literal["pair.begin"] = "pair.begin"
    commit: Digest
    label: Short
    browser: BrowserDesc
    profile: Short


class PairKey(Message):
    kind: Literal["pair.key"] = "pair.key"
    pair_id: Id16
    pk_d: PublicKey


class PairReveal(Message):
    kind: Literal["pair.reveal"] = "pair.reveal"
    pair_id: Id16
    pk_e: PublicKey
    n_e: Nonce


class PairConfirm(Message):
    kind: Literal["pair.confirm"] = "pair.confirm"
    pair_id: Id16
    mac: Digest


class PairDone(Message):
    kind: Literal["pair.done"] = "pair.done"
    pair_id: Id16
    pairing_id: MsgId
    mac: Digest


class PairCancel(Message):
    kind: Literal["pair.cancel"] = "pair.cancel"
    #: ``null`` when the extension cancels before it received ``pair.key``.
    pair_id: Id16 | None
    reason: Annotated[str, Field(max_length=512)]


class Error(Message):
    kind: Literal["error"] = "error"
    code: Annotated[int, Field(ge=1000, le=9999)]
    name: Annotated[str, Field(max_length=64)]
    message: Annotated[str, Field(max_length=4096)]


# --- sealed kinds --------------------------------------------------------------------------------------


class SessionOpen(Message):
    kind: Literal["session.open"] = "session.open"
    label: Short
    browser: BrowserDesc
    profile: Short
    ext_version: Short


class SessionOpened(Message):
    kind: Literal["session.opened"] = "session.opened"
    bridge_id: MsgId
    label: Short


class BrowserInfo(Message):
    kind: Literal["browser.info"] = "browser.info"


class BrowserInfoResult(Message):
    kind: Literal["browser.info.result"] = "browser.info.result"
    browser: Short
    version: Short
    user_agent: Annotated[str, Field(max_length=1024)]
    profile: Short
    tabs: Annotated[list[Tab], Field(max_length=MAX_TABS)]


class Ping(Message):
    kind: Literal["ping"] = "ping"


class Pong(Message):
    kind: Literal["pong"] = "pong"
    time: TimeMs


class Echo(Message):
    kind: Literal["echo"] = "echo"
    data: Annotated[str, Field(max_length=MAX_ECHO)]
    mode: Literal["echo", "digest"]


class EchoResult(Message):
    """Either ``{data}`` (mode ``echo``) or ``{size, sha256}`` (mode ``digest``: UTF-8 length, hex digest)."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["data"], "not": {"anyOf": [{"required": ["size"]}, {"required": ["sha256"]}]}},
                {"required": ["size", "sha256"], "not": {"required": ["data"]}},
            ]
        }
    )

    kind: Literal["echo.result"] = "echo.result"
    # Absent, never null: the exported schema says so and the validator below refuses an explicit null.
    data: Annotated[
        Annotated[str, Field(max_length=MAX_ECHO)] | None,
        WithJsonSchema({"type": "string", "maxLength": MAX_ECHO}),
    ] = None
    size: Annotated[
        Annotated[int, Field(ge=0, le=MAX_SAFE_INT)] | None,
        WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_SAFE_INT}),
    ] = None
    sha256: Annotated[
        Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None,
        WithJsonSchema({"type": "string", "pattern": "^[0-9a-f]{64}$"}),
    ] = None

    @field_validator("data", "size", "sha256", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Runs only on values actually given (defaults are not validated), so only an explicit null fails.
        if value is None:
            raise ValueError("omit the field instead of sending null")
        return value

    @model_validator(mode="after")
    def _one_form(self) -> EchoResult:
        has_data = self.data is not None
        has_digest = self.size is not None and self.sha256 is not None
        partial = (self.size is None) != (self.sha256 is None)
        if partial or has_data == has_digest:
            raise ValueError("either data, or size and sha256")
        return self


class KeyRotate(Message):
    kind: Literal["key.rotate"] = "key.rotate"
    pk: PublicKey


class KeyRotated(Message):
    kind: Literal["key.rotated"] = "key.rotated"
    pk: PublicKey


# --- catalogue -----------------------------------------------------------------------------------------

Role = Literal["request", "reply", "event"]
Direction = Literal["e2d", "d2e", "both"]


@dataclass(frozen=True, slots=True)
class KindInfo:
    """What a kind is: its model, role, which frames may carry it, who sends it and its reply kind."""

    kind: str
    model: type[Message]
    role: Role
    plain: bool
    sealed: bool
    direction: Direction
    reply: str | None = None


def _info(
    model: type[Message],
    role: Role,
    direction: Direction,
    *,
    plain: bool = False,
    sealed: bool = True,
    reply: type[Message] | None = None,
) -> KindInfo:
    kind = model.model_fields["kind"].default
    reply_kind = None if reply is None else reply.model_fields["kind"].default
    return KindInfo(kind, model, role, plain, sealed, direction, reply_kind)


def _browser_infos() -> list[KindInfo]:
    from webbridge.protocol.browser_kinds import REQUESTS as BROWSER
    from webbridge.protocol.capture_kinds import REQUESTS as CAPTURE
    from webbridge.protocol.page_io_kinds import REQUESTS as PAGE_IO
    from webbridge.protocol.tab_control_kinds import REQUESTS as TAB_CONTROL

    REQUESTS = (*BROWSER, *PAGE_IO, *CAPTURE, *TAB_CONTROL)
    infos = []
    for request, reply in REQUESTS:
        infos.append(_info(request, "request", "d2e", reply=reply))
    # Several requests share a reply kind (tab.result): register each reply once.
    replies = {reply.model_fields["kind"].default: reply for _, reply in REQUESTS}
    infos.extend(_info(reply, "reply", "e2d") for reply in replies.values())
    return infos


def _run_infos() -> list[KindInfo]:
    from webbridge.protocol.policy_kinds import EVENTS as POLICY_EVENTS
    from webbridge.protocol.policy_kinds import REQUESTS as POLICY
    from webbridge.protocol.run_kinds import EVENTS as RUN_EVENTS
    from webbridge.protocol.run_kinds import REQUESTS as RUN

    REQUESTS = (*RUN, *POLICY)
    EVENTS = (*RUN_EVENTS, *POLICY_EVENTS)
    infos = []
    for request, reply in REQUESTS:
        infos.append(_info(request, "request", "e2d", reply=reply))
        infos.append(_info(reply, "reply", "d2e"))
    infos.extend(_info(event, "event", "d2e") for event in EVENTS)
    return infos


CATALOGUE: Mapping[str, KindInfo] = {
    info.kind: info
    for info in (
        _info(Hello, "request", "e2d", plain=True, sealed=False, reply=HelloOk),
        _info(HelloOk, "reply", "d2e", plain=True, sealed=False),
        _info(PairBegin, "request", "e2d", plain=True, sealed=False, reply=PairKey),
        _info(PairKey, "reply", "d2e", plain=True, sealed=False),
        _info(PairReveal, "event", "e2d", plain=True, sealed=False),
        _info(PairConfirm, "request", "e2d", plain=True, sealed=False, reply=PairDone),
        _info(PairDone, "reply", "d2e", plain=True, sealed=False),
        _info(PairCancel, "event", "both", plain=True, sealed=False),
        _info(Error, "reply", "both", plain=True, sealed=True),
        _info(SessionOpen, "request", "e2d", reply=SessionOpened),
        _info(SessionOpened, "reply", "d2e"),
        _info(BrowserInfo, "request", "d2e", reply=BrowserInfoResult),
        _info(BrowserInfoResult, "reply", "e2d"),
        _info(Ping, "request", "both", reply=Pong),
        _info(Pong, "reply", "both"),
        _info(Echo, "request", "e2d", reply=EchoResult),
        _info(EchoResult, "reply", "d2e"),
        _info(KeyRotate, "request", "d2e", reply=KeyRotated),
        _info(KeyRotated, "reply", "e2d"),
        *_browser_infos(),
        *_run_infos(),
    )
}

#: Kinds that may travel in a plain frame (§4); any other plain kind is refused with 2003.
PLAIN_KINDS: frozenset[str] = frozenset(k for k, info in CATALOGUE.items() if info.plain)


# --- parsing and building ------------------------------------------------------------------------------


def _describe(exc: ValidationError) -> str:
    err = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in err["loc"]) or "body"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"body.{where}: {err['msg']}{more}" if where != "body" else f"body: {err['msg']}{more}"


def parse_body(kind: str, body: Any) -> Message:
    """Validate a received ``kind`` and ``body`` into its model.

    Raises :class:`~webbridge.errors.UnknownKind` when ``kind`` is not in :data:`CATALOGUE` (or not a
    string) and :class:`~webbridge.errors.InvalidMessage` when ``body`` is not an object of that kind's
    shape; the message names the first offending field and never echoes its value.
    """
    info = CATALOGUE.get(kind) if isinstance(kind, str) else None
    if info is None:
        shown = kind[:64] if isinstance(kind, str) else type(kind).__name__
        raise UnknownKind(f"unknown kind {shown!r}")
    if not isinstance(body, dict):
        raise InvalidMessage(f"{kind}: body must be an object")
    if "kind" in body:
        raise InvalidMessage(f"{kind}: body.kind: Extra inputs are not permitted")
    try:
        return info.model.model_validate(body)
    except ValidationError as exc:
        raise InvalidMessage(f"{kind}: {_describe(exc)}") from None


def body_of(msg: Message) -> dict[str, Any]:
    """The wire body of ``msg``: its fields without ``kind`` (absent optional echo fields are omitted)."""
    return msg.model_dump(exclude={"kind"}, exclude_none=isinstance(msg, EchoResult))


def check_protocol(msg: Hello | HelloOk) -> None:
    """Refuse a downgrade (C12): raises :class:`~webbridge.errors.UnsupportedProtocol` unless ``wb1``."""
    offered = msg.proto if isinstance(msg, Hello) else [msg.proto]
    if PROTOCOL not in offered:
        raise UnsupportedProtocol(f"protocol {PROTOCOL!r} not offered")


def echo_reply(req: Echo) -> EchoResult:
    """The reply the daemon gives to ``echo``: the data itself, or its UTF-8 size and SHA-256."""
    if req.mode == "echo":
        return EchoResult(data=req.data)
    raw = req.data.encode("utf-8")
    return EchoResult(size=len(raw), sha256=hashlib.sha256(raw).hexdigest())
