"""base64url, HKDF/HMAC and session keys (PROTOCOL.md §3)."""

from __future__ import annotations

import base64

import pytest

from webbridge.errors import BadMac
from webbridge.protocol import signing
from webbridge.protocol.b64url import B64Error, decode, encode, encoded_length

from ._wire import NONCE_D, NONCE_E, SECRET, SID


@pytest.mark.parametrize("size", range(0, 70))
def test_b64url_round_trips_without_padding(size: int) -> None:
    data = bytes((i * 37 + size) % 256 for i in range(size))
    text = encode(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert len(text) == encoded_length(size)
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert decode(text) == data


@pytest.mark.parametrize(
    "text",
    ["AAA=", "AA==", "ab+c", "ab/c", "ab c", "ab\nc", "abcde", "é", "AB", "AAB", "AAAAAB", "\x00"],
    ids=["pad1", "pad2", "plus", "slash", "space", "newline", "len4k+1", "non-ascii", "bits2", "bits3",
         "bits2b", "nul"],
)  # fmt: skip
def test_b64url_decode_is_strict(text: str) -> None:
    with pytest.raises(B64Error):
        decode(text)


def test_b64url_decode_refuses_non_strings() -> None:
    with pytest.raises(B64Error):
        decode(b"AAAA")  # type: ignore[arg-type]


def test_signing_reexports_b64url() -> None:
    assert signing.b64url_encode(b"\xff\xfe") == "__4"
    assert signing.b64url_decode("__4") == b"\xff\xfe"


def test_hkdf_matches_rfc5869_case_1() -> None:
    ikm = bytes.fromhex("0b" * 22)
    salt = bytes.fromhex("000102030405060708090a0b0c")
    info = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9")
    okm = signing.hkdf(ikm, salt, info, 42)
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


def test_hmac_matches_rfc4231_case_2() -> None:
    mac = signing.hmac_sha256(b"Jefe", b"what do ya want for nothing?")
    assert mac.hex() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_session_keys_differ_per_direction_and_per_input() -> None:
    base = signing.derive_session_keys(SECRET, NONCE_E, NONCE_D, SID)
    assert base.e2d != base.d2e and len(base.e2d) == len(base.d2e) == 32
    variants = [
        signing.derive_session_keys(bytes(32), NONCE_E, NONCE_D, SID),
        signing.derive_session_keys(SECRET, bytes(32), NONCE_D, SID),
        signing.derive_session_keys(SECRET, NONCE_E, bytes(32), SID),
        signing.derive_session_keys(SECRET, NONCE_D, NONCE_E, SID),  # swapped nonces
        signing.derive_session_keys(SECRET, NONCE_E, NONCE_D, "A" * 22),
    ]
    seen = {base.e2d, base.d2e}
    for keys in variants:
        assert keys.e2d not in seen and keys.d2e not in seen
        seen |= {keys.e2d, keys.d2e}


def test_session_keys_follow_the_documented_derivation() -> None:
    keys = signing.derive_session_keys(SECRET, NONCE_E, NONCE_D, SID)
    salt = NONCE_E + NONCE_D
    assert keys.e2d == signing.hkdf(SECRET, salt, f"wb1 session {SID} e2d".encode())
    assert keys.d2e == signing.hkdf(SECRET, salt, f"wb1 session {SID} d2e".encode())


def test_session_keys_never_appear_in_repr() -> None:
    keys = signing.derive_session_keys(SECRET, NONCE_E, NONCE_D, SID)
    assert keys.e2d.hex() not in repr(keys) and "hidden" in repr(keys)


@pytest.mark.parametrize(
    ("secret", "nonce_e", "nonce_d", "sid"),
    [
        (bytes(31), NONCE_E, NONCE_D, SID),
        (SECRET, bytes(33), NONCE_D, SID),
        (SECRET, NONCE_E, b"", SID),
        (SECRET, NONCE_E, NONCE_D, SID[:-1]),
        (SECRET, NONCE_E, NONCE_D, "é" * 22),
    ],
)
def test_session_key_inputs_are_checked(secret: bytes, nonce_e: bytes, nonce_d: bytes, sid: str) -> None:
    with pytest.raises(ValueError):
        signing.derive_session_keys(secret, nonce_e, nonce_d, sid)


def test_mac_and_verify() -> None:
    key = bytes(range(32))
    p = '{"v":1,"kind":"ping","body":{"é":1}}'.encode()
    mac = signing.mac(key, p)
    assert len(mac) == signing.MAC_LENGTH == 43
    assert decode(mac) == signing.hmac_sha256(key, p)
    signing.verify(key, p, mac)


@pytest.mark.parametrize(
    "bad",
    [
        lambda m: m[:-1] + ("A" if m[-1] != "A" else "B"),
        lambda m: m[:42],
        lambda m: m + "A",
        lambda m: "",
        lambda m: "é" * 43,
        lambda m: "\ud800" * 43,
        lambda m: m.upper(),
    ],
)
def test_verify_refuses_anything_but_the_exact_mac(bad: object) -> None:
    key = bytes(range(32))
    p = b'{"v":1}'
    mac = signing.mac(key, p)
    with pytest.raises(BadMac) as info:
        signing.verify(key, p, bad(mac))  # type: ignore[operator]
    assert info.value.code == 3002


def test_verify_refuses_another_key_and_another_message() -> None:
    key = bytes(range(32))
    mac = signing.mac(key, b"a")
    with pytest.raises(BadMac):
        signing.verify(bytes(32), b"a", mac)
    with pytest.raises(BadMac):
        signing.verify(key, b"b", mac)
    assert signing.constant_time_equal(b"abc", b"abc") and not signing.constant_time_equal(b"abc", b"abd")
