"""The daemon's page I/O tools (dialogs, console, network log, evaluate): the requests they build, their
deadlines, the 6020-6025 replies translated into typed errors, and arguments the models refuse before
anything is sent. One layer: the channel below is scripted and validates what would go on the wire."""

from __future__ import annotations

from typing import Any

import pytest

from webbridge import errors
from webbridge.protocol.messages import CATALOGUE
from webbridge.protocol.page_io_kinds import (
    ConsoleMessage,
    ConsoleResult,
    Dialog,
    DialogHandled,
    DialogStateResult,
    EvaluateResult,
    NetworkRequest,
    NetworkResult,
)
from webbridge.tools import browser

from ._scripted_channel import bridge

_DIALOG = {"type": "beforeunload", "message": "", "url": "https://a.test/", "default_prompt": "",
           "opened_at": 9}  # fmt: skip
_ANSWERED = {"type": "prompt", "message": "Name?", "url": "https://a.test/", "default_prompt": "Ada",
             "opened_at": 9, "answer": "accept", "prompt_text": "Ada", "by": "armed"}  # fmt: skip
_CONSOLE_LINE = {"seq": 1, "level": "log", "source": "console", "text": "hi", "url": "", "line": None,
                 "time": 1}  # fmt: skip
_REQUEST = {"seq": 1, "method": "GET", "url": "https://a.test/", "type": "main_frame", "status": 200,
            "error": None, "from_cache": False, "started": 1, "duration_ms": 2, "request_size": None,
            "response_size": 10}  # fmt: skip
#: A valid body of every page I/O kind (test_messages.py checks each round-trips and refuses extras).
PAGE_IO_VALID: dict[str, dict[str, Any]] = {
    "dialog.state": {"tab_id": 1},
    "dialog.state.result": {"dialog": _DIALOG, "watched": True,
                            "armed": {"action": "accept", "prompt_text": "x"}, "recent": [_ANSWERED]},
    "dialog.handle": {"tab_id": 1, "action": "dismiss", "prompt_text": None},
    "dialog.handled": {"dialog": _DIALOG, "action": "dismiss"},
    "dialog.arm": {"tab_id": 1, "action": None, "prompt_text": None},
    "dialog.armed": {"armed": None},
    "page.console": {"tab_id": 1, "since": 0, "limit": 200, "levels": ["log"], "clear": False,
                     "earlier": True},
    "page.console.result": {"messages": [_CONSOLE_LINE], "dropped": 0, "next": 1, "watched": True,
                            "earlier_added": 3},
    "page.network": {"tab_id": 1, "since": 0, "limit": 200, "url": None, "clear": False},
    "page.network.result": {"requests": [_REQUEST], "dropped": 0, "next": 1},
    "page.evaluate": {"tab_id": 1, "script": "1", "args": [{"a": [1, "x", None, True, 1.5]}],
                      "timeout_ms": 10, "max_bytes": 10},
    "page.evaluate.result": {"type": "number", "value": 1, "url": "https://a.test/"},
}  # fmt: skip

DIALOG = Dialog(type="prompt", message="Your name?", url="https://a.test/", default_prompt="Ada", opened_at=1)


def test_the_kinds_are_in_the_catalogue_as_extension_answered_requests() -> None:
    for kind, reply in [
        ("dialog.state", "dialog.state.result"),
        ("dialog.handle", "dialog.handled"),
        ("dialog.arm", "dialog.armed"),
        ("page.console", "page.console.result"),
        ("page.network", "page.network.result"),
        ("page.evaluate", "page.evaluate.result"),
    ]:
        info = CATALOGUE[kind]
        assert (info.role, info.direction, info.reply, info.sealed) == ("request", "d2e", reply, True)
        assert CATALOGUE[reply].role == "reply" and CATALOGUE[reply].direction == "e2d"


async def test_dialog_state_and_handle() -> None:
    b = bridge(DialogStateResult(dialog=DIALOG, watched=True),
               DialogHandled(dialog=DIALOG, action="accept"))  # fmt: skip
    assert (await browser.dialog_state(b, 7)).dialog == DIALOG
    handled = await browser.handle_dialog(b, 7, "accept", prompt_text="Grace")
    assert handled.dialog.default_prompt == "Ada"
    sent = {"tab_id": 7, "action": "accept", "prompt_text": "Grace"}
    assert b.channel.sent[1][0] == "dialog.handle" and b.channel.wire(1) == sent


async def test_console_and_network_reads() -> None:
    msg = ConsoleMessage(seq=3, level="error", source="exception", text="boom", url="u", line=2, time=5)
    req = NetworkRequest(seq=1, method="GET", url="https://a.test/x", type="xmlhttprequest", status=None,
                         error="net::ERR_FAILED", from_cache=False, started=10, duration_ms=4,
                         request_size=None, response_size=None)  # fmt: skip
    b = bridge(ConsoleResult(messages=[msg], dropped=0, next=3, watched=True),
               NetworkResult(requests=[req], dropped=2, next=1))  # fmt: skip
    got = await browser.console_messages(b, 7, since=2, levels=("error", "warning"), limit=10)
    assert got.messages == [msg]
    assert b.channel.wire(0) == {"tab_id": 7, "since": 2, "limit": 10, "levels": ["error", "warning"],
                                 "clear": False, "earlier": False}  # fmt: skip
    net = await browser.network_requests(b, 7, url="/x", clear=True)
    assert net.requests == [req] and net.dropped == 2
    assert b.channel.wire(1)["url"] == "/x" and b.channel.wire(1)["clear"] is True


async def test_evaluate_sends_args_and_waits_beyond_its_own_timeout() -> None:
    b = bridge(EvaluateResult(type="object", value={"a": [1, None]}, url="https://a.test/"))
    got = await browser.evaluate(b, 7, "(x, y) => ({a: [x, y]})", [1, None], timeout_ms=2_000, max_bytes=100)
    assert got.value == {"a": [1, None]} and got.type == "object"
    kind, _, timeout = b.channel.sent[0]
    wire = b.channel.wire(0)
    assert kind == "page.evaluate" and wire["args"] == [1, None] and wire["max_bytes"] == 100
    assert timeout == 2.0 + browser.REPLY_MARGIN_S  # the extension's 6025 arrives before the channel's 4001


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (6020, errors.DialogOpen),
        (6021, errors.DialogOpened),
        (6022, errors.NoDialog),
        (6023, errors.ScriptError),
        (6024, errors.ScriptResultInvalid),
        (6025, errors.ScriptTimeout),
    ],
)
async def test_remote_codes_become_typed_errors(code: int, cls: type[errors.BrowserActionError]) -> None:
    b = bridge(errors.RemoteError("the page said no", remote_code=code, remote_name=cls.name))
    with pytest.raises(cls) as info:
        await browser.evaluate(b, 7, "1")
    assert info.value.message == "the page said no" and info.value.code == code
    assert errors.BY_CODE[code] is cls and cls.model_visible


@pytest.mark.parametrize(
    "call",
    [
        lambda b: browser.evaluate(b, 7, ""),  # empty script
        lambda b: browser.evaluate(b, 7, "1", timeout_ms=0),
        lambda b: browser.evaluate(b, 7, "1", max_bytes=9_000_000),
        lambda b: browser.evaluate(b, 7, "1", [object()]),  # not JSON
        lambda b: browser.console_messages(b, 7, limit=0),
        lambda b: browser.console_messages(b, 7, levels=["fatal"]),  # type: ignore[list-item]
        lambda b: browser.network_requests(b, -1),
        lambda b: browser.handle_dialog(b, 7, "ignore"),  # type: ignore[arg-type]
    ],
)
async def test_bad_arguments_are_refused_before_sending(call: Any) -> None:
    b = bridge()
    with pytest.raises(errors.InvalidMessage):
        await call(b)
    assert b.channel.sent == []
