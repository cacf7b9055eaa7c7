"""Frame shapes (PROTOCOL.md §2): classification and plain frames (C10 at the frame level)."""

from __future__ import annotations

from typing import Any

import pytest

from webbridge.errors import InvalidMessage, UnexpectedKind, UnknownKind, UnsupportedProtocol
from webbridge.protocol.frames import frame_type, is_id, parse_plain, plain_frame
from webbridge.protocol.messages import PairCancel, Ping


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ({"v": 1, "relay": {"origin": "chrome-extension://x/", "pid": 1}}, "preamble"),
        ({"v": 1, "control": {"token": "t"}}, "preamble"),
        ({"v": 1, "id": "a", "reply_to": None, "kind": "hello", "body": {}}, "plain"),
        ({"v": 1, "sid": "s", "mac": "m", "p": "p"}, "sealed"),
        ({"v": 1, "sid": "s", "p": "p"}, "sealed"),  # lost its MAC: still sealed, refused with 3001 later
        ({"mac": "m"}, "sealed"),
        ({"v": 1, "chunk": {"id": "c", "i": 0, "n": 1}, "data": "eA"}, "chunk"),
    ],
)
def test_frame_type(frame: dict[str, Any], expected: str) -> None:
    assert frame_type(frame) == expected


@pytest.mark.parametrize("frame", [{"v": 1}, {"v": 1, "relay": {}, "x": 1}, {"v": 1, "op": "status"}])
def test_other_shapes_are_invalid(frame: dict[str, Any]) -> None:
    with pytest.raises(InvalidMessage) as info:
        frame_type(frame)
    assert info.value.code == 2002


@pytest.mark.parametrize("v", [0, 2, "1", True, None])
def test_other_versions_are_unsupported(v: Any) -> None:
    with pytest.raises(UnsupportedProtocol):
        frame_type({"v": v, "id": "a", "reply_to": None, "kind": "hello", "body": {}})


def plain(**over: Any) -> dict[str, Any]:
    frame: dict[str, Any] = {"v": 1, "id": "x1", "reply_to": None, "kind": "pair.cancel",
                             "body": {"pair_id": None, "reason": "r"}}  # fmt: skip
    frame.update(over)
    return frame


def test_parse_plain() -> None:
    got = parse_plain(plain(reply_to="d7"))
    assert (got.id, got.reply_to, got.kind) == ("x1", "d7", "pair.cancel")
    assert got.message == PairCancel(pair_id=None, reason="r")


@pytest.mark.parametrize("kind", ["ping", "session.open", "browser.info", "echo", "key.rotate", "pong"])
def test_c10_sealed_kinds_are_refused_plain_before_their_body_is_read(kind: str) -> None:
    with pytest.raises(UnexpectedKind) as info:
        parse_plain(plain(kind=kind, body={"anything": "at all"}))
    assert info.value.code == 2003 and info.value.detail["id"] == "x1"


@pytest.mark.parametrize(
    ("over", "error"),
    [
        ({"kind": "shell.exec"}, UnknownKind),
        ({"kind": 5}, UnknownKind),
        ({"id": ""}, InvalidMessage),
        ({"id": "a" * 65}, InvalidMessage),
        ({"id": 7}, InvalidMessage),
        ({"reply_to": "no spaces"}, InvalidMessage),
        ({"body": {"pair_id": None}}, InvalidMessage),
        ({"body": []}, InvalidMessage),
        ({"extra": 1}, InvalidMessage),
        ({"v": 2}, UnsupportedProtocol),
    ],
)
def test_malformed_plain_frames(over: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_plain(plain(**over))


def test_missing_keys_are_invalid() -> None:
    frame = plain()
    del frame["reply_to"]
    with pytest.raises(InvalidMessage):
        parse_plain(frame)


def test_the_id_is_kept_on_errors_only_when_well_formed() -> None:
    with pytest.raises(InvalidMessage) as info:
        parse_plain(plain(body={}))
    assert info.value.detail["id"] == "x1"
    with pytest.raises(InvalidMessage) as info:
        parse_plain(plain(id="bad id", body={}))
    assert "id" not in info.value.detail


def test_plain_frame_builds_what_parse_plain_reads() -> None:
    msg = PairCancel(pair_id=None, reason="bye")
    frame = plain_frame(msg, msg_id="d3", reply_to="x1")
    assert frame == {"v": 1, "id": "d3", "reply_to": "x1", "kind": "pair.cancel",
                     "body": {"pair_id": None, "reason": "bye"}}  # fmt: skip
    assert parse_plain(frame).message == msg


def test_plain_frame_refuses_sealed_kinds_and_bad_ids() -> None:
    with pytest.raises(ValueError):
        plain_frame(Ping(), msg_id="a")
    with pytest.raises(ValueError):
        plain_frame(PairCancel(pair_id=None, reason="r"), msg_id="bad id")


def test_is_id() -> None:
    assert is_id("a") and is_id("A-_9" * 16)
    assert not any(is_id(v) for v in ("", "a" * 65, "a b", "é", None, 1))
