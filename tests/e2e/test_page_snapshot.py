"""page.snapshot end to end in the user's signed-in browser: every mode, refs that stay put, same- and
cross-origin iframes, shadow DOM, hidden and off-screen elements (real Chromium, relay, daemon, CLI)."""

from __future__ import annotations

import re

import pytest

from .browser_session import Session, goto, ref_of, snap

pytestmark = pytest.mark.e2e

#: The ref of an element line: after the role and the name, never in page text.
REF = re.compile(r'^ *[a-z][a-z0-9-]*(?: "(?:[^"\\]|\\.)*")? ((?:f\d+)?e\d+)(?= |$)', re.M)


def test_every_mode_on_the_signed_in_forms_page(s: Session) -> None:
    tab = goto(s, s.site.url("/forms"))
    assert s.page.locator("#user").text_content() == "alice"  # the agent works in the user's session

    full = snap(s, tab, mode="full")
    text = full["text"]
    assert full["url"] == s.site.url("/forms") and full["title"] == "Forms" and full["frames"] == 1
    assert full["truncated"] is False and full["refs"] == len(REF.findall(text))
    # one frame: every ref is short (e12), none has the old top-frame prefix f0
    assert REF.findall(text) and all(re.fullmatch(r"e\d+", r) for r in REF.findall(text))
    for role, name in [
        ("textbox", "Full name"),
        ("textbox", "Password"),
        ("spinbutton", "Quantity"),
        ("combobox", "Colour"),
        ("listbox", "Toppings"),
        ("checkbox", "Accept terms"),
        ("radio", "Medium"),
        ("slider", "Volume"),
        ("textbox", "Notes"),
        ("button", "Submit"),
    ]:
        ref_of(text, role, name)
    assert re.search(r'checkbox "Accept terms" e\d+ checked', text)
    assert re.search(r'radio "Medium" e\d+ checked', text)
    assert re.search(r'textbox "Disabled field" e\d+ disabled ="locked"', text)
    assert "options: Choose… | Red | Green | Blue" in text
    assert 'link "Sign out"' in text or "alice" in text  # the signed-in header
    assert "\n- Full name\n" not in text  # a label's text is the field's name, not printed twice

    # default: budgeted, says what it left out and how to get it
    default = snap(s, tab)
    assert default["text"].startswith(("banner", "main", "navigation"))
    assert len(default["text"]) <= 16_000
    ref_of(default["text"], "textbox", "Full name")
    if "left out" in default["text"]:
        assert 'mode "full"' in default["text"]

    # find: by text (name or value) and by role
    found = snap(s, tab, mode="find", query="subscribe")["text"].splitlines()
    assert found == [
        f'checkbox "Subscribe to newsletter" {ref_of(text, "checkbox", "Subscribe to newsletter")}'
    ]
    radios = snap(s, tab, mode="find", role="radio")["text"].splitlines()
    assert [r.split('"')[1] for r in radios] == ["Small", "Medium", "Large"]
    assert snap(s, tab, mode="find", query="no such thing at all")["text"].startswith("nothing matches")

    # subtree from a ref
    group = ref_of(text, "group", "Size")
    sub = snap(s, tab, mode="subtree", ref=group)["text"].splitlines()
    assert sub[0].startswith(f'group "Size" {group}') and len(sub) == 4

    # delta: what the user changed since the last snapshot, and nothing when nothing changed
    assert snap(s, tab, mode="delta")["text"] == "no changes"
    s.page.fill("#name", "Grace")
    delta = snap(s, tab, mode="delta")["text"]
    assert re.search(
        rf'^~ textbox "Full name" {ref_of(text, "textbox", "Full name")}( focused)? ="Grace"$', delta, re.M
    )
    assert snap(s, tab, mode="delta")["text"] == "no changes"


def test_refs_stay_the_same_on_unchanged_and_mutated_pages(s: Session) -> None:
    tab = goto(s, s.site.url("/big?n=3000"))
    first = snap(s, tab, mode="full")["text"]
    second = snap(s, tab, mode="full")["text"]
    assert first == second  # 100 % the same refs on an unchanged page
    refs = REF.findall(first)
    assert len(refs) > 1500 and len(set(refs)) == len(refs)
    # an unrelated mutation elsewhere leaves every other ref where it was
    s.page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('afterbegin', '<button>New one</button>')"
    )
    third = snap(s, tab, mode="full")["text"]
    assert set(refs) <= set(REF.findall(third))
    line = f'button "Button 7" {ref_of(first, "button", "Button 7")}'
    assert line in third


def test_iframes_same_and_cross_origin_are_stitched_in_place(s: Session) -> None:
    tab = goto(s, s.site.url("/frames"))
    s.page.frame_locator("iframe").first.locator("#inner-button, button").first.wait_for()
    full = snap(s, tab, mode="full")
    text = full["text"]
    assert full["frames"] >= 4
    lines = text.splitlines()

    def depth(line: str) -> int:
        return len(line) - len(line.lstrip(" "))

    same = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith('iframe "Same-origin frame"'))
    inner = next(i for i, ln in enumerate(lines) if 'button "Inner button"' in ln)
    nested = next(i for i, ln in enumerate(lines) if 'button "Nested button"' in ln)
    cross = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith('iframe "Cross-origin frame"'))
    cross_button = next(i for i, ln in enumerate(lines) if 'button "Cross button"' in ln)
    assert same < inner < nested < cross < cross_button
    assert depth(lines[inner]) == depth(lines[same]) + 1
    assert depth(lines[nested]) == depth(lines[inner]) + 1  # an iframe inside the iframe
    assert depth(lines[cross_button]) == depth(lines[cross]) + 1
    prefixes = {
        r.split("e")[0]
        for r in (
            ref_of(text, "button", n) for n in ("Top button", "Inner button", "Nested button", "Cross button")
        )
    }
    assert len(prefixes) == 4  # one frame prefix per document

    # every element inside frames is reachable: find and subtree see them too
    assert "Cross button" in snap(s, tab, mode="find", query="cross button")["text"]
    sub = snap(s, tab, mode="subtree", ref=ref_of(text, "iframe", "Cross-origin frame"))["text"]
    assert "Cross field" in sub and "Top button" not in sub


def test_shadow_dom_open_and_closed(s: Session) -> None:
    tab = goto(s, s.site.url("/shadow"))
    text = snap(s, tab, mode="full")["text"]
    ref_of(text, "textbox", "Shadow user")
    ref_of(text, "checkbox", "Deep checkbox")
    ref_of(text, "button", "Closed shadow button")  # closed roots of custom elements, via chrome.dom


def test_hidden_offscreen_and_hidden_body(s: Session, lab: str) -> None:
    tab = goto(s, lab + "/hidden")
    full = snap(s, tab, mode="full")["text"]
    for gone in ("Display none button", "Link in hidden div", "Invisible button", "Inside closed details"):
        assert gone not in full
    for shown in (
        "Shown button",
        "Visible inside invisible",
        "In display contents",
        "Covered button",
        "More",
    ):
        assert shown in full
    assert re.search(r'button "Zero button" e\d+ hidden', full)
    assert re.search(r'button "Disabled button" e\d+ disabled', full)
    lines = full.splitlines()
    far = next(i for i, ln in enumerate(lines) if '"Far below button"' in ln)
    assert lines[far - 1].strip() == "↓ below the viewport"
    default = snap(s, tab)["text"]
    assert "Zero button" not in default and "Far below button" in default  # nearest actionable, marked
    found = snap(s, tab, mode="find", query="far below")["text"]
    assert found.endswith(" ↓")

    # a page whose body is hidden (like the saved seattletimes page) renders empty
    tab = goto(s, lab + "/hidden-body")
    assert snap(s, tab, mode="full")["text"] == ""
    assert snap(s, tab, mode="full")["refs"] == 0


def test_errors_of_snapshot(s: Session) -> None:
    tab = goto(s, s.site.url("/forms"))
    assert s.error("page.snapshot", {"tab_id": 999_999})[0] == 6005
    assert s.error("page.snapshot", {"tab_id": tab, "mode": "subtree", "ref": "f0e99999"})[0] == 6001
    assert s.error("page.snapshot", {"tab_id": tab, "mode": "subtree", "ref": "e99999"})[0] == 6001
    assert s.error("page.snapshot", {"tab_id": tab, "mode": "subtree", "ref": "f7e1"})[0] == 6001  # no f7
    for bad in ("f0e", "E5", "e5 ", "ref5"):
        assert s.error("page.snapshot", {"tab_id": tab, "mode": "subtree", "ref": bad})[0] == 2002
    assert s.error("page.snapshot", {"tab_id": tab, "mode": "subtree"})[0] == 2002
    assert s.error("page.snapshot", {"tab_id": tab, "mode": "find"})[0] == 2002
