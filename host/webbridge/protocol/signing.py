"""Keys and MACs of sealed envelopes (``docs/PROTOCOL.md`` §3).

Primitives come from ``cryptography`` (HKDF-SHA256, HMAC-SHA256); comparison uses
:func:`hmac.compare_digest`. Binary values travel as unpadded base64url (:mod:`.b64url`).
"""

from __future__ import annotations

import hmac as _hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _chmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from webbridge.errors import BadMac
from webbridge.protocol.b64url import B64Error
from webbridge.protocol.b64url import decode as b64url_decode
from webbridge.protocol.b64url import encode as b64url_encode

__all__ = [
    "KEY_SIZE",
    "MAC_LENGTH",
    "NONCE_SIZE",
    "SID_LENGTH",
    "B64Error",
    "SessionKeys",
    "b64url_decode",
    "b64url_encode",
    "constant_time_equal",
    "derive_session_keys",
    "hkdf",
    "hmac_sha256",
    "mac",
    "verify",
]

#: Size of the long-term secret ``S`` and of every derived key.
KEY_SIZE = 32
#: Size of the hello nonces.
NONCE_SIZE = 32
#: Characters of a session id (16 random bytes).
SID_LENGTH = 22
#: Characters of a MAC on the wire (32 bytes).
MAC_LENGTH = 43


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """The two per-connection keys: ``e2d`` seals extension → daemon, ``d2e`` daemon → extension."""

    e2d: bytes
    d2e: bytes

    def __repr__(self) -> str:  # keys never reach a log
        return "SessionKeys(<hidden>)"


def hkdf(ikm: bytes, salt: bytes, info: bytes, length: int = KEY_SIZE) -> bytes:
    """HKDF-SHA256 (RFC 5869)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA256 of ``data``."""
    h = _chmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def constant_time_equal(a: bytes, b: bytes) -> bool:
    """Compare two byte strings without leaking where they differ."""
    return _hmac.compare_digest(a, b)


def derive_session_keys(secret: bytes, nonce_e: bytes, nonce_d: bytes, sid: str) -> SessionKeys:
    """Derive the keys of one connection from the pairing secret and both hello nonces.

    Raises ``ValueError`` when a size is wrong (a bug in the caller: the messages are validated first).
    """
    if len(secret) != KEY_SIZE or len(nonce_e) != NONCE_SIZE or len(nonce_d) != NONCE_SIZE:
        raise ValueError("secret and nonces must be 32 bytes each")
    if len(sid) != SID_LENGTH or not sid.isascii():
        raise ValueError(f"session id must be {SID_LENGTH} base64url characters")
    salt = nonce_e + nonce_d
    return SessionKeys(
        e2d=hkdf(secret, salt, f"wb1 session {sid} e2d".encode()),
        d2e=hkdf(secret, salt, f"wb1 session {sid} d2e".encode()),
    )


def mac(key: bytes, p_bytes: bytes) -> str:
    """The wire MAC of a signed part: 43 base64url characters."""
    return b64url_encode(hmac_sha256(key, p_bytes))


def verify(key: bytes, p_bytes: bytes, mac_str: str) -> None:
    """Check ``mac_str`` against ``p_bytes`` in constant time. Raises :class:`~webbridge.errors.BadMac`."""
    expected = mac(key, p_bytes).encode("ascii")
    # Compare the exact text (base64url is canonical here): bytes, so non-ASCII input cannot raise.
    if not _hmac.compare_digest(expected, mac_str.encode("utf-8", "surrogatepass")):
        raise BadMac("MAC does not verify")
