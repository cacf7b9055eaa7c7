"""Numeric-comparison pairing and key rotation (``docs/PROTOCOL.md`` §4).

The extension commits to its key before it sees the daemon's, so a man in the middle must fix both of its
keys blind and matches the six-digit code with probability 10⁻⁶ (C11). :class:`PairingResponder` is the
daemon's side, :class:`PairingInitiator` the extension's (used by the Python fake extension and tests);
both are small state machines that raise :class:`~webbridge.errors.PairingFailed` on any step out of order
or any check that fails, after which the object refuses every further step.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from webbridge.errors import BadMac, PairingExpired, PairingFailed
from webbridge.protocol import signing
from webbridge.protocol.b64url import decode as b64d
from webbridge.protocol.b64url import encode as b64e
from webbridge.protocol.messages import (
    BrowserDesc,
    KeyRotate,
    KeyRotated,
    PairBegin,
    PairConfirm,
    PairDone,
    PairKey,
    PairReveal,
)

__all__ = [
    "PAIRING_TTL_MS",
    "PairingInitiator",
    "PairingResponder",
    "PairingSecrets",
    "RotationInitiator",
    "commit",
    "confirm_mac",
    "derive_pairing",
    "ecdh",
    "generate_private_key",
    "load_public_key",
    "public_bytes",
    "respond_rotation",
    "rotation_secret",
    "transcript",
]

#: A pending pairing expires after 300 s.
PAIRING_TTL_MS = 300_000

Clock = Callable[[], int]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


# --- primitives ----------------------------------------------------------------------------------------


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    """A fresh ephemeral P-256 key."""
    return ec.generate_private_key(ec.SECP256R1())


def public_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    """The 65-byte uncompressed point of ``key``'s public half."""
    return key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def load_public_key(pk: bytes) -> ec.EllipticCurvePublicKey:
    """Load an uncompressed P-256 point.

    Raises :class:`~webbridge.errors.PairingFailed` if it is not a point on the curve.
    """
    if len(pk) != 65 or pk[0] != 0x04:
        raise PairingFailed("public key must be a 65-byte uncompressed P-256 point")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pk)
    except ValueError:
        raise PairingFailed("public key is not a point on P-256") from None


def ecdh(private: ec.EllipticCurvePrivateKey, peer_pk: bytes) -> bytes:
    """``Z``: the 32-byte x coordinate of the shared point.

    Raises :class:`~webbridge.errors.PairingFailed` for a bad peer key.
    """
    return private.exchange(ec.ECDH(), load_public_key(peer_pk))


def commit(pk_e: bytes, n_e: bytes) -> bytes:
    """The extension's commitment ``SHA-256(pk_e ‖ n_e)``."""
    return hashlib.sha256(pk_e + n_e).digest()


def transcript(pk_e: bytes, pk_d: bytes, n_e: bytes) -> bytes:
    """``T = SHA-256("wb1 pair" ‖ pk_e ‖ pk_d ‖ n_e)``."""
    return hashlib.sha256(b"wb1 pair" + pk_e + pk_d + n_e).digest()


class PairingSecrets(NamedTuple):
    """What both sides derive from ``Z`` and ``T``: ``(secret, sas, ck_e, ck_d)``."""

    secret: bytes
    sas: str
    ck_e: bytes
    ck_d: bytes

    def __repr__(self) -> str:
        return f"PairingSecrets(sas={self.sas!r}, <keys hidden>)"


def derive_pairing(z: bytes, t: bytes) -> PairingSecrets:
    """Derive ``S``, the six-digit SAS and the confirmation keys (§4)."""
    secret = signing.hkdf(z, t, b"wb1 secret")
    sas_int = int.from_bytes(signing.hkdf(z, t, b"wb1 sas", 4), "big") % 1_000_000
    return PairingSecrets(
        secret=secret,
        sas=f"{sas_int:06d}",
        ck_e=signing.hkdf(secret, t, b"wb1 confirm e"),
        ck_d=signing.hkdf(secret, t, b"wb1 confirm d"),
    )


def confirm_mac(ck: bytes, t: bytes) -> str:
    """``base64url(HMAC-SHA256(ck, T))``: the ``mac`` of ``pair.confirm`` and ``pair.done``."""
    return b64e(signing.hmac_sha256(ck, t))


def _check_mac(ck: bytes, t: bytes, received: str, who: str) -> None:
    try:
        signing.verify(ck, t, received)
    except BadMac:
        raise PairingFailed(f"{who} confirmation does not verify") from None


# --- daemon side ---------------------------------------------------------------------------------------


class PairingResponder:
    """The daemon's side of one pairing attempt.

    Steps, in order: :meth:`key_message` (reply to ``pair.begin``), :meth:`reveal` (check the commitment;
    returns the SAS), :meth:`check_confirm` (the extension's MAC), :meth:`done` (``pair.done``). Every step
    raises :class:`~webbridge.errors.PairingFailed` when out of order, on a mismatch, or after an earlier
    failure, and :class:`~webbridge.errors.PairingExpired` once :data:`PAIRING_TTL_MS` have passed since
    ``pair.begin``. Not thread-safe; one object per attempt.
    """

    def __init__(
        self,
        begin: PairBegin,
        *,
        private_key: ec.EllipticCurvePrivateKey | None = None,
        pair_id: str | None = None,
        clock: Clock = _now_ms,
    ) -> None:
        self.begin = begin
        self.pair_id = pair_id or b64e(os.urandom(16))
        self._key = private_key or generate_private_key()
        self._pk_d = public_bytes(self._key)
        self._clock = clock
        self.created_ms = clock()
        self._state = "keyed"
        self._t = b""
        self._secrets: PairingSecrets | None = None

    def _step(self, expected: str, pair_id: str | None = None) -> None:
        if self._state == "failed":
            raise PairingFailed("pairing already failed")
        if self._clock() - self.created_ms > PAIRING_TTL_MS:
            self._state = "failed"
            raise PairingExpired("pairing request expired")
        if self._state != expected:
            self._fail(f"unexpected step in state {self._state!r}")
        if pair_id is not None and pair_id != self.pair_id:
            self._fail("pair_id does not match")

    def _fail(self, why: str) -> None:
        self._state = "failed"
        raise PairingFailed(why)

    @property
    def expired(self) -> bool:
        return self._clock() - self.created_ms > PAIRING_TTL_MS

    @property
    def public_key(self) -> str:
        """``pk_d``, base64url."""
        return b64e(self._pk_d)

    def key_message(self) -> PairKey:
        """The ``pair.key`` reply (send with ``reply_to`` = the ``pair.begin`` id). Idempotent."""
        return PairKey(pair_id=self.pair_id, pk_d=b64e(self._pk_d))

    def reveal(self, msg: PairReveal) -> str:
        """Check the commitment, derive the secrets and return the six-digit SAS to show the user."""
        self._step("keyed", msg.pair_id)
        pk_e, n_e = b64d(msg.pk_e), b64d(msg.n_e)
        if not signing.constant_time_equal(commit(pk_e, n_e), b64d(self.begin.commit)):
            self._fail("commitment does not match the revealed key")
        try:
            z = ecdh(self._key, pk_e)
        except PairingFailed:
            self._state = "failed"
            raise
        self._t = transcript(pk_e, self._pk_d, n_e)
        self._secrets = derive_pairing(z, self._t)
        self._state = "revealed"
        return self._secrets.sas

    @property
    def sas(self) -> str:
        """The six-digit code; raises :class:`~webbridge.errors.PairingFailed` before :meth:`reveal`."""
        if self._secrets is None:
            raise PairingFailed("no code before pair.reveal")
        return self._secrets.sas

    def check_confirm(self, msg: PairConfirm) -> None:
        """Verify the extension's ``pair.confirm`` MAC (the user clicked "Codes match")."""
        self._step("revealed", msg.pair_id)
        assert self._secrets is not None
        try:
            _check_mac(self._secrets.ck_e, self._t, msg.mac, "extension")
        except PairingFailed:
            self._state = "failed"
            raise
        self._state = "confirmed"

    def done(self, pairing_id: str) -> PairDone:
        """The ``pair.done`` message, once the user also confirmed on the daemon side."""
        self._step("confirmed")
        assert self._secrets is not None
        self._state = "done"
        mac = confirm_mac(self._secrets.ck_d, self._t)
        return PairDone(pair_id=self.pair_id, pairing_id=pairing_id, mac=mac)

    @property
    def secret(self) -> bytes:
        """The long-term secret ``S``; only after both confirmations (:meth:`done`)."""
        if self._state != "done" or self._secrets is None:
            raise PairingFailed("secret is only available once pairing is done")
        return self._secrets.secret


# --- extension side ------------------------------------------------------------------------------------


class PairingInitiator:
    """The extension's side: :meth:`begin_message`, :meth:`on_key`, :meth:`confirm_message`, :meth:`on_done`.

    Raises :class:`~webbridge.errors.PairingFailed` on a step out of order or a bad ``pair.done`` MAC.
    """

    def __init__(
        self,
        *,
        label: str,
        browser: BrowserDesc,
        profile: str,
        private_key: ec.EllipticCurvePrivateKey | None = None,
        nonce: bytes | None = None,
    ) -> None:
        self._key = private_key or generate_private_key()
        self._pk_e = public_bytes(self._key)
        self._n_e = nonce if nonce is not None else os.urandom(32)
        self._begin = PairBegin(
            commit=b64e(commit(self._pk_e, self._n_e)), label=label, browser=browser, profile=profile
        )
        self._state = "begun"
        self.pair_id: str | None = None
        self.pairing_id: str | None = None
        self._t = b""
        self._secrets: PairingSecrets | None = None

    def _expect(self, state: str) -> None:
        if self._state != state:
            was, self._state = self._state, "failed"
            raise PairingFailed(f"unexpected step in state {was!r}")

    def begin_message(self) -> PairBegin:
        return self._begin

    def on_key(self, msg: PairKey) -> PairReveal:
        """Take ``pair.key``, derive the secrets and return the ``pair.reveal`` to send."""
        self._expect("begun")
        pk_d = b64d(msg.pk_d)
        try:
            z = ecdh(self._key, pk_d)
        except PairingFailed:
            self._state = "failed"
            raise
        self.pair_id = msg.pair_id
        self._t = transcript(self._pk_e, pk_d, self._n_e)
        self._secrets = derive_pairing(z, self._t)
        self._state = "revealed"
        return PairReveal(pair_id=msg.pair_id, pk_e=b64e(self._pk_e), n_e=b64e(self._n_e))

    @property
    def sas(self) -> str:
        if self._secrets is None:
            raise PairingFailed("no code before pair.key")
        return self._secrets.sas

    def confirm_message(self) -> PairConfirm:
        """``pair.confirm``, sent when the user clicks "Codes match". Idempotent."""
        if self._secrets is None or self.pair_id is None or self._state not in ("revealed", "confirmed"):
            raise PairingFailed("nothing to confirm")
        self._state = "confirmed"
        return PairConfirm(pair_id=self.pair_id, mac=confirm_mac(self._secrets.ck_e, self._t))

    def on_done(self, msg: PairDone) -> str:
        """Verify the daemon's ``pair.done`` MAC; returns the pairing id."""
        self._expect("confirmed")
        assert self._secrets is not None
        if msg.pair_id != self.pair_id:
            self._state = "failed"
            raise PairingFailed("pair_id does not match")
        try:
            _check_mac(self._secrets.ck_d, self._t, msg.mac, "daemon")
        except PairingFailed:
            self._state = "failed"
            raise
        self._state = "done"
        self.pairing_id = msg.pairing_id
        return msg.pairing_id

    @property
    def secret(self) -> bytes:
        if self._state != "done" or self._secrets is None:
            raise PairingFailed("secret is only available once pairing is done")
        return self._secrets.secret


# --- key rotation (C8) ---------------------------------------------------------------------------------


def rotation_secret(z: bytes, pk_d: bytes, pk_e: bytes) -> bytes:
    """``S' = HKDF(Z', salt = SHA-256("wb1 rotate" ‖ pk_d ‖ pk_e), info = "wb1 secret")``."""
    salt = hashlib.sha256(b"wb1 rotate" + pk_d + pk_e).digest()
    return signing.hkdf(z, salt, b"wb1 secret")


class RotationInitiator:
    """The daemon's side of a rotation: send :meth:`request`, then :meth:`finish` with the verified reply."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey | None = None) -> None:
        self._key = private_key or generate_private_key()
        self._pk_d = public_bytes(self._key)

    @property
    def public_key(self) -> str:
        """The fresh ``pk_d``, base64url."""
        return b64e(self._pk_d)

    def request(self) -> KeyRotate:
        return KeyRotate(pk=self.public_key)

    def finish(self, reply: KeyRotated) -> bytes:
        """``S'`` from the extension's ``key.rotated``. Raises :class:`~webbridge.errors.PairingFailed`."""
        pk_e = b64d(reply.pk)
        return rotation_secret(ecdh(self._key, pk_e), self._pk_d, pk_e)


def respond_rotation(
    req: KeyRotate, private_key: ec.EllipticCurvePrivateKey | None = None
) -> tuple[KeyRotated, bytes]:
    """The extension's side: the ``key.rotated`` reply and ``S'``.

    Raises :class:`~webbridge.errors.PairingFailed` for a bad daemon key.
    """
    key = private_key or generate_private_key()
    pk_e = public_bytes(key)
    pk_d = b64d(req.pk)
    return KeyRotated(pk=b64e(pk_e)), rotation_secret(ecdh(key, pk_d), pk_d, pk_e)
