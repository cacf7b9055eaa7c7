"""Write the shared test vectors ``signing.json`` and ``frames.json`` (see ``README.md`` here).

Deterministic: every secret, private key, nonce, id and timestamp is fixed, so running this again writes the
same bytes. ``python tests/vectors/generate.py`` writes the files; ``--check`` exits 1 when they are stale
(``tests/unit/test_vectors.py`` runs the check).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from webbridge.errors import WebBridgeError
from webbridge.protocol import jsonstrict, pairing, signing
from webbridge.protocol.b64url import encode as b64e
from webbridge.protocol.framing import ChunkAssembler
from webbridge.protocol.messages import BrowserDesc, PairBegin, parse_body
from webbridge.protocol.session import Session

HERE = Path(__file__).resolve().parent
T0 = 1_700_000_000_000  # fixed "now" of every vector, in ms


def _h(label: str, size: int = 32) -> bytes:
    """A fixed pseudo-random byte string named by ``label``."""
    return hashlib.sha256(b"wb1 vector " + label.encode()).digest()[:size]


def _key(label: str) -> ec.EllipticCurvePrivateKey:
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return ec.derive_private_key(int.from_bytes(_h(label), "big") % (order - 1) + 1, ec.SECP256R1())


def _jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    nums = key.private_numbers()
    pub = nums.public_numbers
    return {
        "kty": "EC",
        "crv": "P-256",
        "d": b64e(nums.private_value.to_bytes(32, "big")),
        "x": b64e(pub.x.to_bytes(32, "big")),
        "y": b64e(pub.y.to_bytes(32, "big")),
    }


def _code(fn: Any) -> int | None:
    try:
        fn()
    except WebBridgeError as exc:
        return exc.code
    return None


# --- signing.json --------------------------------------------------------------------------------------

_BROWSER = {"name": "Chromium", "version": "156.0.0.0", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"}

# (direction, kind, body, reply_to-index or None); ids come from each side's counter (e1, e2... / d1, d2...)
_SCRIPT: list[tuple[str, str, dict[str, Any], str | None]] = [
    ("e2d", "session.open",
     {"label": "Work", "browser": _BROWSER, "profile": "Default", "ext_version": "0.1.0"}, None),
    ("d2e", "session.opened", {"bridge_id": "b1", "label": "Work"}, "e1"),
    ("d2e", "browser.info", {}, None),
    ("e2d", "browser.info.result", {
        "browser": "Chromium", "version": "156.0.0.0", "user_agent": "UA", "profile": "Default",
        "tabs": [{"id": 7, "window_id": 1, "url": "https://example.test/é?q=1&r=\"x\"",
                  "title": "Grüße 😀 \n\r\u001a tab", "active": True}],
    }, "d1"),
    ("e2d", "ping", {}, None),
    ("d2e", "pong", {"time": T0 + 5}, "e2"),
    ("e2d", "echo", {"data": "line1\nline2\r\n\u001a\u2028end", "mode": "digest"}, None),
    ("d2e", "error", {"code": 2002, "name": "invalid_message", "message": "echo: body.data: too long"}, "e3"),
]  # fmt: skip


def _session_vector(name: str, label: str) -> dict[str, Any]:
    secret, nonce_e, nonce_d = _h(label + " S"), _h(label + " ne"), _h(label + " nd")
    sid = b64e(_h(label + " sid", 16))
    keys = signing.derive_session_keys(secret, nonce_e, nonce_d, sid)
    clock = iter(range(T0, T0 + 10_000, 250))
    sides = {
        "e2d": Session("extension", sid, keys, clock=lambda: next(clock)),
        "d2e": Session("daemon", sid, keys, clock=lambda: next(clock)),
    }
    frames = []
    for direction, kind, body, reply_to in _SCRIPT:
        outer = sides[direction].seal(kind, body, reply_to=reply_to)
        p = outer["p"]
        frames.append({"direction": direction, "p": p, "mac": outer["mac"], "outer": jsonstrict.dumps(outer)})
    vector: dict[str, Any] = {
        "name": name,
        "secret": b64e(secret),
        "nonce_e": b64e(nonce_e),
        "nonce_d": b64e(nonce_d),
        "sid": sid,
        "k_e2d_hex": keys.e2d.hex(),
        "k_d2e_hex": keys.d2e.hex(),
        "frames": frames,
        "rejects": _rejects(sid, keys, "daemon") + _rejects(sid, keys, "extension"),
    }
    _self_check(vector, keys)
    return vector


def _forge(sid: str, key: bytes, env: dict[str, Any], *, outer_sid: str | None = None) -> dict[str, Any]:
    """A frame whose P is exactly ``env`` serialised and whose MAC is valid under ``key``."""
    p = jsonstrict.dumps(env)
    return {"v": 1, "sid": outer_sid or sid, "mac": signing.mac(key, p.encode()), "p": p}


def _rejects(sid: str, keys: signing.SessionKeys, receiver: str) -> list[dict[str, Any]]:
    """Frames ``receiver`` must refuse (or accept: code null), each after ``received_seq``, clock ``now``."""
    own, peer, prefix = (keys.e2d, keys.d2e, "e") if receiver == "daemon" else (keys.d2e, keys.e2d, "d")

    def env(**over: Any) -> dict[str, Any]:
        base = {"v": 1, "sid": sid, "seq": 1, "ts": T0, "id": f"{prefix}1", "reply_to": None, "kind": "ping",
                "body": {}}  # fmt: skip
        base.update(over)
        return base

    good = _forge(sid, own, env())
    flipped_p = good["p"].replace('"ping"', '"pinh"')
    other_sid = b64e(_h("other sid", 16))
    cases: list[tuple[str, dict[str, Any], int, int | None]] = [
        ("ok", good, 0, None),
        ("ok_ts_at_plus_window", _forge(sid, own, env(ts=T0 + 120_000)), 0, None),
        ("ok_ts_at_minus_window", _forge(sid, own, env(ts=T0 - 120_000)), 0, None),
        ("no_mac", {"v": 1, "sid": sid, "p": good["p"]}, 0, 3001),
        ("mac_not_string", {**good, "mac": 5}, 0, 3001),
        ("mac_42_chars", {**good, "mac": good["mac"][:42]}, 0, 3001),
        ("mac_bad_char", {**good, "mac": good["mac"][:42] + "+"}, 0, 3001),
        ("p_not_string", {**good, "p": {"v": 1}}, 0, 3001),
        ("p_tampered", {**good, "p": flipped_p}, 0, 3002),
        ("mac_tampered", {**good, "mac": ("A" if good["mac"][0] != "A" else "B") + good["mac"][1:]}, 0, 3002),
        ("reflected_key_of_other_direction", _forge(sid, peer, env()), 0, 3002),
        ("outer_sid_other", {**good, "sid": other_sid}, 0, 3005),
        ("inner_sid_other", _forge(sid, own, env(sid=other_sid)), 0, 3005),
        ("inner_v_2", _forge(sid, own, env(v=2)), 0, 3005),
        ("inner_extra_key", _forge(sid, own, {**env(), "x": 1}), 0, 3005),
        ("inner_seq_string", _forge(sid, own, env(seq="1")), 0, 3005),
        ("replayed_seq", good, 1, 3003),
        ("skipped_seq", _forge(sid, own, env(seq=3)), 1, 3003),
        ("seq_zero", _forge(sid, own, env(seq=0)), 0, 3003),
        ("ts_future", _forge(sid, own, env(ts=T0 + 120_001)), 0, 3004),
        ("ts_past", _forge(sid, own, env(ts=T0 - 120_001)), 0, 3004),
        ("unknown_kind", _forge(sid, own, env(kind="shell.exec")), 0, 2001),
        ("invalid_body", _forge(sid, own, env(kind="pong", body={"time": "now"})), 0, 2002),
        ("plain_only_kind_sealed",
         _forge(sid, own, env(kind="pair.cancel", body={"pair_id": None, "reason": "x"})), 0, 2003),
    ]  # fmt: skip
    return [
        {
            "name": n,
            "receiver": receiver,
            "received_seq": last,
            "now": T0,
            "outer": jsonstrict.dumps(f),
            "code": c,
        }
        for n, f, last, c in cases
    ]


def _self_check(vector: dict[str, Any], keys: signing.SessionKeys) -> None:
    """Open every frame and every reject with the Python implementation; the vectors must agree with it."""
    receivers = {
        "e2d": Session("daemon", vector["sid"], keys, clock=lambda: T0 + 1000),
        "d2e": Session("extension", vector["sid"], keys, clock=lambda: T0 + 1000),
    }
    for frame in vector["frames"]:
        receivers[frame["direction"]].open(jsonstrict.loads(frame["outer"]))
    for case in vector["rejects"]:
        session = Session(case["receiver"], vector["sid"], keys, clock=lambda: T0)
        session.received_seq = case["received_seq"]
        got = _code(lambda s=session, c=case: s.open(jsonstrict.loads(c["outer"])))
        assert got == case["code"], (case["name"], got)


def _pairing_vector(label: str) -> dict[str, Any]:
    key_e, key_d = _key(label + " e"), _key(label + " d")
    n_e, pair_id, pairing_id = (
        _h(label + " n_e"),
        b64e(_h(label + " pair_id", 16)),
        b64e(_h(label + " pid", 16)),
    )
    pk_e, pk_d = pairing.public_bytes(key_e), pairing.public_bytes(key_d)
    z = pairing.ecdh(key_e, pk_d)
    t = pairing.transcript(pk_e, pk_d, n_e)
    sec = pairing.derive_pairing(z, t)
    # Run both state machines to be sure the vector is what the implementation does.
    browser = BrowserDesc(**_BROWSER)
    ini = pairing.PairingInitiator(
        label="Work", browser=browser, profile="Default", private_key=key_e, nonce=n_e
    )
    res = pairing.PairingResponder(ini.begin_message(), private_key=key_d, pair_id=pair_id, clock=lambda: T0)
    reveal = ini.on_key(res.key_message())
    assert res.reveal(reveal) == ini.sas == sec.sas
    res.check_confirm(ini.confirm_message())
    assert ini.on_done(res.done(pairing_id)) == pairing_id and ini.secret == res.secret == sec.secret
    assert isinstance(ini.begin_message(), PairBegin)
    return {
        "name": label,
        "priv_e_jwk": _jwk(key_e),
        "priv_d_jwk": _jwk(key_d),
        "pk_e": b64e(pk_e),
        "pk_d": b64e(pk_d),
        "n_e": b64e(n_e),
        "commit": b64e(pairing.commit(pk_e, n_e)),
        "pair_id": pair_id,
        "pairing_id": pairing_id,
        "z_hex": z.hex(),
        "t_hex": t.hex(),
        "secret": b64e(sec.secret),
        "secret_hex": sec.secret.hex(),
        "sas": sec.sas,
        "ck_e_hex": sec.ck_e.hex(),
        "ck_d_hex": sec.ck_d.hex(),
        "confirm_e": pairing.confirm_mac(sec.ck_e, t),
        "confirm_d": pairing.confirm_mac(sec.ck_d, t),
    }


def _rotation_vector(label: str) -> dict[str, Any]:
    key_d, key_e = _key(label + " rd"), _key(label + " re")
    pk_d, pk_e = pairing.public_bytes(key_d), pairing.public_bytes(key_e)
    z = pairing.ecdh(key_d, pk_e)
    salt = hashlib.sha256(b"wb1 rotate" + pk_d + pk_e).digest()
    new = pairing.rotation_secret(z, pk_d, pk_e)
    init = pairing.RotationInitiator(key_d)
    reply, ext_new = pairing.respond_rotation(init.request(), key_e)
    assert init.finish(reply) == ext_new == new
    return {
        "name": label,
        "priv_d_jwk": _jwk(key_d),
        "priv_e_jwk": _jwk(key_e),
        "pk_d": b64e(pk_d),
        "pk_e": b64e(pk_e),
        "z_hex": z.hex(),
        "salt_hex": salt.hex(),
        "secret": b64e(new),
        "secret_hex": new.hex(),
    }


def signing_vectors() -> dict[str, Any]:
    return {
        "session": [_session_vector("basic", "session 1"), _session_vector("second", "session 2")],
        "pairing": [_pairing_vector("pairing 1"), _pairing_vector("pairing 2"), _pairing_vector("pairing 3")],
        "rotation": [_rotation_vector("rotation 1"), _rotation_vector("rotation 2")],
    }


# --- frames.json ---------------------------------------------------------------------------------------


def _deep(levels: int) -> bytes:
    """An object whose total nesting is ``levels`` (the top-level object counts as 1)."""
    return b'{"a":' + b"[" * (levels - 1) + b"]" * (levels - 1) + b"}"


_STRICT: list[tuple[str, bytes]] = [
    ("ok_simple", b'{"a":1}'),
    ("ok_empty_object", b"{}"),
    ("ok_whitespace_around", b' \t\r\n{"a" : [ 1 , 2 ] }\r\n '),
    ("ok_unicode_raw", '{"é":"Grüße 😀 \u2028"}'.encode()),
    ("ok_escaped_pair", b'{"a":"\\ud83d\\ude00"}'),
    ("ok_escaped_backslash_then_u", b'{"a":"\\\\ud800"}'),
    ("ok_control_escapes", b'{"a":"x\\n\\r\\u001a\\u0000\\t"}'),
    ("ok_20_digit_int", b'{"a":12345678901234567890}'),
    ("ok_20_digit_negative_int", b'{"a":-12345678901234567890}'),
    ("ok_big_finite_float", b'{"a":1.5e308,"b":-2.5E-300,"c":1e-999999}'),
    ("ok_negative_zero", b'{"a":-0,"b":-0.0}'),
    ("ok_depth_64", _deep(64)),
    ("ok_literals", b'{"a":true,"b":false,"c":null}'),
    ("bad_utf8_overlong_slash", b'{"a":"\xc0\xaf"}'),
    ("bad_utf8_overlong_3byte", b'{"a":"\xe0\x80\xaf"}'),
    ("bad_utf8_encoded_surrogate", b'{"a":"\xed\xa0\x80"}'),
    ("bad_utf8_truncated", b'{"a":"\xe2\x82"}'),
    ("bad_utf8_ff_byte", b'{"a":"\xff"}'),
    ("bad_utf8_above_max", b'{"a":"\xf4\x90\x80\x80"}'),
    ("bad_utf8_lone_continuation", b'{"a":"\x80"}'),
    ("bom", b'\xef\xbb\xbf{"a":1}'),
    ("nan", b'{"a":NaN}'),
    ("infinity", b'{"a":Infinity}'),
    ("negative_infinity", b'{"a":-Infinity}'),
    ("comment_line", b'{"a":1}// c'),
    ("comment_block", b'/* c */{"a":1}'),
    ("trailing_garbage", b'{"a":1}x'),
    ("two_values", b"{}{}"),
    ("trailing_comma", b'{"a":1,}'),
    ("single_quotes", b"{'a':1}"),
    ("unquoted_key", b"{a:1}"),
    ("leading_zero", b'{"a":01}'),
    ("leading_plus", b'{"a":+1}'),
    ("bare_fraction", b'{"a":.5}'),
    ("hex_number", b'{"a":0x10}'),
    ("raw_newline_in_string", b'{"a":"x\ny"}'),
    ("raw_nul_in_string", b'{"a":"x\x00y"}'),
    ("invalid_escape", b'{"a":"\\x41"}'),
    ("empty_text", b""),
    ("whitespace_only", b"  \n"),
    ("unterminated", b'{"a":1'),
    ("depth_65", _deep(65)),
    ("depth_100000", _deep(100_000)),
    ("int_21_digits", b'{"a":123456789012345678901}'),
    ("int_400_digits", b'{"a":' + b"9" * 400 + b"}"),
    ("float_overflow", b'{"a":1e999999}'),
    ("float_overflow_negative", b'{"a":-1e999999}'),
    ("float_overflow_long_mantissa", b'{"a":' + b"9" * 400 + b".0}"),
    ("lone_high_surrogate", b'{"a":"\\ud800"}'),
    ("lone_low_surrogate", b'{"a":"\\udc00"}'),
    ("reversed_surrogates", b'{"a":"\\udc00\\ud800"}'),
    ("lone_surrogate_in_key", b'{"\\udbff":1}'),
    ("duplicate_key", b'{"kind":"a","kind":"b"}'),
    ("duplicate_key_by_escape", b'{"a":1,"\\u0061":2}'),
    ("duplicate_key_nested", b'{"b":{"x":1,"x":1}}'),
    ("top_array", b"[]"),
    ("top_string", b'"x"'),
    ("top_number", b"1"),
    ("top_null", b"null"),
    ("top_true", b"true"),
]


def _noncanonical(text: str) -> str:
    """``text`` with a set bit in the unused low bits of its last character (decodes to the same bytes)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return text[:-1] + alphabet[alphabet.index(text[-1]) | 1]


def _pk(label: str) -> str:
    return b64e(pairing.public_bytes(_key(label)))


def _message_cases() -> list[tuple[str, str, Any]]:
    n32, id16, pk = b64e(_h("n")), b64e(_h("i", 16)), _pk("m")
    browser = dict(_BROWSER)
    tab = {"id": 1, "window_id": 1, "url": "https://a.test/", "title": "A", "active": True}
    info = {"browser": "Chromium", "version": "1", "user_agent": "UA", "profile": "Default", "tabs": [tab]}
    hello = {
        "proto": ["wb1"],
        "ext_version": "0.1.0",
        "ext_id": "jcnjbmkppfofcdpdbpdjdjhkdooekkno",
        "pairing_id": None,
        "nonce": n32,
        "browser": browser,
        "profile": "Default",
    }
    hello_ok = {
        "proto": "wb1",
        "daemon_version": "0.1.0",
        "nonce": n32,
        "sid": id16,
        "paired": False,
        "time": T0,
    }
    valid: dict[str, dict[str, Any]] = {
        "hello": hello,
        "hello.ok": hello_ok,
        "pair.begin": {"commit": n32, "label": "Work", "browser": browser, "profile": "Default"},
        "pair.key": {"pair_id": id16, "pk_d": pk},
        "pair.reveal": {"pair_id": id16, "pk_e": pk, "n_e": n32},
        "pair.confirm": {"pair_id": id16, "mac": n32},
        "pair.done": {"pair_id": id16, "pairing_id": id16, "mac": n32},
        "pair.cancel": {"pair_id": id16, "reason": "user cancelled"},
        "session.open": {"label": "Work", "browser": browser, "profile": "Default", "ext_version": "0.1.0"},
        "session.opened": {"bridge_id": "b1", "label": "Work"},
        "browser.info": {},
        "browser.info.result": info,
        "ping": {},
        "pong": {"time": T0},
        "echo": {"data": "hello", "mode": "echo"},
        "echo.result": {"data": "hello"},
        "key.rotate": {"pk": pk},
        "key.rotated": {"pk": pk},
        "error": {"code": 2002, "name": "invalid_message", "message": "m"},
    }  # fmt: skip
    cases: list[tuple[str, str, Any]] = []
    for kind, body in valid.items():
        cases.append((f"{kind} valid", kind, body))
        cases.append((f"{kind} extra field", kind, {**body, "extra": 1}))
        cases.append((f"{kind} kind inside body", kind, {**body, "kind": kind}))
        if body:
            first = next(iter(body))
            cases.append((f"{kind} missing {first}", kind, {k: v for k, v in body.items() if k != first}))
            wrong = 1 if isinstance(body[first], str | list | dict) or body[first] is None else "1"
            cases.append((f"{kind} wrong type {first}", kind, {**body, first: wrong}))
    cases += [
        ("body not an object", "ping", [1]),
        ("unknown kind", "shell.exec", {}),
        ("unknown kind empty", "", {}),
        ("hello pairing_id set", "hello", {**hello, "pairing_id": id16}),
        ("hello other protocol is valid shape", "hello", {**hello, "proto": ["wb0"]}),
        ("hello empty proto list", "hello", {**hello, "proto": []}),
        ("hello nonce 31 bytes", "hello", {**hello, "nonce": b64e(_h("n", 31))}),
        ("hello nonce padded", "hello", {**hello, "nonce": n32 + "="}),
        ("hello nonce non-canonical bits", "hello", {**hello, "nonce": _noncanonical(n32)}),
        ("hello nonce standard alphabet", "hello",
         {**hello, "nonce": base64.b64encode(_h("n")).decode()[:43]}),
        ("hello browser extra field", "hello", {**hello, "browser": {**browser, "x": 1}}),
        ("hello.ok paired as int", "hello.ok", {**hello_ok, "paired": 1}),
        ("hello.ok time negative", "hello.ok", {**hello_ok, "time": -1}),
        ("hello.ok time above 2^53-1", "hello.ok", {**hello_ok, "time": 2**53}),
        ("hello.ok sid 21 chars", "hello.ok", {**hello_ok, "sid": id16[:21]}),
        ("pair.key pk compressed prefix", "pair.key", {"pair_id": id16, "pk_d": b64e(b"\x02" + _h("c") * 2)}),
        ("pair.key pk 64 bytes", "pair.key",
         {"pair_id": id16, "pk_d": b64e(b"\x04" + _h("c") + _h("d", 31))}),
        ("pair.cancel null pair_id", "pair.cancel", {"pair_id": None, "reason": "early"}),
        ("session.opened bridge_id bad char", "session.opened", {"bridge_id": "b 1", "label": "x"}),
        ("session.opened bridge_id 65 chars", "session.opened", {"bridge_id": "b" * 65, "label": "x"}),
        ("session.open label 257 chars", "session.open",
         {"label": "x" * 257, "browser": browser, "profile": "Default", "ext_version": "0.1.0"}),
        ("browser.info.result title 8192 chars", "browser.info.result",
         {**info, "tabs": [{**tab, "title": "t" * 8192}]}),
        ("browser.info.result title 8193 chars", "browser.info.result",
         {**info, "tabs": [{**tab, "title": "t" * 8193}]}),
        ("browser.info.result tab active as int", "browser.info.result",
         {**info, "tabs": [{**tab, "active": 1}]}),
        ("browser.info.result tab extra field", "browser.info.result",
         {**info, "tabs": [{**tab, "pinned": True}]}),
        ("browser.info.result tab id negative", "browser.info.result", {**info, "tabs": [{**tab, "id": -1}]}),
        ("browser.info.result tabs not a list", "browser.info.result", {**info, "tabs": {}}),
        ("echo digest mode", "echo", {"data": "x", "mode": "digest"}),
        ("echo unknown mode", "echo", {"data": "x", "mode": "zip"}),
        ("echo.result digest", "echo.result", {"size": 5, "sha256": "ab" * 32}),
        ("echo.result both forms", "echo.result", {"data": "x", "size": 1, "sha256": "ab" * 32}),
        ("echo.result empty", "echo.result", {}),
        ("echo.result size without sha256", "echo.result", {"size": 1}),
        ("echo.result sha256 uppercase", "echo.result", {"size": 1, "sha256": "AB" * 32}),
        ("echo.result data null", "echo.result", {"data": None}),
        ("error code below range", "error", {"code": 999, "name": "x", "message": "m"}),
        ("pong time float", "pong", {"time": 1.5}),
        ("pong time bool", "pong", {"time": True}),
        ("pong time string", "pong", {"time": "1"}),
        ("ping null body field", "ping", {"x": None}),
    ]  # fmt: skip
    return cases


def _chunk(cid: str, i: int, n: int, piece: bytes) -> dict[str, Any]:
    return {"v": 1, "chunk": {"id": cid, "i": i, "n": n}, "data": b64e(piece)}


def _chunk_cases() -> list[dict[str, Any]]:
    """Chunk sequences for the extension's assembler; ``results`` lists what each feed returns."""
    a, b, c = b'{"v":1,', b'"x":"', b'y"}'
    streams: list[tuple[str, list[dict[str, Any]]]] = [
        ("ok_three_pieces", [_chunk("c1", 0, 3, a), _chunk("c1", 1, 3, b), _chunk("c1", 2, 3, c)]),
        ("ok_single_piece", [_chunk("c1", 0, 1, a + b + c)]),
        ("ok_interleaved", [_chunk("c1", 0, 2, a), _chunk("c2", 0, 2, a), _chunk("c2", 1, 2, b + c),
                            _chunk("c1", 1, 2, b + c)]),
        ("out_of_order", [_chunk("c1", 0, 3, a), _chunk("c1", 2, 3, c)]),
        ("repeated_index", [_chunk("c1", 0, 3, a), _chunk("c1", 0, 3, a)]),
        ("unknown_stream", [_chunk("c9", 1, 3, b)]),
        ("n_changes", [_chunk("c1", 0, 3, a), _chunk("c1", 1, 4, b)]),
        ("index_not_below_n", [_chunk("c1", 3, 3, a)]),
        ("n_zero", [_chunk("c1", 0, 0, a)]),
        ("empty_piece", [_chunk("c1", 0, 2, b"")]),
        ("data_not_base64url", [{"v": 1, "chunk": {"id": "c1", "i": 0, "n": 2}, "data": "ab+/"}]),
        ("extra_key", [{**_chunk("c1", 0, 2, a), "x": 1}]),
        ("chunk_extra_key", [{"v": 1, "chunk": {"id": "c1", "i": 0, "n": 2, "x": 0}, "data": b64e(a)}]),
        ("bad_stream_id", [_chunk("c 1", 0, 2, a)]),
        ("index_bool", [{"v": 1, "chunk": {"id": "c1", "i": False, "n": 2}, "data": b64e(a)}]),
        ("fifth_stream", [_chunk(f"c{k}", 0, 2, a) for k in range(5)]),
        ("stream_dropped_after_error", [_chunk("c1", 0, 3, a), _chunk("c1", 2, 3, c), _chunk("c1", 1, 3, b)]),
    ]  # fmt: skip
    out = []
    for name, frames in streams:
        asm = ChunkAssembler()
        results: list[Any] = []
        for frame in frames:
            try:
                got = asm.feed(frame)
            except WebBridgeError as exc:
                results.append({"code": exc.code})
            else:
                results.append(None if got is None else {"payload_b64": b64e(got)})
        out.append({"name": name, "frames": frames, "results": results})
    return out


def frames_vectors() -> dict[str, Any]:
    strict = [
        {
            "name": n,
            "text_b64": b64e(t),
            "ok": (c := _code(lambda t=t: jsonstrict.loads(t))) is None,
            "code": c,
        }
        for n, t in _STRICT
    ]
    messages = [
        {
            "name": n,
            "kind": k,
            "body": b,
            "ok": (c := _code(lambda k=k, b=b: parse_body(k, b))) is None,
            "code": c,
        }
        for n, k, b in _message_cases()
    ]
    return {"strict_json": strict, "messages": messages, "chunks": _chunk_cases()}


# --- files ---------------------------------------------------------------------------------------------


def render() -> dict[str, str]:
    """File name → exact text to write."""

    def text(obj: Any) -> str:
        return json.dumps(obj, indent=1, ensure_ascii=False, allow_nan=False) + "\n"

    return {"signing.json": text(signing_vectors()), "frames.json": text(frames_vectors())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when the files on disk are stale")
    args = parser.parse_args(argv)
    stale = []
    for name, content in render().items():
        path = HERE / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                stale.append(name)
        else:
            path.write_text(content, encoding="utf-8", newline="\n")
    if stale:
        sys.stderr.write(f"stale vectors: {', '.join(stale)}; run python tests/vectors/generate.py\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
