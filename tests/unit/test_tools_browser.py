"""The daemon's browser tools: requests built from browser_kinds, remote 6xxx errors translated into the
typed BrowserActionError classes, everything else passed through, misuse refused before sending."""

from __future__ import annotations

import pytest

from webbridge import errors
from webbridge.protocol.browser_kinds import Done, Navigated, TabResult, TabsListResult, WaitResult
from webbridge.protocol.fields import Tab
from webbridge.protocol.messages import parse_body
from webbridge.tools import browser

from ._scripted_channel import bridge

TAB = Tab(id=7, window_id=1, url="https://a.test/", title="A", active=True)


def remote(code: int, name: str, message: str = "m") -> errors.RemoteError:
    return errors.RemoteError(message, remote_code=code, remote_name=name)


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (6001, errors.StaleRef),
        (6002, errors.NavigatedAway),
        (6003, errors.NotActionable),
        (6004, errors.UrlBlocked),
        (6005, errors.TabNotFound),
        (6006, errors.WaitTimeout),
        (6007, errors.ActionFailed),
    ],
)
async def test_remote_6xxx_becomes_the_typed_error(code: int, cls: type[errors.BrowserActionError]) -> None:
    b = bridge(remote(code, cls.name, "what happened"))
    with pytest.raises(cls) as info:
        await browser.activate_tab(b, 7)
    assert info.value.code == code and info.value.message == "what happened"
    assert isinstance(info.value.__cause__, errors.RemoteError)


@pytest.mark.parametrize("code", [2001, 2002, 5003, 9999])
async def test_other_remote_errors_pass_through(code: int) -> None:
    err = remote(code, "x")
    with pytest.raises(errors.RemoteError) as info:
        await browser.tabs_list(bridge(err))
    assert info.value is err


@pytest.mark.parametrize("exc", [errors.RequestTimeout("t"), errors.ChannelClosed("c"), errors.Busy("b")])
async def test_channel_failures_pass_through(exc: errors.ChannelError) -> None:
    with pytest.raises(type(exc)):
        await browser.close_tab(bridge(exc), 1)


async def test_requests_and_replies() -> None:
    b = bridge(
        TabsListResult(tabs=[TAB]),
        TabResult(tab=TAB),
        Done(),
        Navigated(url="https://a.test/x", title="X"),
        WaitResult(elapsed_ms=3, url="https://a.test/x"),
    )
    assert await browser.tabs_list(b, url="a.test") == [TAB]
    assert await browser.open_tab(b, "https://a.test/", group="Task 1") == TAB
    assert await browser.close_tab(b, 7) is None
    nav = await browser.navigate(b, 7, "https://a.test/x", timeout_ms=2_000)
    assert nav.title == "X"
    assert (await browser.wait_for(b, 7, text="Hello", timeout_ms=1_000)).elapsed_ms == 3
    kinds = [(k, t) for k, _, t in b.channel.sent]
    assert kinds == [
        ("tabs.list", None),
        ("tabs.open", None),
        ("tabs.close", None),
        ("page.navigate", 2 + browser.REPLY_MARGIN_S),  # the extension's 6006 comes before a 4001
        ("page.wait_for", 1 + browser.REPLY_MARGIN_S),
    ]
    assert b.channel.sent[1][1] == parse_body("tabs.open", {"url": "https://a.test/", "group": "Task 1"})


async def test_find_tab_prefers_the_active_match_and_raises_when_none() -> None:
    other = TAB.model_copy(update={"id": 8, "active": False})
    assert (await browser.find_tab(bridge(TabsListResult(tabs=[other, TAB])), title="A")).id == 7
    with pytest.raises(errors.TabNotFound):
        await browser.find_tab(bridge(TabsListResult(tabs=[])), url="nowhere")
    with pytest.raises(ValueError, match="url or title"):
        await browser.find_tab(bridge())


@pytest.mark.parametrize("url", ["javascript:alert(1)", "chrome://settings", "https://chromewebstore.google.com/"])
async def test_blocked_urls_are_refused_before_anything_is_sent(url: str) -> None:
    b = bridge()
    with pytest.raises(errors.UrlBlocked):
        await browser.open_tab(b, url)
    with pytest.raises(errors.UrlBlocked):
        await browser.navigate(b, 1, url)
    assert b.channel.sent == []


async def test_misuse_is_refused_before_sending() -> None:
    b = bridge()
    with pytest.raises(ValueError, match="exactly one"):
        await browser.wait_for(b, 1)
    with pytest.raises(ValueError, match="exactly one"):
        await browser.wait_for(b, 1, text="a", state="dom_quiet")
    with pytest.raises(ValueError, match="needs a url"):
        await browser.navigate(b, 1)
    with pytest.raises(ValueError, match="takes no url"):
        await browser.navigate(b, 1, "https://a.test/", action="reload")
    with pytest.raises(errors.InvalidMessage):
        await browser.wait_for(b, 1, ref="not-a-ref")
    assert b.channel.sent == []


async def test_a_reply_of_the_wrong_kind_is_unexpected() -> None:
    with pytest.raises(errors.UnexpectedKind):
        await browser.activate_tab(bridge(Done()), 1)


def test_translate_keeps_non_browser_errors() -> None:
    err = remote(3002, "bad_mac")
    assert browser.translate_remote_error(err) is err
    assert isinstance(browser.translate_remote_error(remote(6004, "url_blocked")), errors.UrlBlocked)
