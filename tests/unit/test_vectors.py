"""The shared vectors in tests/vectors/ are current, and the implementation agrees with every case.

These read the committed JSON (what the JavaScript tests read) rather than regenerating it, and recompute
each value from its inputs with the public API.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from webbridge.errors import WebBridgeError
from webbridge.protocol import jsonstrict, pairing, signing
from webbridge.protocol.b64url import decode as b64d
from webbridge.protocol.b64url import encode as b64e
from webbridge.protocol.framing import ChunkAssembler
from webbridge.protocol.messages import parse_body
from webbridge.protocol.session import Session

from ._wire import FrozenClock

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
SIGNING = json.loads((VECTORS / "signing.json").read_text(encoding="utf-8"))
FRAMES = json.loads((VECTORS / "frames.json").read_text(encoding="utf-8"))


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vectors_generate", VECTORS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def code_of(fn: Any) -> int | None:
    try:
        fn()
    except WebBridgeError as exc:
        return exc.code
    return None


def test_committed_vectors_are_current() -> None:
    assert load_generator().main(["--check"]) == 0, "stale: run python tests/vectors/generate.py"


def test_vectors_cover_what_the_js_side_needs() -> None:
    names = {c["name"] for c in FRAMES["strict_json"]}
    required = {
        "bom", "nan", "infinity", "comment_line", "comment_block", "trailing_garbage", "duplicate_key",
        "ok_depth_64", "depth_65", "depth_100000", "int_21_digits", "float_overflow", "lone_high_surrogate",
        "bad_utf8_overlong_slash", "top_array",
    }  # fmt: skip
    assert required <= names
    kinds = {c["kind"] for c in FRAMES["messages"] if c["ok"]}
    assert kinds >= {"hello", "hello.ok", "pair.begin", "ping", "echo", "key.rotate", "error"}
    assert {r["code"] for s in SIGNING["session"] for r in s["rejects"]} >= {
        None, 3001, 3002, 3003, 3004, 3005, 2001, 2002, 2003,
    }  # fmt: skip


@pytest.mark.parametrize("case", FRAMES["strict_json"], ids=lambda c: c["name"])
def test_strict_json_case(case: dict[str, Any]) -> None:
    code = code_of(lambda: jsonstrict.loads(b64d(case["text_b64"])))
    assert code == case["code"] and (code is None) == case["ok"]


@pytest.mark.parametrize("case", FRAMES["messages"], ids=lambda c: c["name"])
def test_message_case(case: dict[str, Any]) -> None:
    code = code_of(lambda: parse_body(case["kind"], case["body"]))
    assert code == case["code"] and (code is None) == case["ok"]


@pytest.mark.parametrize("case", FRAMES["chunks"], ids=lambda c: c["name"])
def test_chunk_case(case: dict[str, Any]) -> None:
    asm = ChunkAssembler()
    for frame, expected in zip(case["frames"], case["results"], strict=True):
        try:
            got = asm.feed(frame)
        except WebBridgeError as exc:
            assert expected == {"code": exc.code}
        else:
            assert expected == (None if got is None else {"payload_b64": b64e(got)})


@pytest.mark.parametrize("vector", SIGNING["session"], ids=lambda v: v["name"])
def test_session_vector(vector: dict[str, Any]) -> None:
    secret, nonce_e, nonce_d = b64d(vector["secret"]), b64d(vector["nonce_e"]), b64d(vector["nonce_d"])
    keys = signing.derive_session_keys(secret, nonce_e, nonce_d, vector["sid"])
    assert (keys.e2d.hex(), keys.d2e.hex()) == (vector["k_e2d_hex"], vector["k_d2e_hex"])
    clock_at = 1_700_000_001_000
    receivers = {
        "e2d": Session("daemon", vector["sid"], keys, clock=lambda: clock_at),
        "d2e": Session("extension", vector["sid"], keys, clock=lambda: clock_at),
    }
    for frame in vector["frames"]:
        key = keys.e2d if frame["direction"] == "e2d" else keys.d2e
        assert signing.mac(key, frame["p"].encode()) == frame["mac"]
        outer = jsonstrict.loads(frame["outer"].encode())
        assert outer == {"v": 1, "sid": vector["sid"], "mac": frame["mac"], "p": frame["p"]}
        receivers[frame["direction"]].open(outer)
    for case in vector["rejects"]:
        session = Session(case["receiver"], vector["sid"], keys, clock=FrozenClock(case["now"]))
        session.received_seq = case["received_seq"]
        outer = jsonstrict.loads(case["outer"])
        got = code_of(lambda s=session, o=outer: s.open(o))
        assert got == case["code"], case["name"]


def private_key(jwk: dict[str, str]) -> ec.EllipticCurvePrivateKey:
    key = ec.derive_private_key(int.from_bytes(b64d(jwk["d"]), "big"), ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    assert (b64e(numbers.x.to_bytes(32, "big")), b64e(numbers.y.to_bytes(32, "big"))) == (jwk["x"], jwk["y"])
    return key


@pytest.mark.parametrize("vector", SIGNING["pairing"], ids=lambda v: v["name"])
def test_pairing_vector(vector: dict[str, Any]) -> None:
    key_e, key_d = private_key(vector["priv_e_jwk"]), private_key(vector["priv_d_jwk"])
    pk_e, pk_d, n_e = b64d(vector["pk_e"]), b64d(vector["pk_d"]), b64d(vector["n_e"])
    assert pairing.public_bytes(key_e) == pk_e and pairing.public_bytes(key_d) == pk_d
    assert b64e(hashlib.sha256(pk_e + n_e).digest()) == vector["commit"]
    z = pairing.ecdh(key_e, pk_d)
    assert z == pairing.ecdh(key_d, pk_e) and z.hex() == vector["z_hex"]
    t = pairing.transcript(pk_e, pk_d, n_e)
    assert t.hex() == vector["t_hex"]
    sec = pairing.derive_pairing(z, t)
    assert b64e(sec.secret) == vector["secret"] and sec.secret.hex() == vector["secret_hex"]
    assert sec.sas == vector["sas"]
    assert (sec.ck_e.hex(), sec.ck_d.hex()) == (vector["ck_e_hex"], vector["ck_d_hex"])
    assert pairing.confirm_mac(sec.ck_e, t) == vector["confirm_e"]
    assert pairing.confirm_mac(sec.ck_d, t) == vector["confirm_d"]


@pytest.mark.parametrize("vector", SIGNING["rotation"], ids=lambda v: v["name"])
def test_rotation_vector(vector: dict[str, Any]) -> None:
    key_d, key_e = private_key(vector["priv_d_jwk"]), private_key(vector["priv_e_jwk"])
    pk_d, pk_e = b64d(vector["pk_d"]), b64d(vector["pk_e"])
    z = pairing.ecdh(key_e, pk_d)
    assert z == pairing.ecdh(key_d, pk_e) and z.hex() == vector["z_hex"]
    assert hashlib.sha256(b"wb1 rotate" + pk_d + pk_e).hexdigest() == vector["salt_hex"]
    assert pairing.rotation_secret(z, pk_d, pk_e).hex() == vector["secret_hex"]
    assert b64d(vector["secret"]).hex() == vector["secret_hex"]
