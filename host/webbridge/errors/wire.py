"""Errors for what the peer sent (1xxx framing, 2xxx messages, 3xxx authentication and pairing).

:class:`SessionError` subclasses end the session; ``fatal`` :class:`FramingError` subclasses leave the byte
stream unusable.
"""

from __future__ import annotations

from typing import ClassVar

from .base import WebBridgeError

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
