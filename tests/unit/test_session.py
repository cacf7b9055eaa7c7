"""Sealed envelopes (PROTOCOL.md §3): rows C1–C6 and C12, step by step."""

from __future__ import annotations

from typing import Any

import pytest

from webbridge.errors import (
    BadMac,
    BadSequence,
    BadSession,
    ClockSkew,
    InvalidMessage,
    MissingMac,
    SessionError,
    UnexpectedKind,
    UnknownKind,
    WebBridgeError,
)
from webbridge.protocol import jsonstrict
from webbridge.protocol.frames import frame_type
from webbridge.protocol.messages import Echo, Ping, Pong
from webbridge.protocol.session import MAX_SKEW_MS, Session

from ._wire import (
    NONCE_D,
    NONCE_E,
    OTHER_SID,
    SECRET,
    SID,
    T0,
    FrozenClock,
    envelope,
    forge,
    keys,
    session_pair,
)

KEYS = keys()


def test_round_trip_both_ways() -> None:
    daemon, ext = session_pair()
    frame = ext.seal("ping", {})
    assert frame.keys() == {"v", "sid", "mac", "p"} and frame["sid"] == SID
    env = daemon.open(frame)
    assert (env.seq, env.ts, env.id, env.reply_to, env.kind) == (1, T0, "e1", None, "ping")
    assert env.message == Ping()
    reply = daemon.seal_message(Pong(time=T0), reply_to=env.id)
    got = ext.open(reply)
    assert (got.seq, got.id, got.reply_to, got.message) == (1, "d1", "e1", Pong(time=T0))
    assert (ext.sent_seq, ext.received_seq, daemon.sent_seq, daemon.received_seq) == (1, 1, 1, 1)


def test_signed_part_is_exactly_the_documented_envelope() -> None:
    _, ext = session_pair()
    frame = ext.seal("echo", {"data": "é\n", "mode": "echo"}, msg_id="abc")
    assert frame["p"] == (
        f'{{"v":1,"sid":"{SID}","seq":1,"ts":{T0},"id":"abc","reply_to":null,"kind":"echo",'
        '"body":{"data":"é\\n","mode":"echo"}}'
    )


@pytest.mark.parametrize(
    "data",
    ["", "plain", 'quotes " and \\ slashes \\"', "ctrl \n\r\t\x00\x1f\x7f", "é 😀 \u2028", "x" * 300_000],
    ids=["empty", "plain", "quotes", "controls", "non-ascii", "large"],
)
def test_sealed_frame_bytes_are_exactly_the_dumped_frame(data: str) -> None:
    daemon, ext = session_pair()
    frame = ext.seal("echo", {"data": data, "mode": "echo"})
    wire = frame.to_bytes()
    assert wire == jsonstrict.dumps(frame).encode()
    message = daemon.open(jsonstrict.loads(wire)).message
    assert isinstance(message, Echo) and message.data == data


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.update(p=f["p"].replace("ping", "pong")),
        lambda f: f.update(p=f["p"] + ""),  # an equal but other string: no longer the sealed one
        lambda f: f.update(mac="A" * 43),
        lambda f: f.update(sid="B" * 22),
        lambda f: f.update(v=True),
        lambda f: f.update(x=1),
        lambda f: f.update(sid='a"b'),
        lambda f: f.pop("mac"),
    ],
)
def test_a_sealed_frame_changed_after_sealing_serialises_what_it_now_holds(change: Any) -> None:
    _, ext = session_pair()
    frame = ext.seal("ping", {})
    change(frame)
    assert frame.to_bytes() == jsonstrict.dumps(frame).encode()


def test_from_secret_derives_the_same_keys() -> None:
    clock = FrozenClock()
    daemon = Session.from_secret("daemon", SECRET, NONCE_E, NONCE_D, SID, clock=clock)
    ext = Session("extension", SID, KEYS, clock=clock)
    daemon.open(ext.seal("ping", {}))


def test_role_must_be_known() -> None:
    with pytest.raises(ValueError):
        Session("relay", SID, KEYS)  # type: ignore[arg-type]


def test_seal_refuses_plain_only_and_unknown_kinds_and_bad_ids() -> None:
    _, ext = session_pair()
    with pytest.raises(UnexpectedKind):
        ext.seal("hello", {})
    with pytest.raises(UnknownKind):
        ext.seal("shell.exec", {})
    with pytest.raises(ValueError):
        ext.seal("ping", {}, msg_id="bad id")
    with pytest.raises(ValueError):
        ext.seal("pong", {"time": 1}, reply_to="")
    assert ext.sent_seq == 0


# --- C1 ------------------------------------------------------------------------------------------------


@pytest.fixture
def no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to parse P fail loudly: checks that must come first really do."""

    def refuse(data: Any) -> Any:
        raise AssertionError("P was parsed")

    monkeypatch.setattr(jsonstrict, "loads", refuse)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda f: f.pop("mac"),
        lambda f: f.update(mac=None),
        lambda f: f.update(mac=7),
        lambda f: f.update(mac=f["mac"][:42]),
        lambda f: f.update(mac=f["mac"] + "A"),
        lambda f: f.update(mac="=" * 43),
        lambda f: f.update(mac=f["mac"][:42] + "é"),
        lambda f: f.pop("p"),
        lambda f: f.update(p={"v": 1}),
        lambda f: f.update(p=None),
    ],
)
def test_c1_missing_or_malformed_mac_is_refused_before_p_is_parsed(mutate: Any, no_parse: None) -> None:
    daemon, ext = session_pair()
    frame = ext.seal("ping", {})
    mutate(frame)
    with pytest.raises(MissingMac) as info:
        daemon.open(frame)
    assert info.value.code == 3001
    assert daemon.rejections["missing_mac"] == 1


def test_bad_mac_is_refused_before_p_is_parsed(no_parse: None) -> None:
    daemon, _ = session_pair()
    frame = forge(KEYS.e2d, envelope())
    frame["p"] = frame["p"].replace("ping", "pong")
    with pytest.raises(BadMac):
        daemon.open(frame)


def test_a_hostile_p_with_a_bad_mac_is_never_parsed() -> None:
    daemon, _ = session_pair()
    frame = {"v": 1, "sid": SID, "mac": "A" * 43, "p": "[" * 100_000}
    with pytest.raises(BadMac):
        daemon.open(frame)


def test_a_deep_p_with_a_valid_mac_ends_the_session_cleanly() -> None:
    daemon, _ = session_pair()
    with pytest.raises(BadSession, match="json_too_deep"):
        daemon.open(forge(KEYS.e2d, '{"a":' + "[" * 100_000 + "]" * 100_000 + "}"))


# --- C2 ------------------------------------------------------------------------------------------------


def flip_char(text: str, index: int, bit: int) -> str:
    return text[:index] + chr(ord(text[index]) ^ (1 << bit)) + text[index + 1 :]


def test_c2_every_character_of_p_mac_and_sid_flipped_is_refused() -> None:
    _, ext = session_pair()
    frame = ext.seal("echo", {"data": "é 😀 \n", "mode": "digest"})
    tried = 0
    for field in ("p", "mac", "sid"):
        for index in range(len(frame[field])):
            for bit in range(7):
                daemon, _ = session_pair()
                forged = {**frame, field: flip_char(frame[field], index, bit)}
                with pytest.raises(SessionError):
                    daemon.open(forged)
                tried += 1
    assert tried == 7 * (len(frame["p"]) + 43 + 22)


def test_c2_every_bit_of_every_wire_byte_flipped_is_refused() -> None:
    """The whole path a receiver runs: strict parse, classification, open. No flip may get through."""
    _, ext = session_pair()
    wire = bytearray(jsonstrict.dumps(ext.seal("session.open", {
        "label": "Work", "browser": {"name": "C", "version": "1", "user_agent": "UA"}, "profile": "P",
        "ext_version": "1",
    })).encode())  # fmt: skip
    accepted = []
    for index in range(len(wire)):
        for bit in range(8):
            daemon, _ = session_pair()
            wire[index] ^= 1 << bit
            try:
                frame = jsonstrict.loads(bytes(wire))
                if frame_type(frame) != "sealed":
                    raise AssertionError("no longer sealed")  # the daemon would refuse it as plain or shape
                daemon.open(frame)
            except (WebBridgeError, AssertionError):
                pass
            else:
                accepted.append((index, bit))
            wire[index] ^= 1 << bit
    assert accepted == []


# --- C3, C4, C5 ----------------------------------------------------------------------------------------


def test_c3_replay_in_the_same_session_is_refused() -> None:
    daemon, ext = session_pair()
    frame = ext.seal("ping", {})
    daemon.open(frame)
    with pytest.raises(BadSequence) as info:
        daemon.open(frame)
    assert info.value.code == 3003


def test_c4_replay_into_a_new_session_is_refused() -> None:
    daemon_old, ext_old = session_pair()
    frame = ext_old.seal("ping", {})
    daemon_old.open(frame)
    new_keys = keys(nonce_e=bytes(32), nonce_d=NONCE_D, sid=OTHER_SID)
    daemon_new = Session("daemon", OTHER_SID, new_keys, clock=FrozenClock())
    with pytest.raises(BadMac):
        daemon_new.open(frame)
    with pytest.raises(BadMac):  # relabelled with the new session id: the key still differs
        Session("daemon", OTHER_SID, new_keys, clock=FrozenClock()).open({**frame, "sid": OTHER_SID})


def test_c4_same_keys_other_session_id_is_refused() -> None:
    daemon = Session("daemon", OTHER_SID, KEYS, clock=FrozenClock())
    with pytest.raises(BadSession):
        daemon.open(forge(KEYS.e2d, envelope(), sid=SID))
    daemon = Session("daemon", OTHER_SID, KEYS, clock=FrozenClock())
    with pytest.raises(BadSession):
        daemon.open(forge(KEYS.e2d, envelope(), sid=OTHER_SID))  # inner sid still SID


def test_c5_skipped_sequence_is_refused() -> None:
    daemon, ext = session_pair()
    ext.seal("ping", {})
    with pytest.raises(BadSequence, match="expected seq 1, got 2"):
        daemon.open(ext.seal("ping", {}))


def test_c5_reordered_frames_are_refused() -> None:
    daemon, ext = session_pair()
    first, second = ext.seal("ping", {}), ext.seal("ping", {})
    with pytest.raises(BadSequence):
        daemon.open(second)
    daemon2, _ = session_pair()
    daemon2.open(first)
    daemon2.open(second)


@pytest.mark.parametrize("seq", [0, -1, 2**60, True, 1.0, "1"])
def test_c5_odd_sequence_values(seq: Any) -> None:
    daemon, _ = session_pair()
    with pytest.raises((BadSequence, BadSession)):
        daemon.open(forge(KEYS.e2d, envelope(seq=seq)))


def test_c5_no_resync_after_a_failure() -> None:
    daemon, ext = session_pair()
    ext.seal("ping", {})
    with pytest.raises(BadSequence):
        daemon.open(ext.seal("ping", {}))
    with pytest.raises(BadSession, match="already ended"):
        daemon.open(forge(KEYS.e2d, envelope(seq=1)))
    assert isinstance(daemon.failure, BadSequence)
    assert daemon.rejections == {"bad_sequence": 1, "bad_session": 1}


# --- C6 ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["daemon", "extension"])
@pytest.mark.parametrize("offset", [MAX_SKEW_MS + 1, -(MAX_SKEW_MS + 1), 10**12, -T0])
def test_c6_timestamps_outside_the_window_are_refused(role: str, offset: int) -> None:
    clock = FrozenClock()
    daemon, ext = session_pair(clock)
    sender, receiver = (ext, daemon) if role == "daemon" else (daemon, ext)
    clock.now = T0 + offset
    frame = sender.seal("ping", {})
    clock.now = T0
    with pytest.raises(ClockSkew) as info:
        receiver.open(frame)
    assert info.value.code == 3004


@pytest.mark.parametrize("offset", [MAX_SKEW_MS, -MAX_SKEW_MS, 0])
def test_c6_timestamps_at_the_edge_are_accepted(offset: int) -> None:
    clock = FrozenClock()
    daemon, ext = session_pair(clock)
    clock.now = T0 + offset
    frame = ext.seal("ping", {})
    clock.now = T0
    assert daemon.open(frame).ts == T0 + offset


# --- step 3: envelope shape ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "env",
    [
        envelope(v=2),
        envelope(v=True),
        envelope(sid=OTHER_SID),
        envelope(ts="now"),
        envelope(ts=1.5),
        envelope(id=""),
        envelope(id="a b"),
        envelope(reply_to=5),
        envelope(kind=None),
        envelope(body=[]),
        {**envelope(), "extra": 1},
        {k: v for k, v in envelope().items() if k != "reply_to"},
        '{"v":1,"v":1}',
        "not json",
        "[]",
        '{"v":1,"sid":"\\ud800"}',
    ],
)
def test_malformed_signed_parts_end_the_session(env: Any) -> None:
    daemon, _ = session_pair()
    with pytest.raises(BadSession) as info:
        daemon.open(forge(KEYS.e2d, env))
    assert info.value.code == 3005


@pytest.mark.parametrize("outer", [{"v": 2}, {"v": True}, {"extra": 1}])
def test_malformed_outer_frames_end_the_session(outer: dict[str, Any]) -> None:
    daemon, _ = session_pair()
    with pytest.raises(BadSession):
        daemon.open({**forge(KEYS.e2d, envelope()), **outer})


def test_reflected_frames_never_verify() -> None:
    daemon, ext = session_pair()
    with pytest.raises(BadMac):
        ext.open(ext.seal("ping", {}))
    with pytest.raises(BadMac):
        daemon.open(daemon.seal("ping", {}))


# --- step 6 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "error"),
    [
        (envelope(kind="shell.exec", body={"cmd": "rm"}), UnknownKind),
        (envelope(kind="pong", body={"time": "soon"}), InvalidMessage),
        (envelope(kind="ping", body={"x": 1}), InvalidMessage),
        (envelope(kind="hello", body={}), UnexpectedKind),
        (envelope(kind="pair.confirm", body={}), UnexpectedKind),
    ],
)
def test_message_errors_keep_the_session_and_name_the_frame(
    env: dict[str, Any], error: type[Exception]
) -> None:
    daemon, _ = session_pair()
    with pytest.raises(error) as info:
        daemon.open(forge(KEYS.e2d, {**env, "id": "e9", "reply_to": "d4"}))
    assert info.value.detail == {"id": "e9", "reply_to": "d4", "kind": env["kind"]}  # type: ignore[attr-defined]
    assert daemon.received_seq == 1 and daemon.failure is None
    assert daemon.open(forge(KEYS.e2d, envelope(seq=2))).seq == 2


def test_rejections_are_counted_by_name() -> None:
    daemon, ext = session_pair()
    frame = ext.seal("ping", {})
    for bad in (forge(KEYS.e2d, envelope(kind="nope")), {**frame, "mac": "x"}):
        with pytest.raises(WebBridgeError):
            daemon.open(bad)
    assert daemon.rejections == {"missing_mac": 1, "unknown_kind": 1}


def test_message_ids_are_unique_per_role() -> None:
    daemon, ext = session_pair()
    assert [ext.next_id() for _ in range(3)] == ["e1", "e2", "e3"]
    assert daemon.next_id() == "d1"
