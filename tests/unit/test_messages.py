"""Message models and catalogue (PROTOCOL.md §4, §5): row F11 and C12 at the message level."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from pydantic import JsonValue

from webbridge.errors import InvalidMessage, UnknownKind, UnsupportedProtocol
from webbridge.protocol import messages
from webbridge.protocol.b64url import encode as b64e
from webbridge.protocol.messages import (
    CATALOGUE,
    MAX_ECHO,
    MAX_TABS,
    PLAIN_KINDS,
    Echo,
    EchoResult,
    Hello,
    HelloOk,
    body_of,
    check_protocol,
    echo_reply,
    parse_body,
)
from webbridge.protocol.pairing import generate_private_key, public_bytes

from .test_capture_kinds import CAPTURE_VALID
from .test_page_io_tools import PAGE_IO_VALID
from .test_policy_kinds import POLICY_VALID
from .test_run_kinds import RUN_VALID

N32 = b64e(bytes(range(32)))
ID16 = b64e(bytes(range(16)))
PK = b64e(public_bytes(generate_private_key()))
BROWSER = {"name": "Chromium", "version": "156", "user_agent": "UA"}
TAB = {"id": 1, "window_id": 2, "url": "https://a.test/", "title": "A", "active": True, "opened_by_run": None}

VALID: dict[str, dict[str, Any]] = {
    "hello": {"proto": ["wb1"], "ext_version": "0.1.0", "ext_id": "x", "pairing_id": None, "nonce": N32,
              "browser": BROWSER, "profile": "Default"},
    "hello.ok": {"proto": "wb1", "daemon_version": "0.1.0", "nonce": N32, "sid": ID16, "paired": True,
                 "time": 1},
    "pair.begin": {"commit": N32, "label": "L", "browser": BROWSER, "profile": "P"},
    "pair.key": {"pair_id": ID16, "pk_d": PK},
    "pair.reveal": {"pair_id": ID16, "pk_e": PK, "n_e": N32},
    "pair.confirm": {"pair_id": ID16, "mac": N32},
    "pair.done": {"pair_id": ID16, "pairing_id": "p-1234", "mac": N32},
    "pair.cancel": {"pair_id": None, "reason": "r"},
    "session.open": {"label": "L", "browser": BROWSER, "profile": "P", "ext_version": "1"},
    "session.opened": {"bridge_id": "b1", "label": "L"},
    "browser.info": {},
    "browser.info.result": {"browser": "Chromium", "version": "1", "user_agent": "UA", "profile": "P",
                            "tabs": [TAB]},
    "ping": {},
    "pong": {"time": 5},
    "echo": {"data": "x", "mode": "digest"},
    "echo.result": {"size": 1, "sha256": "0" * 64},
    "key.rotate": {"pk": PK},
    "key.rotated": {"pk": PK},
    "error": {"code": 3002, "name": "bad_mac", "message": "m"},
    # browser control (browser_kinds)
    "tabs.list": {"url": "a.test", "title": None},
    "tabs.list.result": {"tabs": [TAB, {**TAB, "id": 3, "opened_by_run": "r-0123abcd"}]},
    "tabs.open": {"url": "https://a.test/", "active": False, "group": "task"},
    "tabs.activate": {"tab_id": 1},
    "tabs.close": {"tab_id": 1},
    "tab.control": {"tab_id": 1, "run_id": "r-1", "on": True, "label": "WebBridge: task", "group": "task"},
    "tab.controlled": {"tab_id": 1, "shown": True, "group_id": 3},
    "tab.result": {"tab": TAB},
    "done": {},
    "page.navigate": {"tab_id": 1, "action": "goto", "url": "https://a.test/", "wait": "load",
                      "timeout_ms": 1000},
    "page.navigated": {"url": "https://a.test/", "title": "A"},
    "page.snapshot": {"tab_id": 1, "mode": "find", "ref": None, "query": "Sign in", "role": "button",
                      "max_chars": None},
    "page.snapshot.result": {"url": "https://a.test/", "title": "A", "text": "- button \"Go\" e1",
                             "refs": 1, "frames": 1, "truncated": False},
    "page.text": {"tab_id": 1, "max_chars": 5000},
    "page.text.result": {"url": "https://a.test/", "title": "A", "markdown": "# A", "truncated": False},
    "page.act": {"tab_id": 1, "action": "type", "ref": "e12", "expect_url": "https://a.test/",
                 "text": "hello", "values": None, "checked": None, "keys": None, "dx": None, "dy": None,
                 "input": "auto", "delta": True, "expect_role": "textbox", "expect_name": "Message"},
    "page.act.result": {"url": "https://a.test/", "input_used": "dom", "navigated": False, "delta": None},
    "page.describe": {"tab_id": 1, "ref": "f2e12"},
    "page.describe.result": {"role": "button", "name": "OK", "frame_url": "https://a.test/feedback",
                             "form_action": "https://b.test/collect", "form_method": "post", "submits": True,
                             "fields": ["hello"], "href": None},
    "page.wait_for": {"tab_id": 1, "text": "Welcome", "ref": None, "url": None, "state": None,
                      "timeout_ms": 500},
    "page.wait_for.result": {"elapsed_ms": 3, "url": "https://a.test/"},
}  # fmt: skip


VALID.update(RUN_VALID)  # run kinds (run_kinds)
VALID.update(PAGE_IO_VALID)  # page I/O kinds (page_io_kinds)
VALID.update(CAPTURE_VALID)  # capture and file transfer (capture_kinds)
VALID.update(POLICY_VALID)  # approvals, grants, policy summary (policy_kinds)


def test_every_kind_has_a_valid_example() -> None:
    assert set(VALID) == set(CATALOGUE)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_valid_bodies_parse_and_round_trip(kind: str) -> None:
    msg = parse_body(kind, VALID[kind])
    assert msg.kind == kind and isinstance(msg, CATALOGUE[kind].model)
    assert body_of(msg) == VALID[kind]
    assert parse_body(kind, body_of(msg)) == msg


@pytest.mark.parametrize("kind", sorted(VALID))
def test_f11_extra_fields_are_refused(kind: str) -> None:
    with pytest.raises(InvalidMessage, match="extra") as info:
        parse_body(kind, {**VALID[kind], "extra": 1})
    assert info.value.code == 2002


@pytest.mark.parametrize("kind", sorted(VALID))
def test_kind_may_not_hide_inside_the_body(kind: str) -> None:
    with pytest.raises(InvalidMessage):
        parse_body(kind, {**VALID[kind], "kind": kind})


@pytest.mark.parametrize("kind", sorted(k for k, v in VALID.items() if v))
def test_f11_missing_and_mistyped_fields_are_refused(kind: str) -> None:
    model = CATALOGUE[kind].model
    for field in VALID[kind]:
        # echo.result's size and sha256 are optional only together (a model rule, not a field default).
        if model.model_fields[field].is_required() or kind == "echo.result":
            with pytest.raises(InvalidMessage, match=field):
                parse_body(kind, {k: v for k, v in VALID[kind].items() if k != field})
        else:  # optional fields may be left out, and then take their default
            parse_body(kind, {k: v for k, v in VALID[kind].items() if k != field})
        if model.model_fields[field].annotation == JsonValue:
            continue  # any JSON value (page.evaluate.result's value): no type is wrong
        value = VALID[kind][field]
        wrong: Any = 1.5 if isinstance(value, str | bool | list | dict) or value is None else "1"
        with pytest.raises(InvalidMessage, match=field):
            parse_body(kind, {**VALID[kind], field: wrong})


@pytest.mark.parametrize("kind", ["", "shell.exec", "PING", "ping ", None, 1])
def test_f11_unknown_kinds_are_refused(kind: Any) -> None:
    with pytest.raises(UnknownKind) as info:
        parse_body(kind, {})
    assert info.value.code == 2001


@pytest.mark.parametrize("body", [None, [], "x", 1])
def test_body_must_be_an_object(body: Any) -> None:
    with pytest.raises(InvalidMessage, match="object"):
        parse_body("ping", body)


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("pong", "time", True),  # bool is not an int
        ("pong", "time", 1.0),  # no float for an int
        ("pong", "time", -1),
        ("pong", "time", 2**53),
        ("hello.ok", "paired", 1),
        ("hello.ok", "proto", ["wb1"]),
        ("hello", "proto", []),
        ("hello", "proto", ["x"] * 9),
        ("hello", "nonce", N32[:-1]),
        ("hello", "nonce", N32 + "="),
        ("hello", "nonce", b64e(bytes(33))),
        ("hello", "nonce", "+" * 43),
        ("hello", "pairing_id", "has space"),
        ("hello", "browser", {**BROWSER, "extra": 1}),
        ("hello", "browser", "Chromium"),
        ("hello.ok", "sid", ID16[:-1]),
        ("pair.key", "pk_d", b64e(b"\x02" + bytes(64))),
        ("pair.key", "pk_d", b64e(b"\x04" + bytes(63))),
        ("pair.key", "pair_id", b64e(bytes(17))),
        ("session.opened", "bridge_id", "a/b"),
        ("session.opened", "bridge_id", "b" * 65),
        ("session.open", "label", "x" * 257),
        ("echo", "mode", "zip"),
        ("error", "code", 999),
        ("error", "message", "m" * 4097),
    ],
)
def test_field_rules(kind: str, field: str, value: Any) -> None:
    with pytest.raises(InvalidMessage, match=field):
        parse_body(kind, {**VALID[kind], field: value})


def test_non_canonical_base64url_is_refused() -> None:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    noncanonical = N32[:-1] + alphabet[alphabet.index(N32[-1]) | 1]
    with pytest.raises(InvalidMessage, match="nonce"):
        parse_body("hello", {**VALID["hello"], "nonce": noncanonical})


def test_errors_name_the_field_but_never_echo_the_value() -> None:
    secret = "s3cr3t-value-" * 3
    with pytest.raises(InvalidMessage) as info:
        parse_body("hello", {**VALID["hello"], "nonce": secret})
    assert "nonce" in str(info.value) and secret not in str(info.value)
    tabs = [{**TAB, "title": "t" * 8193}]
    with pytest.raises(InvalidMessage, match=r"tabs\.0\.title"):
        parse_body("browser.info.result", {**VALID["browser.info.result"], "tabs": tabs})


def test_string_and_list_caps() -> None:
    info = VALID["browser.info.result"]
    ok = parse_body(
        "browser.info.result", {**info, "tabs": [{**TAB, "url": "u" * 8192, "title": "t" * 8192}]}
    )
    assert ok.kind == "browser.info.result"
    parse_body("browser.info.result", {**info, "tabs": [TAB] * MAX_TABS})
    with pytest.raises(InvalidMessage, match="tabs"):
        parse_body("browser.info.result", {**info, "tabs": [TAB] * (MAX_TABS + 1)})
    with pytest.raises(InvalidMessage, match=r"url"):
        parse_body("browser.info.result", {**info, "tabs": [{**TAB, "url": "u" * 8193}]})


def test_echo_data_up_to_32_mib() -> None:
    assert parse_body("echo", {"data": "d" * MAX_ECHO, "mode": "echo"}).kind == "echo"
    with pytest.raises(InvalidMessage, match="data"):
        parse_body("echo", {"data": "d" * (MAX_ECHO + 1), "mode": "echo"})


@pytest.mark.parametrize(
    "body",
    [{}, {"data": "x", "size": 1, "sha256": "0" * 64}, {"size": 1}, {"sha256": "0" * 64}, {"data": None},
     {"data": "x", "size": None}, {"size": 1, "sha256": "A" * 64}],
)  # fmt: skip
def test_echo_result_is_either_data_or_a_digest(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidMessage):
        parse_body("echo.result", body)


def test_echo_reply_and_body_of_omit_absent_fields() -> None:
    assert body_of(echo_reply(Echo(data="héllo", mode="echo"))) == {"data": "héllo"}
    digest = echo_reply(Echo(data="héllo", mode="digest"))
    assert body_of(digest) == {"size": 6, "sha256": hashlib.sha256("héllo".encode()).hexdigest()}
    assert isinstance(digest, EchoResult)


def test_models_are_immutable() -> None:
    msg = parse_body("pong", {"time": 1})
    with pytest.raises(ValueError):
        msg.time = 2  # type: ignore[attr-defined]


# --- catalogue -----------------------------------------------------------------------------------------


def test_plain_kinds_are_exactly_the_handshake_pairing_and_error() -> None:
    assert PLAIN_KINDS == {
        "hello", "hello.ok", "pair.begin", "pair.key", "pair.reveal", "pair.confirm", "pair.done",
        "pair.cancel", "error",
    }  # fmt: skip
    for kind, info in CATALOGUE.items():
        assert info.plain or info.sealed
        assert info.sealed == (kind not in PLAIN_KINDS or kind == "error")


def test_every_request_names_a_reply_kind() -> None:
    replies = {info.reply for info in CATALOGUE.values() if info.role == "request"}
    for kind, info in CATALOGUE.items():
        assert info.kind == kind and info.model.model_fields["kind"].default == kind
        if info.role == "request":
            assert info.reply is not None and info.reply in CATALOGUE
            assert CATALOGUE[info.reply].role == "reply"
            assert CATALOGUE[info.reply].sealed == info.sealed
        else:
            assert info.reply is None
        if info.role == "reply" and kind != "error":
            assert kind in replies
    assert CATALOGUE["session.open"].reply == "session.opened"
    assert CATALOGUE["browser.info"].reply == "browser.info.result"
    assert CATALOGUE["echo"].reply == "echo.result"
    assert CATALOGUE["key.rotate"].reply == "key.rotated"
    assert CATALOGUE["ping"].reply == "pong"


# --- C12 downgrade -------------------------------------------------------------------------------------


def test_c12_hello_without_wb1_is_refused() -> None:
    check_protocol(Hello(**{**VALID["hello"], "proto": ["wb0", "wb1"]}))
    for proto in (["wb0"], ["none"], ["plain", "wb2"]):
        with pytest.raises(UnsupportedProtocol) as info:
            check_protocol(Hello(**{**VALID["hello"], "proto": proto}))
        assert info.value.code == 2004


def test_c12_hello_ok_with_another_protocol_is_refused() -> None:
    check_protocol(HelloOk(**VALID["hello.ok"]))
    with pytest.raises(UnsupportedProtocol):
        check_protocol(HelloOk(**{**VALID["hello.ok"], "proto": "wb0"}))


@pytest.mark.parametrize("extra", [{"auth": "none"}, {"insecure": True}, {"mac": None}, {"crypto": False}])
def test_c12_no_field_can_ask_for_a_no_crypto_mode(extra: dict[str, Any]) -> None:
    with pytest.raises(InvalidMessage):
        parse_body("hello", {**VALID["hello"], **extra})


def test_public_surface() -> None:
    for name in messages.__all__:
        assert hasattr(messages, name)
