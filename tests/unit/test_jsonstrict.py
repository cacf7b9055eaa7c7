"""Strict JSON (PROTOCOL.md §1): rows F6–F10 and F16 of the security catalogue at the parser."""

from __future__ import annotations

import json

import pytest

from webbridge.errors import (
    DuplicateKey,
    FramingError,
    InvalidJson,
    InvalidUtf8,
    JsonLimits,
    JsonTooDeep,
    NotAnObject,
)
from webbridge.protocol import jsonstrict
from webbridge.protocol.jsonstrict import MAX_DEPTH, dumps, loads


def nested(levels: int, open_: bytes = b"[", close: bytes = b"]") -> bytes:
    """An object whose total nesting depth is ``levels`` (the top-level object is depth 1)."""
    return b'{"a":' + open_ * (levels - 1) + close * (levels - 1) + b"}"


def test_accepts_a_plain_object() -> None:
    assert loads(b'{"a":1,"b":[true,false,null],"c":{"d":"e"},"f":-1.5e3}') == {
        "a": 1, "b": [True, False, None], "c": {"d": "e"}, "f": -1500.0,
    }  # fmt: skip


@pytest.mark.parametrize("data", [b'{"a":1}', bytearray(b'{"a":1}'), memoryview(b'{"a":1}'), '{"a":1}'])
def test_accepts_bytes_like_and_str(data: bytes | bytearray | memoryview | str) -> None:
    assert loads(data) == {"a": 1}


# --- F6 invalid UTF-8 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":"\xc0\xaf"}',  # overlong '/'
        b'{"a":"\xe0\x80\xaf"}',  # overlong, 3 bytes
        b'{"a":"\xf0\x80\x80\xaf"}',  # overlong, 4 bytes
        b'{"a":"\xed\xa0\x80"}',  # encoded high surrogate
        b'{"a":"\xed\xbf\xbf"}',  # encoded low surrogate
        b'{"a":"\xed\xa0\xbd\xed\xb8\x80"}',  # CESU-8 pair
        b'{"a":"\xe2\x82"}',  # truncated sequence
        b'{"a":"\x80"}',  # lone continuation byte
        b'{"a":"\xff"}',
        b'{"a":"\xf4\x90\x80\x80"}',  # above U+10FFFF
        b'{"\xc3":1}',  # in a key
    ],
)
def test_f6_invalid_utf8_is_refused(raw: bytes) -> None:
    with pytest.raises(InvalidUtf8) as info:
        loads(raw)
    assert info.value.code == 1004


def test_f6_str_with_surrogate_code_points_is_refused() -> None:
    with pytest.raises(InvalidUtf8):
        loads('{"a":"\ud800"}')


# --- F7 not JSON ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'\xef\xbb\xbf{"a":1}',  # BOM
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b'{"a":-Infinity}',
        b'{"a":1}x',  # trailing garbage
        b'{"a":1}{"b":2}',
        b'{"a":1}\x00',
        b'{"a":1}// comment',
        b'/* comment */{"a":1}',
        b'{"a":1,}',
        b"{'a':1}",
        b'{"a":01}',
        b'{"a":"x\ny"}',  # raw control character in a string
        b"",
        b"   ",
        b'{"a":1',
    ],
)
def test_f7_not_json_is_refused(raw: bytes) -> None:
    with pytest.raises(InvalidJson) as info:
        loads(raw)
    assert info.value.code == 1005


def test_bom_in_a_str_is_refused() -> None:
    with pytest.raises(InvalidJson):
        loads('\ufeff{"a":1}')


# --- F8 depth ------------------------------------------------------------------------------------------


def test_depth_64_is_accepted_and_65_refused() -> None:
    assert loads(nested(MAX_DEPTH))
    with pytest.raises(JsonTooDeep) as info:
        loads(nested(MAX_DEPTH + 1))
    assert info.value.code == 1006


@pytest.mark.parametrize(
    "raw",
    [
        nested(100_000),
        b'{"a":' + b'{"a":' * 100_000 + b"1" + b"}" * 100_001,
        b'{"a":' + b"[" * 100_000,  # never closed
        b'{"a":' + b'[{"b":' * 50_000 + b"0" + b"}]" * 50_000 + b"}",
    ],
    ids=["arrays", "objects", "unterminated", "mixed"],
)
def test_f8_100000_deep_is_refused_without_recursion_error(raw: bytes) -> None:
    with pytest.raises(JsonTooDeep):
        loads(raw)


def test_depth_is_checked_in_every_branch() -> None:
    wide = b'{"x":[1,2,{"y":3}],"z":' + nested(MAX_DEPTH)[5:-1] + b"}"
    assert loads(wide)
    deep_last = b'{"x":[1,2,{"y":3}],"z":' + nested(MAX_DEPTH + 1)[5:-1] + b"}"
    with pytest.raises(JsonTooDeep):
        loads(deep_last)


# --- F9 numbers and surrogates -------------------------------------------------------------------------


def test_twenty_digit_integers_pass_and_longer_ones_are_refused() -> None:
    assert loads(b'{"a":99999999999999999999,"b":-99999999999999999999}') == {
        "a": 99999999999999999999, "b": -99999999999999999999,
    }  # fmt: skip
    for raw in (b'{"a":100000000000000000000}', b'{"a":-100000000000000000000}'):
        with pytest.raises(JsonLimits) as info:
            loads(raw)
        assert info.value.code == 1007


def test_f9_a_million_digit_integer_is_refused_by_its_length() -> None:
    with pytest.raises(JsonLimits, match="1000000 digits"):
        loads(b'{"a":' + b"7" * 1_000_000 + b"}")


@pytest.mark.parametrize("number", [b"1e999999", b"-1e999999", b"1E400", b"9" * 400 + b".5"])
def test_f9_non_finite_floats_are_refused(number: bytes) -> None:
    with pytest.raises(JsonLimits):
        loads(b'{"a":' + number + b"}")


def test_tiny_floats_underflow_to_zero() -> None:
    assert loads(b'{"a":1e-999999}') == {"a": 0.0}


def test_f9_huge_string_is_accepted_by_the_parser() -> None:
    # Size limits on strings belong to the frame cap and the message models, not the parser.
    data = "x" * 8_000_000
    assert loads(b'{"data":"' + data.encode() + b'"}')["data"] == data


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":"\\ud800"}',
        b'{"a":"\\udfff"}',
        b'{"a":"x\\udc00y"}',
        b'{"a":"\\udc00\\ud800"}',  # reversed pair
        b'{"a":"\\ud800\\u0041"}',
        b'{"\\ud800":1}',
        b'{"a":["ok",{"b":"\\ud800"}]}',
    ],
)
def test_lone_surrogate_escapes_are_refused(raw: bytes) -> None:
    with pytest.raises(JsonLimits, match="surrogate"):
        loads(raw)


def test_escaped_pairs_and_escaped_backslashes_are_fine() -> None:
    assert loads(b'{"a":"\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    assert loads(b'{"a":"\\\\ud800"}') == {"a": "\\ud800"}
    assert loads('{"é":"\\u00e9 ok"}'.encode()) == {"é": "é ok"}


@pytest.mark.parametrize("escapes", [0, 1, 63, 64, 65, 1000])
@pytest.mark.parametrize("where", ["value", "key", "str"])
def test_a_lone_surrogate_escape_is_found_after_any_number_of_other_escapes(escapes: int, where: str) -> None:
    # The string check is skipped when no escape can make a surrogate; escapes are looked at one by one up
    # to a bound, then every string is checked: both sides of that bound must refuse.
    before = '\\"\\\\\\n\\u00e9' * escapes
    raw = f'{{"a":"{before}\\ud800"}}' if where != "key" else f'{{"{before}\\uDC00":1}}'
    with pytest.raises(JsonLimits, match="surrogate"):
        loads(raw.encode() if where != "str" else raw)
    fine = f'{{"a":"{before}\\\\ud800 é"}}'  # an escaped backslash, then "ud800": no surrogate
    assert loads(fine.encode())["a"].endswith("\\ud800 é")


# --- F10 duplicate keys --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b'{"kind":"a","kind":"b"}', b'{"a":1,"\\u0061":2}', b'{"x":[{"y":1,"y":1}]}', b'{"a":{},"b":{},"a":{}}'],
)
def test_f10_duplicate_keys_are_refused(raw: bytes) -> None:
    with pytest.raises(DuplicateKey) as info:
        loads(raw)
    assert info.value.code == 1008


# --- top level -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"1", b"null", b"true", b"[{}]"])
def test_top_level_must_be_an_object(raw: bytes) -> None:
    with pytest.raises(NotAnObject) as info:
        loads(raw)
    assert info.value.code == 1009


def test_every_refusal_is_a_framing_error_never_a_foreign_one() -> None:
    cases = [b"\xff", b"{", nested(70), b'{"a":1e999}', b'{"a":1,"a":1}', b"[]", nested(100_000)]
    for raw in cases:
        with pytest.raises(FramingError):
            loads(raw)


# --- F16 and dumps -------------------------------------------------------------------------------------


def test_f16_newlines_and_ctrl_z_round_trip() -> None:
    value = {"text": "a\nb\r\nc\x1ad\u2028e\x00", "k\n": "\r"}
    text = dumps(value)
    assert "\n" not in text and "\r" not in text and "\x1a" not in text  # escaped on the wire
    assert loads(text.encode()) == value


def test_dumps_is_compact_utf8_and_refuses_nan() -> None:
    assert dumps({"a": [1, 2], "é": "😀"}) == '{"a":[1,2],"é":"😀"}'
    with pytest.raises(ValueError):
        dumps({"a": float("nan")})


def test_dumps_output_parses_back_identically() -> None:
    value = {"n": 12345678901234567890, "f": 0.1, "s": '"quoted" \\ /', "l": [None, True, {"x": []}]}
    assert loads(dumps(value)) == value == json.loads(dumps(value))


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1},
        {"text": 'a "quoted" \\ back\\\\slash \n\t\x00\x1f\x7f é 😀 \u2028', "k\"": [1, 2.5, None, True, {}]},
        {"p": dumps({"inner": '\\"', "n": -1})},
    ],
)
def test_escape_dumped_equals_dumping_the_text_again(value: dict[str, object]) -> None:
    text = dumps(value)
    assert jsonstrict.escape_dumped(text.encode()) == dumps(text).encode()[1:-1]


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"a": [1, -2, 2**64 + 1, 0.1, -0.0, 1e16, 1.5e300, True, False, None, {"b": []}]},
        {"text": 'a "quoted" \\ slash / \n\t\x00\x1f\x7f\x80 é € 😀 \u2028 \ufeff', "é": "x" * 100_000},
        {"small float": 1e-7},  # spelled 1e-7, not 1e-07: the same value
    ],
)
def test_dumps_utf8_is_dumps_encoded(value: dict[str, object]) -> None:
    out = jsonstrict.dumps_utf8(value)
    assert json.loads(out) == value
    assert out.replace(b"e-07", b"e-7") == dumps(value).encode().replace(b"e-07", b"e-7")


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"a": float("nan")}, ValueError),
        ({"a": [float("inf")]}, ValueError),
        ({"a": b"bytes"}, TypeError),
        ({"a": {1, 2}}, TypeError),
        ({"a": object()}, TypeError),
        ({"a": "\ud800"}, UnicodeEncodeError),
    ],
)
def test_dumps_utf8_refuses_what_dumps_refuses(value: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        jsonstrict.dumps_utf8(value)


def test_dumps_utf8_takes_the_dumps_path_for_other_types() -> None:
    # Not plain JSON types: serialised exactly as dumps() does (tuples, int keys, subclasses).
    value = {"t": (1, 2), 3: "int key", "s": type("S", (str,), {})("sub")}
    assert jsonstrict.dumps_utf8(value) == dumps(value).encode()


def test_module_exports() -> None:
    assert set(jsonstrict.__all__) == {
        "MAX_DEPTH", "MAX_INT_DIGITS", "dumps", "dumps_utf8", "escape_dumped", "loads",
    }  # fmt: skip
