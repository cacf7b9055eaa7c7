"""JavaScript dialogs end to end (real Chromium, relay, daemon, CLI).

In a tab the agent works in, ``alert``/``confirm``/``prompt`` never block the page: the extension's page hook
answers each at once — dismissing it unless the agent armed an answer with ``dialog.arm`` — and the browser
shows no dialog at all. A dialog dismissed that way ends the request it happened in with 6021 (what the
request did has happened), or, when it opened between requests, the next request (nothing of it done). The
browser's own "leave this page?" dialog is watched with the debugger only around the request that leaves a
page which would ask, then answered with ``dialog.handle``. None of this leaves a debugger attached.

Playwright, which also drives this browser for the user's side of the test, records every dialog the
browser really shows (``shown``): it must see none of the page's alert/confirm/prompt calls."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from .browser_session import Session, ref_of, snap
from .conftest import wait_until

pytestmark = pytest.mark.e2e

#: The extension's own use of chrome.debugger: ``{attached: [tab ids now], attaches: count so far}``.
#: (Chrome's ``debugger.getTargets`` cannot tell: Playwright's own CDP connection counts as attached there.)
USE = "() => self.__webbridge.debuggerUse()"


def debugger_use(s: Session) -> dict[str, Any]:
    use: dict[str, Any] = s.worker(USE)
    return use


@dataclass
class DialogSession(Session):
    #: every dialog the browser really showed, as Playwright saw it
    shown: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture
def s(shared_s: Session) -> Iterator[DialogSession]:
    """The module's one paired, signed-in browser, in a fresh tab of its own (conftest.shared_s)."""
    session = DialogSession(shared_s.browser, shared_s.wb, shared_s.site, shared_s.page)
    # Record what the browser really shows; leave the answer to the agent (a listener that does not answer
    # keeps Playwright from dismissing it by itself).
    record = lambda d: session.shown.append((d.type, d.message))  # noqa: E731
    session.browser.context.on("dialog", record)
    yield session
    session.browser.context.remove_listener("dialog", record)


def shown(s: Session) -> list[tuple[str, str]]:
    assert isinstance(s, DialogSession)
    return list(s.shown)


def failure(s: Session, kind: str, body: dict[str, Any]) -> tuple[int, str, str]:
    """``(code, name, stderr)`` of a failing call; the long CLI deadline makes a hang fail the test slowly
    rather than pass it."""
    proc = s.wb.run("call", kind, "--body", json.dumps(body), "--timeout", "60", timeout=90, check=False)
    assert proc.returncode != 0, proc.stdout
    found = re.search(r"\[(\d{4}) ([a-z_]+)\]", proc.stderr)
    assert found, proc.stderr
    return int(found.group(1)), found.group(2), proc.stderr


def result(s: Session) -> str:
    return str(s.page.locator("#result").text_content())


def click_body(s: Session, tab: int, name: str) -> dict[str, Any]:
    ref = ref_of(snap(s, tab, mode="full")["text"], "button", name)
    return {"tab_id": tab, "action": "click", "ref": ref, "delta": False, "input": "dom"}


def click_fails(s: Session, tab: int, name: str) -> tuple[int, str, str]:
    return failure(s, "page.act", click_body(s, tab, name))


def open_dialogs_page(s: Session) -> int:
    tab = s.tab_id()
    s.call("page.navigate", {"tab_id": tab, "url": s.site.url("/dialogs")})
    return tab


def test_dialogs_nobody_armed_are_dismissed_at_once_and_reported(s: Session) -> None:
    attaches = debugger_use(s)["attaches"]
    tab = open_dialogs_page(s)
    state = s.call("dialog.state", {"tab_id": tab})
    assert state == {"dialog": None, "watched": True, "armed": None, "recent": []}

    code, name, err = click_fails(s, tab, "Show alert")
    assert (code, name) == (6021, "dialog_opened")
    assert "alert" in err and "Hello from the fixture" in err and "closed" in err and "has happened" in err
    assert result(s) == "alert closed"  # the page went on at once

    code, _, err = click_fails(s, tab, "Ask to confirm")
    assert code == 6021 and "Delete everything?" in err and "dismissed (Cancel)" in err
    assert result(s) == "confirm: false"  # Cancel: the answer that does nothing
    code, _, err = click_fails(s, tab, "Ask for a name")
    assert code == 6021 and "Your name?" in err
    assert result(s) == "prompt: null"

    recent = s.call("dialog.state", {"tab_id": tab})["recent"]
    assert [(d["type"], d["answer"], d["by"]) for d in recent] == [
        ("alert", "dismiss", "default"), ("confirm", "dismiss", "default"), ("prompt", "dismiss", "default"),
    ]
    assert recent[2]["default_prompt"] == "Ada" and recent[2]["url"] == s.site.url("/dialogs")
    # the page was never blocked: it answers at once, and the browser showed no dialog
    assert s.call("page.evaluate", {"tab_id": tab, "script": "1 + 1"})["value"] == 2
    assert shown(s) == []
    assert debugger_use(s) == {"attached": [], "attaches": attaches}  # no "started debugging" bar, ever


def test_armed_answers_reach_the_page_once(s: Session) -> None:
    tab = open_dialogs_page(s)
    armed = s.call("dialog.arm", {"tab_id": tab, "action": "accept"})
    assert armed["armed"] == {"action": "accept", "prompt_text": None}
    assert s.call("dialog.state", {"tab_id": tab})["armed"] == {"action": "accept", "prompt_text": None}
    s.call("page.act", click_body(s, tab, "Ask to confirm"))  # as armed: no error
    assert result(s) == "confirm: true"
    state = s.call("dialog.state", {"tab_id": tab})
    assert state["armed"] is None  # used once
    assert (state["recent"][-1]["answer"], state["recent"][-1]["by"]) == ("accept", "armed")
    assert click_fails(s, tab, "Ask to confirm")[0] == 6021  # the next one is dismissed again
    assert result(s) == "confirm: false"

    s.call("dialog.arm", {"tab_id": tab, "action": "accept", "prompt_text": "Grace Hopper"})
    s.call("page.act", click_body(s, tab, "Ask for a name"))
    assert result(s) == 'prompt: "Grace Hopper"'
    s.call("dialog.arm", {"tab_id": tab, "action": "accept"})
    s.call("page.act", click_body(s, tab, "Ask for a name"))
    assert result(s) == 'prompt: "Ada"'  # accepted with the page's own default
    s.call("dialog.arm", {"tab_id": tab, "action": "dismiss"})
    s.call("page.act", click_body(s, tab, "Ask for a name"))
    assert result(s) == "prompt: null"

    s.call("dialog.arm", {"tab_id": tab, "action": "accept"})
    assert s.call("dialog.arm", {"tab_id": tab, "action": None})["armed"] is None  # disarmed
    assert click_fails(s, tab, "Ask to confirm")[0] == 6021
    assert result(s) == "confirm: false"
    assert shown(s) == []


def test_an_armed_answer_reaches_a_document_loaded_after_arming(s: Session) -> None:
    tab = open_dialogs_page(s)
    s.call("dialog.arm", {"tab_id": tab, "action": "accept"})
    s.call("page.navigate", {"tab_id": tab, "action": "reload"})  # a new document, hooked at commit
    s.call("page.act", click_body(s, tab, "Ask to confirm"))
    assert result(s) == "confirm: true"


def test_a_dialog_the_page_opens_on_its_own_is_reported_to_the_next_request(s: Session) -> None:
    tab = open_dialogs_page(s)
    # The page opens it by itself, between two requests of the agent; it is answered at once.
    s.page.evaluate("setTimeout(() => { alert('timer says hi'); document.title = 'after the alert'; })")
    s.page.wait_for_function("document.title === 'after the alert'")
    code, _, err = failure(s, "page.snapshot", {"tab_id": tab})
    assert code == 6021 and "timer says hi" in err and "Nothing was done" in err
    assert "Dialogs" in snap(s, tab)["text"]  # told once: the repeated request runs
    assert shown(s) == []


def test_beforeunload_keeps_or_leaves_the_page_as_the_agent_decides(s: Session) -> None:
    tab = open_dialogs_page(s)
    s.page.click("#guard")  # the user's own click: Chrome asks before leaving only after a real gesture
    target = s.site.url("/page/1")
    code, _, err = failure(s, "page.navigate", {"tab_id": tab, "url": target})
    assert code == 6021 and "beforeunload" in err
    assert s.call("dialog.state", {"tab_id": tab})["dialog"]["type"] == "beforeunload"
    assert failure(s, "page.text", {"tab_id": tab})[:2] == (6020, "dialog_open")  # blocked meanwhile
    s.call("dialog.handle", {"tab_id": tab, "action": "dismiss"})  # stay
    assert s.call("page.evaluate", {"tab_id": tab, "script": "location.pathname"})["value"] == "/dialogs"
    assert debugger_use(s)["attached"] == []  # the watch ended with the dialog

    assert failure(s, "page.navigate", {"tab_id": tab, "url": target})[0] == 6021
    s.call("dialog.handle", {"tab_id": tab, "action": "accept"})  # leave
    s.call("page.wait_for", {"tab_id": tab, "url": "/page/1"})
    assert s.call("page.wait_for", {"tab_id": tab, "text": "Page 1"})["url"] == target
    assert debugger_use(s)["attached"] == []
    assert failure(s, "dialog.handle", {"tab_id": tab, "action": "dismiss"})[:2] == (6022, "no_dialog")


def test_a_page_that_does_not_ask_before_leaving_is_left_without_the_debugger(s: Session) -> None:
    attaches = debugger_use(s)["attaches"]
    tab = open_dialogs_page(s)
    s.page.click("h1")  # a real gesture, but no beforeunload listener
    s.call("page.navigate", {"tab_id": tab, "url": s.site.url("/page/1")})
    assert debugger_use(s) == {"attached": [], "attaches": attaches}


def test_dialog_requests_for_a_missing_tab_are_6005(s: Session) -> None:
    assert s.error("dialog.state", {"tab_id": 987654}) == (6005, "tab_not_found")
    assert s.error("dialog.handle", {"tab_id": 987654, "action": "accept"}) == (6005, "tab_not_found")
    assert s.error("dialog.arm", {"tab_id": 987654, "action": "accept"}) == (6005, "tab_not_found")
    assert s.error("dialog.handle", {"tab_id": s.tab_id(), "action": "maybe"})[0] == 2002
    assert s.error("dialog.arm", {"tab_id": s.tab_id(), "action": "maybe"})[0] == 2002


def test_tabs_the_agent_does_not_work_in_keep_the_browsers_own_dialogs(s: Session) -> None:
    open_dialogs_page(s)  # the agent works in the first tab: the hook is registered for new pages
    other = s.browser.context.new_page()
    other.goto(s.site.url("/dialogs"))  # the user's own tab, never named by the agent
    other.once("dialog", lambda d: d.accept())
    other.click("#confirm")  # the user's own click: the browser's dialog, answered by the user
    assert other.locator("#result").text_content() == "confirm: true"
    assert shown(s) == [("confirm", "Delete everything?")]
    assert other.evaluate("window.__webbridge_hook") == 1  # the hook is there, dormant


def test_a_page_that_asks_through_onbeforeunload_is_watched_too(s: Session) -> None:
    tab = open_dialogs_page(s)
    s.page.click("#guard-handler")  # `onbeforeunload = …` (no listener), after a real gesture
    code, _, err = failure(s, "page.navigate", {"tab_id": tab, "url": s.site.url("/page/1")})
    assert code == 6021 and "beforeunload" in err  # not a timeout: the debugger watched the leaving
    s.call("dialog.handle", {"tab_id": tab, "action": "dismiss"})
    assert s.call("page.evaluate", {"tab_id": tab, "script": "location.pathname"})["value"] == "/dialogs"
    assert debugger_use(s)["attached"] == []


def test_a_dialog_with_a_huge_message_is_answered_like_any_other(s: Session) -> None:
    tab = open_dialogs_page(s)
    code, _, err = failure(s, "page.evaluate", {"tab_id": tab, "script": "alert('x'.repeat(70000)), 1"})
    assert code == 6021 and "xxxx" in err  # answered at once (not a 6025 timeout behind the browser's dialog)
    recent = s.call("dialog.state", {"tab_id": tab})["recent"]
    assert (recent[-1]["type"], len(recent[-1]["message"])) == ("alert", 8192)
    assert shown(s) == []


def test_a_dialog_a_new_document_opens_while_it_loads_is_answered(s: Session) -> None:
    tab = open_dialogs_page(s)
    # The hooked tab goes to a new document that alerts from an inline script while it loads (the common
    # "Saved!" page after a form post): its relay knows at document_start that the tab is hooked.
    body = {"tab_id": tab, "url": s.site.url("/alert-on-load")}
    proc = s.wb.run("call", "page.navigate", "--body", json.dumps(body), "--timeout", "20",
                    timeout=40, check=False)  # fmt: skip
    # told with this request, or (when the report arrives after its reply) with the next one: never a hang
    told = "[6021 dialog_opened]" in proc.stderr and '"loaded"' in proc.stderr
    assert proc.returncode == 0 or told, proc.stderr
    s.page.wait_for_function("document.title === 'after the alert'")
    assert shown(s) == []
    reported = lambda: [d["message"] for d in s.call("dialog.state", {"tab_id": tab})["recent"]] == ["loaded"]  # noqa: E731
    wait_until(reported, what="the report of the dialog")
    # the user's own navigation in the same (hooked) tab: the same
    s.page.goto(s.site.url("/alert-on-load"))
    s.page.wait_for_function("document.title === 'after the alert'")
    assert shown(s) == []


def test_an_alert_while_the_page_unloads_stays_blocked_as_the_browser_blocks_it(s: Session) -> None:
    tab = open_dialogs_page(s)
    s.page.evaluate("addEventListener('beforeunload', () => alert('bye'))")  # Chrome never shows this one
    s.call("page.navigate", {"tab_id": tab, "url": s.site.url("/page/1")})  # so it is no 6021
    assert s.call("dialog.state", {"tab_id": tab})["recent"] == []
    assert s.call("page.evaluate", {"tab_id": tab, "script": "location.pathname"})["value"] == "/page/1"


def test_dialogs_in_a_cross_origin_frame_are_answered_and_reported_for_its_tab(s: Session) -> None:
    tab = s.tab_id()
    s.call("page.navigate", {"tab_id": tab, "url": s.site.url("/frames")})
    s.page.wait_for_url(s.site.url("/frames"))
    s.page.wait_for_load_state()  # (Playwright's view of the frames catches up)
    cross = next(f for f in s.page.frames if f.url.startswith(s.site.cross_url("/frame")))
    s.call("dialog.arm", {"tab_id": tab, "action": "accept"})
    assert cross.evaluate("confirm('armed, in the frame')") is True  # the tab's armed answer reaches it
    assert cross.evaluate("confirm('again, in the frame')") is False  # used once, in any frame
    reported = lambda: len(s.call("dialog.state", {"tab_id": tab})["recent"]) == 2  # noqa: E731
    wait_until(reported, what="the frame's reports")
    recent = s.call("dialog.state", {"tab_id": tab})["recent"]
    assert [(d["by"], d["url"]) for d in recent] == [("armed", cross.url), ("default", cross.url)]
    code, _, err = failure(s, "page.snapshot", {"tab_id": tab})
    assert code == 6021 and "again, in the frame" in err and "armed, in the frame" not in err
    assert shown(s) == []
