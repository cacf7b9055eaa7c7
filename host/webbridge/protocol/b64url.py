"""Strict base64url without padding (RFC 4648 §5), the encoding of every binary value on the wire.

Decoding refuses padding, characters outside ``[A-Za-z0-9_-]``, impossible lengths and non-canonical
trailing bits, so every byte string has exactly one accepted text form.
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["B64Error", "decode", "encode", "encode_bytes", "encoded_length"]

_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")
_VALUES = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")}


class B64Error(ValueError):
    """The text is not canonical unpadded base64url."""


def encode(data: bytes | bytearray | memoryview) -> str:
    """Encode ``data`` as base64url without padding."""
    return encode_bytes(data).decode("ascii")


def encode_bytes(data: bytes | bytearray | memoryview) -> bytes:
    """:func:`encode`, as ASCII bytes."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def encoded_length(size: int) -> int:
    """Length of the unpadded base64url text of ``size`` bytes."""
    return (size * 4 + 2) // 3


def decode(text: str) -> bytes:
    """Decode canonical unpadded base64url.

    Raises :class:`B64Error` (a ``ValueError``) on padding, bad characters, a length of ``4k + 1``, or
    non-zero unused bits in the last character.
    """
    if not isinstance(text, str) or _ALPHABET.fullmatch(text) is None:
        raise B64Error("not base64url: characters outside [A-Za-z0-9_-]")
    rest = len(text) % 4
    if rest == 1:
        raise B64Error("not base64url: impossible length")
    # Canonical form: the bits of the last character that carry no data must be zero.
    if rest and _VALUES[text[-1]] & (0x0F if rest == 2 else 0x03):
        raise B64Error("not base64url: non-canonical trailing bits")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:  # unreachable after the checks above; kept as a typed boundary
        raise B64Error(f"not base64url: {exc}") from exc
