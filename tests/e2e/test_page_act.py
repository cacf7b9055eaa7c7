"""page.act end to end in the user's signed-in browser: every action kind on real controls with the effect
checked in the page, the typed errors (stale ref, navigated away, not actionable) with nothing done
elsewhere, and the fallback to trusted input (real Chromium, relay, daemon, CLI)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .browser_session import Session, goto, ref_of, snap

pytestmark = pytest.mark.e2e


def act(s: Session, tab: int, action: str, **body: Any) -> dict[str, Any]:
    return s.call("page.act", {"tab_id": tab, "action": action, **body})


def refused(s: Session, tab: int, action: str, **body: Any) -> tuple[int, str]:
    """The (code, name) of the error reply to an action."""
    return s.error("page.act", {"tab_id": tab, "action": action, **body})


def live(s: Session) -> dict[str, list[str]]:
    values: dict[str, list[str]] = json.loads(s.page.locator("#live").text_content() or "{}")
    return values


def test_fill_type_select_check_every_form_control(s: Session) -> None:
    tab = goto(s, s.site.url("/forms"))
    text = snap(s, tab, mode="full")["text"]
    url = s.site.url("/forms")

    def do(action: str, role: str, name: str, **body: Any) -> dict[str, Any]:
        return act(s, tab, action, ref=ref_of(text, role, name), expect_url=url, delta=False, **body)

    assert do("fill", "textbox", "Full name", text="Ada Lovelace")["input_used"] == "dom"
    do("type", "textbox", "Email", text="ada@example.org")
    do("fill", "textbox", "Password", text="s3cret")
    do("fill", "spinbutton", "Quantity", text="7")
    do("fill", "textbox", "Birthday", text="1815-12-10")
    do("fill", "textbox", "Alarm", text="07:30")
    do("select", "combobox", "Colour", values=["Green"])  # by label
    do("select", "listbox", "Toppings", values=["cheese", "Olives"])  # by value and by label
    do("check", "checkbox", "Subscribe to newsletter")
    do("check", "checkbox", "Accept terms", checked=False)
    do("check", "radio", "Large")
    do("fill", "slider", "Volume", text="80")
    do("fill", "textbox", "Comments", text="line one\nline two")
    do("fill", "textbox", "Notes", text="Rich notes")  # contenteditable
    got = live(s)
    assert (
        got["name"] == ["Ada Lovelace"]
        and got["email"] == ["ada@example.org"]
        and got["password"] == ["s3cret"]
    )
    assert got["quantity"] == ["7"] and got["birthday"] == ["1815-12-10"] and got["alarm"] == ["07:30"]
    assert got["color"] == ["green"] and got["toppings"] == ["cheese", "olives"]
    assert got["newsletter"] == ["yes"] and "terms" not in got and got["size"] == ["l"]
    assert (
        got["volume"] == ["80"]
        and got["comments"] == ["line one\nline two"]
        and got["notes"] == ["Rich notes"]
    )

    # already in the wanted state: nothing to do, and said so
    assert do("check", "checkbox", "Subscribe to newsletter")["input_used"] == "none"
    # refused values change nothing
    assert refused(s, tab, "fill", ref=ref_of(text, "textbox", "Birthday"), text="tomorrow")[0] == 6007
    assert refused(s, tab, "select", ref=ref_of(text, "combobox", "Colour"), values=["Purple"])[0] == 6007
    assert live(s)["birthday"] == ["1815-12-10"] and live(s)["color"] == ["green"]
    # the password's value never appears in a snapshot (only that there is one)
    assert re.search(r'textbox "Password" e\d+ ="•••"', snap(s, tab, mode="full")["text"])

    # Enter in a field submits its form (implicit submission); the new document's view comes back
    done = act(s, tab, "press", ref=ref_of(text, "textbox", "Full name"), keys="Enter")
    assert done["navigated"] is True and done["url"] == s.site.url("/forms/submit")
    assert "Received" in (done["delta"] or "")
    received = json.loads(s.page.locator("#received").text_content() or "{}")
    assert received["name"] == ["Ada Lovelace"] and received["notes"] == ["Rich notes"]


def test_pointer_keyboard_and_scroll_actions(s: Session, lab: str) -> None:
    tab = goto(s, lab + "/events")
    text = snap(s, tab, mode="full")["text"]
    target = ref_of(text, "button", "Target")

    def log() -> list[str]:
        entries: list[str] = s.page.evaluate("window.log.splice(0)")
        return entries

    act(s, tab, "hover", ref=target, input="dom", delta=False)
    assert "mouseover:0" in log()
    act(s, tab, "click", ref=target, input="dom", delta=False)
    assert log()[-4:] == ["mousedown:0", "focus:undefined", "mouseup:0", "click:0"]
    act(s, tab, "dblclick", ref=target, input="dom", delta=False)
    entries = log()
    assert entries.count("click:0") == 2 and entries[-1] == "dblclick:0"
    act(s, tab, "rightclick", ref=target, input="dom", delta=False)
    assert "contextmenu:2" in log()
    act(s, tab, "focus", ref=ref_of(text, "textbox", "Field"), delta=False)
    assert log() == ["field-focus"]
    act(s, tab, "press", keys="Control+Shift+K", input="dom", delta=False)
    assert log() == ["keydown:K:true:true"]
    act(s, tab, "press", keys="Tab", input="dom", delta=False)  # focus moves on, as a user's Tab would
    assert s.page.evaluate("document.activeElement.id") == "next"

    # scroll: the page, an element's content, and to a ref
    act(s, tab, "scroll", dy=500, delta=False)
    assert s.page.evaluate("scrollY") == 500
    act(s, tab, "scroll", ref=ref_of(text, "generic", "Scroll box"), dy=300, delta=False)
    assert s.page.evaluate("document.getElementById('box').scrollTop") == 300
    act(s, tab, "scroll", ref=ref_of(text, "button", "Bottom button"), delta=False)
    assert s.page.evaluate(
        "(() => { const r = document.getElementById('bottom').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= innerHeight; })()"
    )

    # trusted input on request: the same actions through chrome.debugger
    act(s, tab, "click", ref=target, input="trusted", delta=False)
    assert "click:0" in log()
    assert (
        act(s, tab, "type", ref=ref_of(text, "textbox", "Field"), text="hi", input="trusted", delta=False)[
            "input_used"
        ]
        == "trusted"
    )
    assert s.page.input_value("#field") == "hi"


def test_actions_in_frames_and_shadow_dom(s: Session) -> None:
    tab = goto(s, s.site.url("/frames"))
    s.page.frame_locator("#cross").locator("#cross-button").wait_for()
    text = snap(s, tab, mode="full")["text"]
    act(s, tab, "click", ref=ref_of(text, "button", "Cross button"), delta=False)
    assert s.page.frame_locator("#cross").locator("#cross-out").text_content() == "cross clicked"
    act(s, tab, "fill", ref=ref_of(text, "textbox", "Inner field"), text="inside", delta=False)
    assert s.page.frame_locator("#same").locator("#inner-field").input_value() == "inside"
    act(s, tab, "click", ref=ref_of(text, "button", "Nested button"), input="trusted", delta=False)
    assert (
        s.page.frame_locator("#same").frame_locator("#nested").locator("#nested-button").text_content()
        == "nested clicked"
    )

    tab = goto(s, s.site.url("/shadow"))
    text = snap(s, tab, mode="full")["text"]
    act(s, tab, "fill", ref=ref_of(text, "textbox", "Shadow user"), text="bob", delta=False)
    assert s.page.locator("#su").input_value() == "bob"  # Playwright pierces open shadow roots
    act(s, tab, "check", ref=ref_of(text, "checkbox", "Deep checkbox"), delta=False)
    assert s.page.locator("#deep").is_checked()
    act(s, tab, "click", ref=ref_of(text, "button", "Press me"), delta=False)
    assert s.page.locator("#clicks").text_content() == "1"


def test_delta_after_a_local_action_is_small(s: Session) -> None:
    tab = goto(s, s.site.url("/rerender"))
    full = snap(s, tab, mode="full")["text"]
    done = act(s, tab, "click", ref=ref_of(full, "button", "Select Cherry"))
    assert done["navigated"] is False and done["input_used"] == "dom"
    delta = done["delta"]
    assert "Selected: Cherry" in delta and len(delta) < len(full) / 2
    assert s.page.locator("#selected").text_content() == "Cherry"


def test_stale_refs_are_errors_and_nothing_is_clicked(s: Session) -> None:
    tab = goto(s, s.site.url("/rerender"))
    text = snap(s, tab, mode="full")["text"]
    apple = ref_of(text, "button", "Select Apple")
    act(s, tab, "click", ref=ref_of(text, "button", "Re-render list"), delta=False)  # every node replaced
    assert refused(s, tab, "click", ref=apple) == (6001, "stale_ref")
    assert s.page.locator("#selected").text_content() == "none"
    # the new snapshot has a new ref for the new node, which works
    fresh = ref_of(snap(s, tab, mode="full")["text"], "button", "Select Apple")
    assert fresh != apple
    act(s, tab, "click", ref=fresh, delta=False)
    assert s.page.locator("#selected").text_content() == "Apple"

    tab = goto(s, s.site.url("/moving?delay=manual"))
    text = snap(s, tab, mode="full")["text"]
    s.page.evaluate("moveNow()")  # the page changes after the snapshot, before the action
    s.page.wait_for_selector("#late")
    assert refused(s, tab, "click", ref=ref_of(text, "button", "Vanishing button"))[0] == 6001
    # the moved button is still the same element: clicked where it is now
    act(s, tab, "click", ref=ref_of(text, "button", "Moving button"), delta=False)
    assert s.page.locator("#clicked").text_content() == "mover"
    # a ref of a document that is gone (the tab navigated) is stale too
    old = ref_of(text, "button", "Moving button")
    goto(s, s.site.url("/page/1"))
    assert refused(s, tab, "click", ref=old)[0] == 6001
    # the top frame is still frame 0 (short refs), and the new document's refs never reuse a number the old
    # one gave out
    fresh = ref_of(snap(s, tab, mode="full")["text"], "link", "Next page")
    assert re.fullmatch(r"e\d+", fresh) and int(fresh[1:]) > max(int(r) for r in re.findall(r" e(\d+)", text))


def test_navigated_away_between_snapshot_and_action_w6(s: Session) -> None:
    url = s.site.url("/leave?ms=120000&to=/page/3")
    tab = goto(s, url)
    stay = ref_of(snap(s, tab, mode="full")["text"], "button", "Stay button")
    s.page.evaluate("location.assign('/page/3')")  # the page leaves between the snapshot and the action
    s.page.wait_for_url(s.site.url("/page/3"))
    assert refused(s, tab, "click", ref=stay, expect_url=url) == (6002, "navigated_away")
    assert s.page.url == s.site.url("/page/3")  # nothing was clicked on the new page
    # a wrong expected URL is refused before anything is touched
    assert refused(s, tab, "scroll", expect_url=url)[0] == 6002
    assert s.page.evaluate("scrollY") == 0


def test_covered_disabled_hidden_are_not_actionable(s: Session, lab: str) -> None:
    tab = goto(s, lab + "/hidden")
    text = snap(s, tab, mode="full")["text"]
    s.page.evaluate(
        "window.clicked = []; document.addEventListener('click', (e) => clicked.push(e.target.id), true)"
    )
    for name in ("Covered button", "Disabled button", "Zero button"):
        assert refused(s, tab, "click", ref=ref_of(text, "button", name))[0] == 6003, name
    s.page.evaluate("document.getElementById('shown').style.visibility = 'hidden'")
    assert refused(s, tab, "click", ref=ref_of(text, "button", "Shown button"))[0] == 6003
    assert s.page.evaluate("window.clicked") == []  # never a click anywhere else

    tab = goto(s, s.site.url("/moving?delay=manual"))
    text = snap(s, tab, mode="full")["text"]
    s.page.evaluate("moveNow()")  # the page changes after the snapshot, before the action
    s.page.wait_for_selector("#late")
    assert refused(s, tab, "click", ref=ref_of(text, "button", "Soon covered"))[0] == 6003
    assert refused(s, tab, "click", ref=ref_of(text, "button", "Soon disabled"))[0] == 6003
    assert s.page.locator("#clicked").text_content() == "none"


def test_auto_switches_a_site_to_trusted_input_after_dom_events_had_no_effect(s: Session, lab: str) -> None:
    tab = goto(s, lab + "/trusted-only")
    go = ref_of(snap(s, tab, mode="full")["text"], "button", "Go")
    # DOM events only: the page ignores them, and the reply says DOM was used
    assert act(s, tab, "click", ref=go, input="dom", delta=False)["input_used"] == "dom"
    assert s.page.locator("#status").text_content() == "waiting" and s.page.evaluate("window.untrusted") == 1
    # input=dom never teaches the site anything: auto still starts with DOM events, and the page ignores
    # them (no visible effect); the action is not repeated with other input
    done = act(s, tab, "click", ref=go)
    assert done["input_used"] == "dom"
    assert s.page.locator("#status").text_content() == "waiting" and s.page.evaluate("window.untrusted") == 2
    # ... but the site is remembered: the next auto action there uses trusted input at once, which works
    done = act(s, tab, "click", ref=go)
    assert done["input_used"] == "trusted" and "clicked for real" in (done["delta"] or "")
    assert s.page.locator("#status").text_content() == "clicked for real"
    assert s.page.evaluate("window.untrusted") == 2

    # the fixture site's widget and shortcut (another origin: it starts with DOM events again)
    tab = goto(s, s.site.url("/trusted"))
    text = snap(s, tab, mode="full")["text"]
    button = ref_of(text, "button", "Only real clicks")
    assert act(s, tab, "click", ref=button, delta=False)["input_used"] == "dom"
    assert s.page.locator("#status").text_content() == "waiting" and s.page.evaluate("window.untrusted") == 1
    assert act(s, tab, "click", ref=button, delta=False)["input_used"] == "trusted"
    assert s.page.locator("#status").text_content() == "trusted click 1"
    assert s.page.evaluate("window.untrusted") == 1
    # a real shortcut, which only trusted key events trigger: the site is already known
    field = ref_of(text, "textbox", "Shortcut field")
    assert act(s, tab, "press", ref=field, keys="Control+K", delta=False)["input_used"] == "trusted"
    assert s.page.locator("#keys").text_content() == "shortcut Control+K"


def test_auto_never_performs_an_action_twice(s: Session, lab: str) -> None:
    """Clicks whose effect the DOM path cannot see (a download, a click that only sends a request) happen
    once: `auto` never repeats an action with trusted input."""
    tab = goto(s, lab + "/once")
    text = snap(s, tab, mode="full")["text"]
    done = act(s, tab, "click", ref=ref_of(text, "link", "Download events page"), delta=False)
    assert done["input_used"] == "dom" and done["navigated"] is False
    assert s.page.evaluate("window.downloads") == 1
    assert act(s, tab, "click", ref=ref_of(text, "button", "Ping server"), delta=False)["input_used"] == "dom"
    assert s.page.evaluate("window.pings") == 1
    # the link did what a link does: the site is not switched to trusted input because of it
    again = act(s, tab, "click", ref=ref_of(text, "link", "Download events page"), delta=False)
    assert again["input_used"] == "dom"
    assert s.page.evaluate("window.downloads") == 2


def test_auto_hover_uses_the_real_pointer_only_when_hover_rules_reveal_something(
    s: Session, lab: str
) -> None:
    tab = goto(s, lab + "/hover")
    text = snap(s, tab, mode="full")["text"]
    assert "Hidden offer" not in text
    # `a.plain:hover { color }` restyles only the link: DOM events, nothing that the page model shows changes
    assert act(s, tab, "hover", ref=ref_of(text, "link", "Plain link"), delta=False)["input_used"] == "dom"
    # `#menu:hover .sub { display: block }` reveals a submenu, which synthetic events cannot do
    done = act(s, tab, "hover", ref=ref_of(text, "button", "Products"))
    assert done["input_used"] == "trusted" and "Hidden offer" in (done["delta"] or "")
    assert s.page.locator("#menu .sub").is_visible()
    # input=dom is obeyed: events only, the menu is not opened by them
    tab = goto(s, lab + "/hover")
    text = snap(s, tab, mode="full")["text"]
    products = ref_of(text, "button", "Products")
    assert act(s, tab, "hover", ref=products, input="dom", delta=False)["input_used"] == "dom"
