"""One error tree for WebBridge, sorted by who must act.

Every error carries a numeric ``code`` and a ``name`` from the table in ``docs/PROTOCOL.md`` §8, so the same
failure reads the same in the daemon log, on the wire, in the extension and in the CLI.

- :class:`ProtocolError` and its children: the peer sent something we refuse (framing, message, auth).
  :class:`SessionError` subclasses end the session.
- :class:`ChannelError`: a request could not complete (timeout, connection closed, remote error, busy).
- :class:`BridgeError`: a CLI or daemon-level failure the user must act on.
- :class:`ConfigError`: a setting or file is wrong; the message names it.
"""

from __future__ import annotations

from typing import Any, ClassVar


class WebBridgeError(Exception):
    """Base of every error WebBridge raises on purpose."""

    code: ClassVar[int] = 5003
    name: ClassVar[str] = "internal"

    def __init__(self, message: str = "", **detail: Any) -> None:
        super().__init__(message or self.name)
        self.message = message or self.name
        self.detail = detail

    def to_wire(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "message": self.message}

    def __str__(self) -> str:
        return f"[{self.code} {self.name}] {self.message}"


class InternalError(WebBridgeError):
    code, name = 5003, "internal"


# --- protocol: what the peer sent ---------------------------------------------------------------------


class ProtocolError(WebBridgeError):
    """The peer sent something we refuse."""


class FramingError(ProtocolError):
    """A frame could not be read. ``fatal`` errors leave the byte stream unusable: close the connection."""

    fatal: ClassVar[bool] = False


class FrameTruncated(FramingError):
    code, name, fatal = 1001, "frame_truncated", True


class FrameEmpty(FramingError):
    code, name, fatal = 1002, "frame_empty", True


class FrameTooLarge(FramingError):
    code, name, fatal = 1003, "frame_too_large", True


class InvalidUtf8(FramingError):
    code, name = 1004, "invalid_utf8"


class InvalidJson(FramingError):
    code, name = 1005, "invalid_json"


class JsonTooDeep(FramingError):
    code, name = 1006, "json_too_deep"


class JsonLimits(FramingError):
    code, name = 1007, "json_limits"


class DuplicateKey(FramingError):
    code, name = 1008, "duplicate_key"


class NotAnObject(FramingError):
    code, name = 1009, "not_an_object"


class BadChunk(FramingError):
    code, name = 1010, "bad_chunk"


class MessageError(ProtocolError):
    """The frame parsed but is not a message we accept here."""


class UnknownKind(MessageError):
    code, name = 2001, "unknown_kind"


class InvalidMessage(MessageError):
    code, name = 2002, "invalid_message"


class UnexpectedKind(MessageError):
    code, name = 2003, "unexpected_kind"


class UnsupportedProtocol(MessageError):
    code, name = 2004, "unsupported_protocol"


class AuthError(ProtocolError):
    """Authentication failed."""


class SessionError(AuthError):
    """An authentication failure on a sealed frame: the session ends and the peer must handshake again."""


class MissingMac(SessionError):
    code, name = 3001, "missing_mac"


class BadMac(SessionError):
    code, name = 3002, "bad_mac"


class BadSequence(SessionError):
    code, name = 3003, "bad_sequence"


class ClockSkew(SessionError):
    code, name = 3004, "clock_skew"


class BadSession(SessionError):
    code, name = 3005, "bad_session"


class NotPaired(AuthError):
    code, name = 3006, "not_paired"


class UnsolicitedReply(AuthError):
    code, name = 3007, "unsolicited_reply"


class PairingFailed(AuthError):
    code, name = 3008, "pairing_failed"


class PairingExpired(AuthError):
    code, name = 3009, "pairing_expired"


class OriginRefused(AuthError):
    code, name = 3010, "origin_refused"


class KeystoreInsecure(AuthError):
    code, name = 3011, "keystore_insecure"


# --- channel: a request could not complete ------------------------------------------------------------


class ChannelError(WebBridgeError):
    """A request over a channel did not complete."""


class RequestTimeout(ChannelError):
    code, name = 4001, "timeout"


class ChannelClosed(ChannelError):
    code, name = 4002, "channel_closed"


class RemoteError(ChannelError):
    """The peer answered a request with an error; ``remote_code``/``remote_name`` say which."""

    code, name = 4003, "remote_error"

    def __init__(self, message: str = "", *, remote_code: int = 5003, remote_name: str = "internal") -> None:
        super().__init__(message, remote_code=remote_code, remote_name=remote_name)
        self.remote_code = remote_code
        self.remote_name = remote_name

    def __str__(self) -> str:
        return f"[{self.remote_code} {self.remote_name}] {self.message}"


class Busy(ChannelError):
    code, name = 4004, "busy"


# --- browser control: outcomes the agent sees as tool results and can recover from ----------------------


class BrowserActionError(WebBridgeError):
    """An action in the browser did not happen, and nothing happened elsewhere instead (6xxx)."""


class StaleRef(BrowserActionError):
    code, name = 6001, "stale_ref"


class NavigatedAway(BrowserActionError):
    code, name = 6002, "navigated_away"


class NotActionable(BrowserActionError):
    code, name = 6003, "not_actionable"


class UrlBlocked(BrowserActionError):
    code, name = 6004, "url_blocked"


class TabNotFound(BrowserActionError):
    code, name = 6005, "tab_not_found"


class WaitTimeout(BrowserActionError):
    code, name = 6006, "wait_timeout"


class ActionFailed(BrowserActionError):
    code, name = 6007, "action_failed"


# --- bridge and daemon: the user must act --------------------------------------------------------------


class BridgeError(WebBridgeError):
    """A daemon-level failure the user must act on."""


class BridgeNotFound(BridgeError):
    code, name = 5001, "bridge_not_found"


class DaemonUnavailable(BridgeError):
    code, name = 5002, "daemon_unavailable"


class ConfigError(WebBridgeError):
    """A setting or file is wrong; the message names the field or path."""

    code, name = 5004, "config_error"


def _all_codes() -> dict[int, type[WebBridgeError]]:
    found: dict[int, type[WebBridgeError]] = {}
    stack: list[type[WebBridgeError]] = [WebBridgeError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if "code" in cls.__dict__:
            found.setdefault(cls.code, cls)
    return found


#: code -> the most specific class with that code; used to rebuild errors received on the wire.
BY_CODE: dict[int, type[WebBridgeError]] = _all_codes()


def from_wire(data: dict[str, Any]) -> RemoteError:
    """Turn an ``error`` body received from a peer into a :class:`RemoteError`."""
    code = data.get("code")
    name = data.get("name")
    message = data.get("message")
    return RemoteError(
        str(message)[:500] if isinstance(message, str) else "remote error",
        remote_code=code if isinstance(code, int) else 5003,
        remote_name=name if isinstance(name, str) else "internal",
    )
