"""Hostile input against the real relay and the real daemon, over real pipes and sockets.

One daemon serves the whole module, with one pairing made through the relay and `webbridge pair --confirm`.
Each test opens a *good* bridge with that pairing (through its own relay) and attacks from a second
connection: a relay started by the test (what a local process can do, C14) or the daemon's socket directly.
While the attack is under way and after it, :func:`assert_serving` checks that the daemon keeps serving: the
good bridge answers ``ping`` and `webbridge call browser.info --bridge ID`, and a new connection is
handshaken. Every relay's stdout is checked frame by frame when its test ends (F15, ``Relays.aclose``).

Rows refer to /work/shared/SECURITY-CATALOG.md. The unit tests (tests/unit) cover each row exhaustively at
the layer that enforces it; these tests check that the layers are wired in the real processes.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from webbridge.errors import ChannelClosed, RemoteError
from webbridge.meta import EXTENSION_ID
from webbridge.protocol import framing, jsonstrict
from webbridge.protocol.b64url import decode as b64d
from webbridge.protocol.b64url import encode as b64e
from webbridge.protocol.messages import BrowserDesc, BrowserInfoResult, Hello, SessionOpen, Tab, body_of
from webbridge.protocol.session import Session, now_ms
from webbridge.testing import FakeExtension

from ..conftest import WbEnv, make_wb
from ._harness import (
    DEADLINE,
    Linked,
    Paired,
    Relays,
    acontrol,
    assert_serving,
    cli,
    connect,
    daemon_log,
    pair,
    status_kib,
    stop_daemon,
    strict_frames,
)

# Unix sockets, signals and /proc/PID/status (memory): Linux.
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, uses Unix sockets")

GOOD_TABS = (Tab(id=7, window_id=3, url="https://good.test/", title="Good", active=True),)
_ANY = object()


@dataclass
class Home:
    wb: WbEnv
    paired: Paired
    pid: int


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    """One daemon for the module, started with `webbridge daemon start`, and one pairing made through a
    relay and confirmed with `webbridge pair --confirm CODE`."""
    wb = make_wb(tmp_path_factory.mktemp("hostile"))
    wb.run("daemon", "start")
    wb.wait_daemon()
    pid = wb.daemon_pid()
    assert pid is not None

    async def pair_once() -> Paired:
        relays = Relays(wb)
        try:
            return await pair(wb, relays, "good")
        finally:
            await relays.aclose()

    try:
        yield Home(wb, asyncio.run(pair_once()), pid)
    finally:
        stop_daemon(wb)


@pytest.fixture
async def relays(home: Home) -> AsyncIterator[Relays]:
    r = Relays(home.wb)
    yield r
    await r.aclose()
    assert home.wb.daemon_pid() == home.pid, "the daemon was replaced during the test"


@pytest.fixture
async def good(home: Home, relays: Relays) -> Linked:
    return await connect(relays, home.paired, tabs=GOOD_TABS)


# --- helpers ----------------------------------------------------------------------------------------------

HELLO = body_of(
    Hello(
        proto=["wb1"], ext_version="0.1.0", ext_id=EXTENSION_ID, pairing_id=None, nonce=b64e(bytes(32)),
        browser=BrowserDesc(name="Chromium", version="1", user_agent="x"), profile="Default",
    )
)  # fmt: skip


def plain(kind: str, body: Any, *, msg_id: Any = "a1", reply_to: Any = None, **extra: Any) -> bytes:
    frame = {"v": 1, "id": msg_id, "reply_to": reply_to, "kind": kind, "body": body, **extra}
    return jsonstrict.dumps(frame).encode()


async def expect_error(fake: FakeExtension, code: int, *, reply_to: Any = _ANY) -> dict[str, Any]:
    """The next frame from the daemon is a plain ``error`` with ``code`` (answering ``reply_to``)."""
    frame = await fake.next_plain(timeout=DEADLINE)
    assert frame.get("kind") == "error", f"expected error {code}, got {frame}"
    assert frame["body"]["code"] == code, frame["body"]
    if reply_to is not _ANY:
        assert frame["reply_to"] == reply_to, frame
    return frame


async def expect_closed(fake: FakeExtension) -> None:
    """The daemon closes the connection, having sent nothing but ``error`` frames not yet read."""
    await fake.wait_closed(timeout=DEADLINE)
    while True:
        try:
            frame = await fake.next_plain(timeout=DEADLINE)
        except ChannelClosed:
            return
        assert frame.get("kind") == "error", f"unexpected frame before the close: {frame}"


async def rejected(home: Home, name: str) -> int:
    status = await acontrol(home.wb, "status")
    count: int = status["rejected"].get(name, 0)
    return count


def forged_session(sid: str | None = None) -> Session:
    """A session keyed by a secret nobody paired: its frames are well formed and never verify."""
    sid = sid or b64e(os.urandom(16))
    return Session.from_secret("extension", os.urandom(32), os.urandom(32), os.urandom(32), sid)


_PONG = b'{"v":1,"id":"d1","reply_to":"e1","kind":"pong","body":{"time":1}}'


def sealed_bytes(frame: dict[str, Any]) -> bytes:
    return jsonstrict.dumps(frame).encode()


def vm_hwm(home: Home) -> int:
    return status_kib(home.pid, "VmHWM")


# --- F15: the validator every relay's stdout goes through ------------------------------------------------


@pytest.mark.parametrize(
    "stdout",
    [
        pytest.param(b"webbridge-host INFO started\n", id="a log line"),
        pytest.param(framing.encode(_PONG) + b"\n", id="a stray newline after a frame"),
        pytest.param(framing.encode(_PONG)[:-1], id="a truncated frame"),
        pytest.param(framing.HEADER.pack(framing.MAX_DOWN_FRAME + 1) + b"{", id="a frame over 1 MiB"),
        pytest.param(framing.encode(b'{"v":1,"kind":"pong","x":NaN}'), id="not strict JSON"),
        pytest.param(framing.encode(b'{"v":1,"relay":{"origin":"x"}}'), id="a socket preamble"),
    ],
)
def test_f15_the_stdout_validator_refuses_anything_but_frames(stdout: bytes) -> None:
    assert strict_frames(framing.encode(_PONG) * 2) == [jsonstrict.loads(_PONG)] * 2
    with pytest.raises(AssertionError):
        strict_frames(stdout)


# --- F2–F5: frame headers ---------------------------------------------------------------------------------

TRANSPORTS = ["relay", "socket"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_f2_partial_body_then_eof_is_discarded(
    home: Home, relays: Relays, good: Linked, transport: str
) -> None:
    attacker = await relays.connect(transport)
    hello = plain("hello", HELLO)
    await attacker.send_raw(framing.HEADER.pack(len(hello)) + hello[: len(hello) // 2])
    await assert_serving(home.wb, good)  # while the frame hangs half-sent
    await attacker.send_eof()
    if transport == "socket":
        await expect_error(attacker, 1001)  # the daemon names it; the relay just exits
    await expect_closed(attacker)  # in particular: no hello.ok, the partial hello was never handled
    await assert_serving(home.wb, good, real_cli=False)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("header", "code"),
    [
        pytest.param(framing.HEADER.pack(0), 1002, id="F3-length-0"),
        pytest.param(framing.HEADER.pack(0xFFFFFFFF), 1003, id="F4-length-0xFFFFFFFF"),
        pytest.param(framing.HEADER.pack(0x0200_0001), 1003, id="F4-one-byte-over-the-cap"),
        pytest.param((64).to_bytes(4, "big") + b"x" * 64, 1003, id="F5-big-endian-length"),
    ],
)
async def test_f3_f4_f5_bad_length_is_refused_on_the_header(
    home: Home, relays: Relays, good: Linked, transport: str, header: bytes, code: int
) -> None:
    peak = vm_hwm(home)
    attacker = await relays.connect(transport)
    # No body follows: a reader that waited for the announced bytes would hang here (F5), and one that
    # allocated them first would show in the daemon's peak memory (F4).
    await attacker.send_raw(header)
    if transport == "socket":
        await expect_error(attacker, code)
    await expect_closed(attacker)
    assert vm_hwm(home) - peak < 8 * 1024, "the daemon allocated memory for a refused frame"
    await assert_serving(home.wb, good)


# --- F6–F11: frames that parse badly or are not messages ----------------------------------------------------

_VALID = plain("hello", HELLO)
_CASES = [
    # F6: invalid UTF-8
    ("F6-overlong-slash", plain("hello", HELLO)[:-1] + b',"x":"\xc0\xaf"}', 1004, None),
    ("F6-overlong-nul", b'{"v":1,"id":"a1","k\xc0\x80":1}', 1004, None),
    ("F6-encoded-lone-surrogate", b'{"v":1,"id":"a1","x":"\xed\xa0\x80"}', 1004, None),
    ("F6-truncated-sequence", b'{"v":1,"id":"a1","x":"\xe2\x82"}', 1004, None),
    ("F6-lone-surrogate-escape", b'{"v":1,"id":"a1","x":"\\ud800"}', 1007, None),
    # F7: not (exactly one) JSON
    ("F7-bom", b"\xef\xbb\xbf" + _VALID, 1005, None),
    ("F7-nan", b'{"v":NaN}', 1005, None),
    ("F7-infinity", b'{"v":Infinity}', 1005, None),
    ("F7-minus-infinity", b'{"v":-Infinity}', 1005, None),
    ("F7-line-comment", _VALID + b"// hi", 1005, None),
    ("F7-block-comment", b"{/* hi */" + _VALID[1:], 1005, None),
    ("F7-trailing-garbage", _VALID + b"x", 1005, None),
    ("F7-two-objects", _VALID + _VALID, 1005, None),
    # F8, F9: depth and size
    ("F8-100000-deep", b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}", 1006, None),
    ("F9-1e999999", b'{"v":1e999999}', 1007, None),
    ("F9-million-digit-integer", b'{"v":' + b"7" * 1_000_000 + b"}", 1007, None),
    ("F9-ten-megabyte-string", plain("hello", {**HELLO, "profile": "p" * 10_000_000}), 2002, "a1"),
    # F10: duplicate keys, also after unescaping
    (
        "F10-duplicate-kind",
        b'{"v":1,"id":"a1","reply_to":null,"kind":"hello","kind":"ping","body":{}}',
        1008,
        None,
    ),
    ("F10-duplicate-after-unescape", b'{"v":1,"kind":"hello","\\u006bind":"ping"}', 1008, None),
    # F11: wrong types, unknown kinds, extra fields
    ("F11-proto-not-a-list", plain("hello", {**HELLO, "proto": "wb1"}), 2002, "a1"),
    ("F11-nonce-not-a-string", plain("hello", {**HELLO, "nonce": 12}), 2002, "a1"),
    ("F11-pairing-id-bool", plain("hello", {**HELLO, "pairing_id": True}), 2002, "a1"),
    ("F11-id-not-a-string", plain("hello", HELLO, msg_id=5), 2002, None),
    ("F11-reply-to-not-an-id", plain("hello", HELLO, reply_to="../x"), 2002, "a1"),
    ("F11-unknown-kind", plain("shell.exec", {"cmd": "rm -rf ~"}), 2001, "a1"),
    ("F11-extra-frame-field", plain("hello", HELLO, admin=True), 2002, "a1"),
    ("F11-extra-body-field", plain("hello", {**HELLO, "debug": True}), 2002, "a1"),
    ("F11-body-not-an-object", plain("hello", [HELLO]), 2002, "a1"),
    ("F11-no-kind", b'{"v":1,"id":"a1"}', 2002, "a1"),
    ("F11-top-level-array", b"[" + _VALID + b"]", 1009, None),
]


@pytest.mark.parametrize(
    ("payload", "code", "reply_to"), [pytest.param(p, c, r, id=i) for i, p, c, r in _CASES]
)
async def test_f6_to_f11_malformed_frame_gets_a_typed_error_and_no_action(
    home: Home, relays: Relays, good: Linked, payload: bytes, code: int, reply_to: str | None
) -> None:
    assert len(payload) <= framing.MAX_UP_FRAME  # within the size cap: the parser must refuse it
    attacker = await relays.fake()
    await attacker.send_frame(payload)
    await expect_error(attacker, code, reply_to=reply_to)
    await assert_serving(home.wb, good)  # while the attacker stays connected
    # The connection goes on, and nothing of the refused frame was acted on: had it been taken as a
    # hello, this one would be refused as a second hello.
    ok = await attacker.hello(pairing_id=None, timeout=DEADLINE)
    assert ok.paired is False
    await attacker.aclose()
    await assert_serving(home.wb, good, real_cli=False)


async def test_f11_a_frame_version_other_than_1_closes_the_connection(
    home: Home, relays: Relays, good: Linked
) -> None:
    attacker = await relays.fake()
    await attacker.send_frame(plain("hello", HELLO, v="1"))  # "1", not 1: 2004, not a shape error
    await expect_error(attacker, 2004)
    await expect_closed(attacker)
    await assert_serving(home.wb, good)


# --- F12: frame boundaries -------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_f12_many_frames_in_one_write_are_each_answered(
    home: Home, relays: Relays, good: Linked, transport: str
) -> None:
    mine = await connect(relays, home.paired, transport=transport)
    fake, count = mine.fake, 300
    fake.cork()
    echoes = [asyncio.create_task(fake.echo(f"{i}:" + "é" * i, timeout=DEADLINE)) for i in range(count)]
    await fake.wait_held(count)
    assert await fake.uncork() == count  # 300 sealed frames, one write
    results = await asyncio.gather(*echoes)
    assert [r.data for r in results] == [f"{i}:" + "é" * i for i in range(count)]
    await assert_serving(home.wb, good)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_f12_a_frame_written_one_byte_at_a_time_is_reassembled(
    home: Home, relays: Relays, good: Linked, transport: str
) -> None:
    mine = await connect(relays, home.paired, transport=transport)
    fake = mine.fake
    fake.write_piece = 1
    sending = asyncio.create_task(fake.echo("one\nbyte\r\nat a time\x1a é 😀", timeout=DEADLINE))
    await assert_serving(home.wb, good, real_cli=False)  # while the frame trickles in
    assert (await sending).data == "one\nbyte\r\nat a time\x1a é 😀"
    fake.write_piece = None
    assert (await fake.ping()).time > 0
    await assert_serving(home.wb, good)


# --- F13: a flood -----------------------------------------------------------------------------------------

FLOOD = 100_000
RSS_BOUND_KIB = 16 * 1024


async def test_f13_a_flood_of_100k_frames_meets_back_pressure_and_flat_memory(
    home: Home, relays: Relays, good: Linked
) -> None:
    """100 000 small frames, each refused with an ``error`` reply. While the flooder does not read its
    replies, back-pressure stops the daemon after a few thousand; once it reads, every reply arrives in
    order. The daemon's resident memory grows by less than RSS_BOUND_KIB (16 MiB) throughout, it keeps
    answering the good bridge, and the whole test is bounded (60 s; about 6 s here)."""
    async with asyncio.timeout(60):
        rss0 = status_kib(home.pid, "VmRSS")
        base = await rejected(home, "unknown_kind")
        relay = await relays.start()
        flooder = FakeExtension(relay.reader, relay.writer)
        relays.fakes.append(flooder)
        blob = b"".join(
            framing.encode(b'{"v":1,"id":"f%d","reply_to":null,"kind":"flood","body":{}}' % i)
            for i in range(FLOOD)
        )
        relay.hold()  # a browser that does not read: the daemon's replies back up to it
        writing = asyncio.create_task(flooder.send_raw(blob))
        # Poll the daemon's refusal counter (another process: there is no event) until it stops moving.
        history: list[int] = []
        while len(history) < 6 or len(set(history[-6:])) > 1:
            history.append(await rejected(home, "unknown_kind") - base)
            assert (await good.fake.ping(timeout=5)).time > 0  # responsive all along
            await asyncio.sleep(0.05)
        held_at = history[-1]
        assert 0 < held_at < FLOOD // 4, f"the daemon took {held_at} frames from a flooder that reads nothing"
        assert not writing.done(), "the flood went through without back-pressure"
        assert status_kib(home.pid, "VmRSS") - rss0 < RSS_BOUND_KIB
        await assert_serving(home.wb, good, real_cli=False)

        relay.resume()
        peak = rss0
        for i in range(FLOOD):
            frame = await flooder.next_plain(timeout=DEADLINE)
            assert frame["kind"] == "error" and frame["reply_to"] == f"f{i}", frame
            assert frame["body"]["code"] == 2001
            if i % 20_000 == 0:
                peak = max(peak, status_kib(home.pid, "VmRSS"))
                assert (await good.fake.ping(timeout=5)).time > 0
        await writing
        assert await rejected(home, "unknown_kind") - base == FLOOD
        peak = max(peak, status_kib(home.pid, "VmRSS"))
        assert peak - rss0 < RSS_BOUND_KIB, f"daemon RSS grew by {peak - rss0} KiB during the flood"
    await assert_serving(home.wb, good)


# --- F14, F16: payloads -----------------------------------------------------------------------------------


async def test_f14_a_3mb_reply_reaches_the_browser_in_chunks_under_1_mib(
    home: Home, relays: Relays, good: Linked
) -> None:
    mine = await connect(relays, home.paired)
    data = "".join(chr(0x20 + i % 0x5E) for i in range(3_000_000))
    sending = asyncio.create_task(mine.fake.echo(data, timeout=DEADLINE))
    await assert_serving(home.wb, good, real_cli=False)  # while 3 MB go up and come back
    assert (await sending).data == data
    assert mine.fake.chunked_payloads == 1 and mine.fake.largest_down_frame <= framing.MAX_DOWN_FRAME
    await mine.fake.aclose()
    down = strict_frames(bytes(relays.relay_of(mine.fake).stdout))  # every frame ≤ 1 048 576 bytes
    chunks = [f for f in down if "chunk" in f]
    assert len(chunks) >= 5 and [c["chunk"]["i"] for c in chunks] == list(range(len(chunks)))
    whole = b"".join(b64d(c["data"]) for c in chunks)
    assert jsonstrict.loads(whole)["mac"]  # the pieces reassemble into one sealed frame
    await assert_serving(home.wb, good)


async def test_f16_newlines_and_ctrl_z_round_trip_unchanged(home: Home, relays: Relays, good: Linked) -> None:
    mine = await connect(relays, home.paired)
    for data in ["\n", "\r\n", "\x1a", "a\nb\r\nc\x1ad\r", "\r\n" * 1000 + "\x1a\x00\x1b\u2028"]:
        assert (await mine.fake.echo(data)).data == data
        digest = await mine.fake.echo(data, mode="digest")
        raw = data.encode()
        assert (digest.size, digest.sha256) == (len(raw), hashlib.sha256(raw).hexdigest())
    await assert_serving(home.wb, good)


# --- C1–C7: the authenticated channel -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "strip",
    [
        pytest.param(lambda f: {k: v for k, v in f.items() if k != "mac"}, id="no-mac"),
        pytest.param(lambda f: {**f, "mac": f["mac"][:42]}, id="mac-too-short"),
        pytest.param(lambda f: {**f, "mac": None}, id="mac-null"),
        pytest.param(lambda f: {"v": 1, "sid": f["sid"], "p": "{not json at all"}, id="no-mac-unparseable-p"),
    ],
)
async def test_c1_sealed_frame_without_a_mac_ends_the_session_before_parsing(
    home: Home, relays: Relays, good: Linked, strip: Any
) -> None:
    mine = await connect(relays, home.paired)
    assert mine.fake.session is not None
    frame = strip(mine.fake.session.seal("ping", {}))
    await mine.fake.send_json(frame)
    await expect_error(mine.fake, 3001)  # missing_mac, even where p is not JSON: p is never parsed
    await expect_closed(mine.fake)
    await assert_serving(home.wb, good)


def _after(marker: bytes, offset: int = 0) -> Callable[[bytes], int]:
    return lambda frame: frame.index(marker) + len(marker) + offset


#: (where, position in the serialised frame, bit mask, the codes that refuse it): a sample of single-bit
#: flips over the outer frame and the signed part.
FLIPS: list[tuple[str, Callable[[bytes], int], int, set[int]]] = [
    ("outer v", _after(b'{"v":'), 0x01, {3005}),
    ("sid value", _after(b'"sid":"', 3), 0x02, {3005}),  # not under the MAC, but must match the session
    ("mac value", _after(b'"mac":"', 5), 0x01, {3001, 3002}),
    ("mac value, high bit", _after(b'"mac":"', 20), 0x80, {1004}),
    ("key p", _after(b'"p"', -2), 0x01, {3001}),
    ("seq", _after(b'\\"seq\\":'), 0x01, {3002}),
    ("ts", _after(b'\\"ts\\":', 4), 0x04, {3002}),
    ("kind", _after(b'\\"kind\\":\\"', 1), 0x01, {3002}),
    ("body", _after(b'\\"body\\":'), 0x01, {3002}),
    ("escape in p", _after(b'"p":"', 1), 0x01, {1005}),
    ("opening brace", lambda frame: 0, 0x01, {1005}),
    ("last byte", lambda frame: len(frame) - 1, 0x01, {1005}),
]


async def test_c2_a_flipped_bit_anywhere_in_a_sealed_frame_is_rejected(
    home: Home, relays: Relays, good: Linked
) -> None:
    """A sample of positions (every position is in tests/unit/test_session.py): each flip is refused; a
    flip the parser catches leaves the session going (the genuine frame then works), any other ends it."""
    for where, locate, mask, codes in FLIPS:
        mine = await connect(relays, home.paired)
        fake = mine.fake
        assert fake.session is not None and fake.channel is not None
        genuine = sealed_bytes(fake.session.seal("ping", {}, msg_id="flip"))
        flipped = bytearray(genuine)
        flipped[locate(genuine)] ^= mask
        await fake.send_frame(bytes(flipped))
        error = await fake.next_plain(timeout=DEADLINE)
        assert error.get("kind") == "error" and error["body"]["code"] in codes, (where, error)
        assert fake.session.received_seq == 1, f"{where}: the flipped frame was answered"
        if error["body"]["code"] >= 3000:
            await expect_closed(fake)
        else:  # refused by the parser before the channel: the genuine frame still verifies
            await fake.send_frame(genuine)
            assert (await fake.ping()).time > 0
            assert fake.channel.counters["unsolicited_reply"] == 1  # the pong to the genuine "flip"
            await fake.aclose()
    await assert_serving(home.wb, good)


async def test_c3_a_frame_replayed_in_the_same_session_is_rejected(
    home: Home, relays: Relays, good: Linked
) -> None:
    mine = await connect(relays, home.paired)
    assert (await mine.fake.ping()).time > 0
    captured = mine.fake.sent_frames[-1]
    assert b"ping" in captured
    await mine.fake.send_frame(captured)
    await expect_error(mine.fake, 3003)
    await expect_closed(mine.fake)
    await assert_serving(home.wb, good)


async def test_c4_a_frame_replayed_into_a_new_session_is_rejected(
    home: Home, relays: Relays, good: Linked
) -> None:
    first = await connect(relays, home.paired)
    assert (await first.fake.ping()).time > 0
    hello, opening, ping = list(first.fake.sent_frames)[-3:]
    assert b'"hello"' in hello and b"session.open" in opening and b"ping" in ping
    await first.fake.aclose()

    # A new connection after its hello: replaying the old session.open (seq 1, as expected) fails the MAC.
    replay = await relays.fake(pairing_id=home.paired.pairing_id, secret=home.paired.secret)
    assert (await replay.hello(timeout=DEADLINE)).paired
    await replay.send_frame(opening)
    await expect_error(replay, 3002)
    await expect_closed(replay)

    # A new session that is open: the old ping carries seq 2, the one expected next; still refused.
    second = await connect(relays, home.paired)
    await second.fake.send_frame(ping)
    await expect_error(second.fake, 3002)
    await expect_closed(second.fake)
    await assert_serving(home.wb, good)


@pytest.mark.parametrize("order", ["skipped", "reordered"])
async def test_c5_skipped_or_reordered_sequence_ends_the_session(
    home: Home, relays: Relays, good: Linked, order: str
) -> None:
    mine = await connect(relays, home.paired)
    session = mine.fake.session
    assert session is not None
    a = sealed_bytes(session.seal("ping", {}))
    b = sealed_bytes(session.seal("ping", {}))
    await mine.fake.send_frame(b)  # seq 3 where 2 is due
    if order == "reordered":
        await mine.fake.send_frame(a)
    await expect_error(mine.fake, 3003)
    await expect_closed(mine.fake)
    # The extension re-syncs by a new handshake, never within the broken session.
    again = await connect(relays, home.paired)
    assert (await again.fake.ping()).time > 0
    await assert_serving(home.wb, good)


@pytest.mark.parametrize("sign", [+1, -1], ids=["ahead", "behind"])
async def test_c6_a_timestamp_outside_the_window_is_clock_skew(
    home: Home, relays: Relays, good: Linked, sign: int
) -> None:
    offset = 0
    mine = await connect(relays, home.paired, clock=lambda: now_ms() + offset)
    offset = sign * 100_000  # inside ±120 s: accepted
    assert (await mine.fake.ping()).time > 0
    offset = sign * 125_000
    with pytest.raises(ChannelClosed):
        await mine.fake.ping()
    assert mine.fake.last_error is not None and mine.fake.last_error.remote_code == 3004
    await expect_closed(mine.fake)
    await assert_serving(home.wb, good)


async def test_c7_a_reply_to_no_open_request_is_dropped_and_logged(
    home: Home, relays: Relays, good: Linked
) -> None:
    mine = await connect(relays, home.paired)
    session = mine.fake.session
    assert session is not None
    stray = [
        session.seal("pong", {"time": now_ms()}, reply_to="d999"),
        session.seal("browser.info.result", body_of(_info(mine.fake)), reply_to="nope"),
        session.seal("error", {"code": 4001, "name": "timeout", "message": "x"}, reply_to="d42"),
        session.seal("pong", {"time": now_ms()}),  # a reply kind answering nothing at all
    ]
    for frame in stray:
        await mine.fake.send_json(frame)
    assert (await mine.fake.ping()).time > 0  # the connection is up, in sequence
    assert session.received_seq == 2, "the daemon answered a stray reply"  # session.opened, pong
    log = daemon_log(home.wb)
    for reply_to in ("d999", "nope", "d42", "null"):
        assert f"answering no open request (reply_to={reply_to})" in log
    await assert_serving(home.wb, good)


def _info(fake: FakeExtension) -> BrowserInfoResult:
    return BrowserInfoResult(browser="x", version="1", user_agent="x", profile="p", tabs=fake.tabs)


# --- C8: rotation -----------------------------------------------------------------------------------------


async def test_c8_after_rotation_the_old_key_fails_and_the_new_one_works(
    home: Home, relays: Relays, good: Linked
) -> None:
    paired = await pair(home.wb, relays, "rotating")
    mine = await connect(relays, paired)
    old = mine.fake.secret
    await cli(home.wb, "pair", "--rotate", paired.pairing_id)
    assert mine.fake.rotations == 1 and mine.fake.secret != old
    assert (await mine.fake.ping()).time > 0  # the session that rotated goes on
    await mine.fake.aclose()

    stale = await relays.fake(pairing_id=paired.pairing_id, secret=old, label="stale")
    with pytest.raises(ChannelClosed):
        await stale.open_session(timeout=DEADLINE)  # hello says paired; session.open fails the MAC
    assert stale.last_error is not None and stale.last_error.remote_code == 3002
    await expect_closed(stale)

    assert mine.fake.secret is not None
    fresh = await connect(relays, Paired(paired.pairing_id, mine.fake.secret, "rotated"))
    out = await cli(home.wb, "call", "browser.info", "--bridge", fresh.bridge_id)
    assert '"browser.info.result"' in out.stdout
    await assert_serving(home.wb, good)


# --- C10, C12, C14: no pairing, no command ----------------------------------------------------------------

COMMANDS = {
    "session.open": body_of(
        SessionOpen(
            label="x",
            browser=BrowserDesc(name="x", version="1", user_agent="x"),
            profile="p",
            ext_version="1",
        )
    ),
    "ping": {},
    "echo": {"data": "x", "mode": "echo"},
    "browser.info": {},
    "key.rotate": {"pk": "B" + "A" * 86},
}


async def _only_pairing_answers(home: Home, attacker: FakeExtension, sid: str | None) -> None:
    """Sealed frames (well formed, keyed by a secret nobody paired) get 3006; command kinds sent plain get
    2003; nothing is dispatched; the pairing flow still answers."""
    forged = forged_session(sid)
    for kind, body in COMMANDS.items():
        await attacker.send_json(forged.seal(kind, body))
        await expect_error(attacker, 3006)
        await attacker.send_frame(plain(kind, body, msg_id=f"plain-{kind.replace('.', '-')}"))
        await expect_error(attacker, 2003, reply_to=f"plain-{kind.replace('.', '-')}")
    if attacker.hello_ok is None:
        await attacker.hello(pairing_id=None, timeout=DEADLINE)
    sas = await attacker.pair(confirm=False)  # the pairing flow answers (and waits for the user)
    assert re.fullmatch(r"\d{6}", sas)
    await attacker.cancel()
    bridges = await acontrol(home.wb, "bridges.list")
    assert all(b["label"] != attacker.label for b in bridges), "an unpaired connection became a bridge"


@pytest.mark.parametrize("hello", ["no-hello", "unpaired-hello", "unknown-pairing-id"])
async def test_c10_unpaired_extension_gets_only_pairing_answers(
    home: Home, relays: Relays, good: Linked, hello: str
) -> None:
    attacker = await relays.fake(label="intruder")
    sid = None
    if hello != "no-hello":
        ok = await attacker.hello(
            pairing_id=None if hello == "unpaired-hello" else "p-000000000000", timeout=DEADLINE
        )
        assert ok.paired is False
        sid = ok.sid
    await _only_pairing_answers(home, attacker, sid)
    await assert_serving(home.wb, good)  # while the intruder is connected
    await attacker.aclose()
    await assert_serving(home.wb, good, real_cli=False)


@pytest.mark.parametrize("proto", [["wb0"], ["none"], ["wb1-plain"], ["wb0", "plain"]])
async def test_c12_a_hello_without_wb1_is_refused_and_closed(
    home: Home, relays: Relays, good: Linked, proto: list[str]
) -> None:
    attacker = await relays.fake(pairing_id=home.paired.pairing_id, secret=home.paired.secret)
    with pytest.raises(RemoteError) as refused:
        await attacker.hello(proto=proto, timeout=DEADLINE)
    assert refused.value.remote_code == 2004
    await expect_closed(attacker)
    await assert_serving(home.wb, good)


async def test_c14_a_local_process_running_the_relay_cannot_run_commands(
    home: Home, relays: Relays, good: Linked
) -> None:
    """Anyone of this user can start the relay with our origin and write frames to it. Without the
    pairing's secret it gets the C10 treatment, and knowing the (public) pairing id only earns bad_mac."""
    before = await rejected(home, "bad_mac")
    intruder = await relays.fake(label="intruder")
    await _only_pairing_answers(home, intruder, None)
    await intruder.aclose()

    guesser = await relays.fake(pairing_id=home.paired.pairing_id, secret=os.urandom(32), label="intruder")
    with pytest.raises(ChannelClosed):
        await guesser.open_session(timeout=DEADLINE)
    assert guesser.last_error is not None and guesser.last_error.remote_code == 3002
    await expect_closed(guesser)
    assert await rejected(home, "bad_mac") == before + 1

    missing = await cli(home.wb, "call", "browser.info", "--bridge", "intruder", check=False)
    assert missing.returncode == 1 and "5001" in missing.stderr
    await assert_serving(home.wb, good)


# --- C13: the key file ------------------------------------------------------------------------------------


def _world_readable(path: Any) -> None:
    os.chmod(path, 0o644)


def _symlink(path: Any) -> None:
    elsewhere = path.with_name("elsewhere.json")
    os.replace(path, elsewhere)
    os.symlink(elsewhere, path)


def _corrupt(path: Any) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same file, same owner, same mode: one byte wrong
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "tamper", [_world_readable, _symlink, _corrupt], ids=["chmod-0644", "symlink", "corrupt"]
)
async def test_c13_a_tampered_key_file_is_refused_until_reset(wb: WbEnv, tamper: Any) -> None:
    relays = Relays(wb)
    try:
        await _c13(wb, relays, tamper)
    finally:
        await relays.aclose()
        stop_daemon(wb)


async def _c13(wb: WbEnv, relays: Relays, tamper: Any) -> None:
    paired = await pair(wb, relays, "victim")  # the relay starts the daemon
    tamper(wb.paths.keys)

    async def refused() -> None:
        status = await acontrol(wb, "status")
        assert status["keystore_problem"] and "pair --reset" in status["keystore_problem"]
        fake = await relays.fake(pairing_id=paired.pairing_id, secret=paired.secret)
        assert (await fake.hello(timeout=DEADLINE)).paired is False
        await fake.aclose()
        doctor = await cli(wb, "doctor", "--json", check=False)
        assert doctor.returncode == 1
        named = [c for c in jsonstrict.loads(doctor.stdout)["checks"] if c["id"] == "keystore"]
        assert named and named[0]["status"] == "fail" and "pair --reset" in named[0]["fix"], doctor.stdout

    await refused()  # noticed by the running daemon
    stop_daemon(wb)
    await cli(wb, "daemon", "start")
    await refused()  # and refused when loading it
    await cli(wb, "pair", "--reset")
    status = await acontrol(wb, "status")
    assert status["keystore_problem"] is None and status["pairings"] == 0
    assert not os.path.lexists(wb.paths.keys)
    again = await pair(wb, relays, "victim")
    linked = await connect(relays, again)
    assert (await linked.fake.ping()).time > 0
    assert os.stat(wb.paths.keys).st_mode & 0o777 == 0o600
