"""JavaScript dialogs end to end (real Chromium, relay, daemon, CLI): an action that opens alert, confirm or
prompt ends at once with 6021 describing the dialog instead of hanging; while the dialog blocks the page
every request that needs the page is refused with 6020; dialog.state reports it and dialog.handle
accepts or dismisses it (with the prompt's text), after which the page goes on; beforeunload on
navigation; 6022 with no dialog open.

Playwright, which also drives this browser for the user's side of the test, would dismiss dialogs itself
when nobody listens on its side: the fixture registers a listener that does nothing, so the dialogs are
the agent's to handle."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import WbEnv
from ..fixtures.site import FixtureSite
from .browser_session import Session, ref_of, signed_in_session, snap

pytestmark = pytest.mark.e2e


@pytest.fixture
def s(wb: WbEnv, tmp_path: Path, playwright: Any, fixture_site: FixtureSite) -> Iterator[Session]:
    with signed_in_session(wb, tmp_path, playwright, fixture_site) as session:
        session.browser.context.on("dialog", lambda dialog: None)  # leave every dialog to the agent
        yield session


def failure(s: Session, kind: str, body: dict[str, Any]) -> tuple[int, str, str]:
    """``(code, name, stderr)`` of a failing call, and how long it took must not matter: the caller checks
    it failed rather than hung by giving the CLI a deadline far beyond what a refusal needs."""
    proc = s.wb.run("call", kind, "--body", json.dumps(body), "--timeout", "60", timeout=90, check=False)
    assert proc.returncode != 0, proc.stdout
    found = re.search(r"\[(\d{4}) ([a-z_]+)\]", proc.stderr)
    assert found, proc.stderr
    return int(found.group(1)), found.group(2), proc.stderr


def result(s: Session) -> str:
    return str(s.page.locator("#result").text_content())


def click(s: Session, tab: int, name: str) -> tuple[int, str, str]:
    ref = ref_of(snap(s, tab, mode="full")["text"], "button", name)
    return failure(s, "page.act", {"tab_id": tab, "action": "click", "ref": ref, "delta": False})


def open_dialogs_page(s: Session) -> int:
    tab = s.tab_id()
    s.call("page.navigate", {"tab_id": tab, "url": s.site.url("/dialogs")})
    return tab


def test_alert_blocks_the_page_until_the_agent_accepts_it(s: Session) -> None:
    tab = open_dialogs_page(s)
    assert s.call("dialog.state", {"tab_id": tab}) == {"dialog": None, "watched": True}
    code, name, err = click(s, tab, "Show alert")
    assert (code, name) == (6021, "dialog_opened")
    assert "alert" in err and "Hello from the fixture" in err
    state = s.call("dialog.state", {"tab_id": tab})
    dialog = state["dialog"]
    assert dialog["type"] == "alert" and dialog["message"] == "Hello from the fixture"
    assert dialog["url"] == s.site.url("/dialogs") and dialog["default_prompt"] == ""
    # the page is blocked: requests that need it are refused at once, not left to hang
    for kind, body in [
        ("page.snapshot", {"tab_id": tab}),
        ("page.text", {"tab_id": tab}),
        ("page.evaluate", {"tab_id": tab, "script": "1"}),
        ("page.wait_for", {"tab_id": tab, "text": "anything"}),
    ]:
        code, name, err = failure(s, kind, body)
        assert (code, name) == (6020, "dialog_open"), (kind, err)
        assert "Hello from the fixture" in err and "dialog.handle" in err
    # logs do not need the page
    assert s.call("page.network", {"tab_id": tab})["dropped"] == 0
    handled = s.call("dialog.handle", {"tab_id": tab, "action": "accept"})
    assert handled["action"] == "accept" and handled["dialog"]["message"] == "Hello from the fixture"
    assert s.call("dialog.state", {"tab_id": tab})["dialog"] is None
    assert result(s) == "alert closed"  # the page went on after the dialog
    assert "Dialogs" in s.call("page.text", {"tab_id": tab})["markdown"]
    assert failure(s, "dialog.handle", {"tab_id": tab, "action": "dismiss"})[:2] == (6022, "no_dialog")


def test_confirm_and_prompt_answers_reach_the_page(s: Session) -> None:
    tab = open_dialogs_page(s)
    assert click(s, tab, "Ask to confirm")[0] == 6021
    assert s.call("dialog.state", {"tab_id": tab})["dialog"]["type"] == "confirm"
    s.call("dialog.handle", {"tab_id": tab, "action": "dismiss"})
    assert result(s) == "confirm: false"
    assert click(s, tab, "Ask to confirm")[0] == 6021
    s.call("dialog.handle", {"tab_id": tab, "action": "accept"})
    assert result(s) == "confirm: true"

    code, _, err = click(s, tab, "Ask for a name")
    assert code == 6021 and "prompt" in err and "Your name?" in err
    dialog = s.call("dialog.state", {"tab_id": tab})["dialog"]
    assert dialog["type"] == "prompt" and dialog["default_prompt"] == "Ada"
    s.call("dialog.handle", {"tab_id": tab, "action": "accept", "prompt_text": "Grace Hopper"})
    assert result(s) == 'prompt: "Grace Hopper"'
    assert click(s, tab, "Ask for a name")[0] == 6021
    s.call("dialog.handle", {"tab_id": tab, "action": "dismiss"})
    assert result(s) == "prompt: null"


def test_a_dialog_the_page_opens_on_its_own_is_reported_to_the_next_request(s: Session) -> None:
    tab = open_dialogs_page(s)
    # the page opens it by itself, between two requests of the agent (Playwright sees it open first)
    with s.browser.context.expect_event("dialog"):
        s.page.evaluate("setTimeout(() => alert('timer says hi'))")
    state = s.call("dialog.state", {"tab_id": tab})
    assert state["dialog"]["message"] == "timer says hi"
    assert failure(s, "page.snapshot", {"tab_id": tab})[:2] == (6020, "dialog_open")
    s.call("dialog.handle", {"tab_id": tab, "action": "dismiss"})
    assert s.call("page.evaluate", {"tab_id": tab, "script": "2"})["value"] == 2


def test_beforeunload_keeps_or_leaves_the_page_as_the_agent_decides(s: Session) -> None:
    tab = open_dialogs_page(s)
    s.page.click("#guard")  # the user's own click: Chrome asks before leaving only after a real gesture
    target = s.site.url("/page/1")
    code, _, err = failure(s, "page.navigate", {"tab_id": tab, "url": target})
    assert code == 6021 and "beforeunload" in err
    assert s.call("dialog.state", {"tab_id": tab})["dialog"]["type"] == "beforeunload"
    s.call("dialog.handle", {"tab_id": tab, "action": "dismiss"})  # stay
    assert s.call("page.evaluate", {"tab_id": tab, "script": "location.pathname"})["value"] == "/dialogs"

    assert failure(s, "page.navigate", {"tab_id": tab, "url": target})[0] == 6021
    s.call("dialog.handle", {"tab_id": tab, "action": "accept"})  # leave
    s.call("page.wait_for", {"tab_id": tab, "url": "/page/1"})
    assert s.call("page.wait_for", {"tab_id": tab, "text": "Page 1"})["url"] == target


def test_dialog_requests_for_a_missing_tab_are_6005(s: Session) -> None:
    assert s.error("dialog.state", {"tab_id": 987654}) == (6005, "tab_not_found")
    assert s.error("dialog.handle", {"tab_id": 987654, "action": "accept"}) == (6005, "tab_not_found")
    assert s.error("dialog.handle", {"tab_id": s.tab_id(), "action": "maybe"})[0] == 2002
