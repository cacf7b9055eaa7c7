"""W6 and W8 at the extension, end to end (real Chromium, extension, relay, daemon and CLI):

- ``page.act`` with ``expect_role``/``expect_name`` acts only on the element the snapshot named: a renamed
  element is refused before anything happens, and a button the page swaps for "Buy now" as the pointer
  arrives is not pressed — with DOM events and with trusted (``chrome.debugger``) input — 6008
  ``target_changed``, nothing bought;
- ``page.describe`` reads a ref's role, name, form destination, method, field values and link from the live
  element, so the daemon's policy can decide on where data really goes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .browser_session import Session, goto, ref_of, snap

pytestmark = pytest.mark.e2e


@pytest.fixture
def s(shared_s: Session) -> Session:
    """The module's one paired, signed-in browser, in a fresh tab of its own (conftest.shared_s)."""
    return shared_s

#: Turns the events page into a wishlist button that becomes a "Buy now" submit button under the pointer;
#: a purchase is counted in a variable (never in the DOM) and the form never navigates.
SWAP = """() => {
  window.bought = 0;
  document.body.insertAdjacentHTML("afterbegin",
    "<div id='slot'><button id='wish' type='button' style='width:240px;height:60px'>" +
    "Add to wishlist</button></div>");
  const wish = document.getElementById("wish");
  const swap = () => {
    document.getElementById("slot").innerHTML =
      "<form id='buy' action='/buy' method='post'>" +
      "<button style='width:240px;height:60px'>Buy now</button></form>";
    const form = document.getElementById("buy");
    form.addEventListener("submit", (e) => { e.preventDefault(); window.bought++; });
  };
  for (const type of ["pointerover", "pointerenter", "mouseover", "mousemove", "pointerdown", "focus"])
    wish.addEventListener(type, swap, { once: true });
  window.scrollTo(0, 0);
}"""


def act(s: Session, tab: int, action: str, **body: Any) -> dict[str, Any]:
    return s.call("page.act", {"tab_id": tab, "action": action, "delta": False, **body})


def refused(s: Session, tab: int, action: str, **body: Any) -> tuple[int, str]:
    return s.error("page.act", {"tab_id": tab, "action": action, "delta": False, **body})


@pytest.mark.parametrize("input_kind", ["dom", "trusted"])
def test_a_button_swapped_under_the_pointer_is_not_pressed(s: Session, lab: str, input_kind: str) -> None:
    tab = goto(s, lab + "/events")
    s.page.evaluate(SWAP)
    wish = ref_of(snap(s, tab)["text"], "button", "Add to wishlist")
    code = refused(s, tab, "click", ref=wish, input=input_kind, expect_role="button",
                   expect_name="Add to wishlist")
    assert code == (6008, "target_changed")
    assert s.page.evaluate("window.bought") == 0
    assert s.page.locator("#buy").count() == 1  # the page did swap it: the check, not luck, stopped the press


#: The same button keeps its place but becomes "Buy now" as the pointer arrives (no element is replaced).
RENAME = """() => {
  window.bought = 0;
  document.body.insertAdjacentHTML("afterbegin",
    "<button id='wish' type='button' style='width:240px;height:60px'>Add to wishlist</button>");
  const wish = document.getElementById("wish");
  wish.addEventListener("mouseover", () => { wish.textContent = "Buy now"; }, { once: true });
  wish.addEventListener("click", () => { if (wish.textContent === "Buy now") window.bought++; });
  window.scrollTo(0, 0);
}"""


@pytest.mark.parametrize("input_kind", ["dom", "trusted"])
def test_a_button_renamed_under_the_pointer_is_pressed_only_without_an_expectation(
    s: Session, lab: str, input_kind: str
) -> None:
    """With ``expect_name`` (what the daemon sends) the press does not happen; without it — the control —
    it lands on "Buy now"."""
    tab = goto(s, lab + "/events")
    s.page.evaluate(RENAME)
    wish = ref_of(snap(s, tab)["text"], "button", "Add to wishlist")
    code = refused(s, tab, "click", ref=wish, input=input_kind, expect_role="button",
                   expect_name="Add to wishlist")
    assert code == (6008, "target_changed") and s.page.evaluate("window.bought") == 0
    assert s.page.locator("#wish").text_content() == "Buy now"
    act(s, tab, "click", ref=wish, input=input_kind)
    assert s.page.evaluate("window.bought") == 1


def test_a_renamed_element_is_refused_before_anything_happens(s: Session, lab: str) -> None:
    tab = goto(s, lab + "/events")
    target = ref_of(snap(s, tab)["text"], "button", "Target")
    s.page.evaluate("document.getElementById('target').textContent = 'Delete everything'")
    assert refused(s, tab, "click", ref=target, expect_role="button", expect_name="Target") == (
        6008, "target_changed")
    assert refused(s, tab, "click", ref=target, expect_role="link", expect_name="Delete everything") == (
        6008, "target_changed")
    assert s.page.evaluate("window.log") == []  # not even hovered
    act(s, tab, "click", ref=target, expect_role="button", expect_name="Delete everything")
    assert "click:0" in s.page.evaluate("window.log")


def test_a_long_name_cut_by_the_snapshot_still_matches(s: Session, lab: str) -> None:
    tab = goto(s, lab + "/events")
    s.page.evaluate("document.getElementById('target').textContent = 'Target ' + 'x'.repeat(400)")
    text = snap(s, tab)["text"]
    line = next(line for line in text.splitlines() if "Target x" in line)
    name, ref = line.split('"')[1], line.split()[-1]
    assert name.endswith("…") and re.fullmatch(r"e\d+", ref)  # the snapshot cut it; a top-frame ref
    act(s, tab, "click", ref=ref, expect_role="button", expect_name=name)
    assert "click:0" in s.page.evaluate("window.log")


def test_describe_reads_the_form_destination_and_fields_from_the_live_page(s: Session) -> None:
    tab = goto(s, s.site.url("/forms"))
    text = snap(s, tab, mode="full")["text"]
    name_ref = ref_of(text, "textbox", "Full name")
    act(s, tab, "fill", ref=name_ref, text="Ada Lovelace")
    submit = s.call("page.describe", {"tab_id": tab, "ref": ref_of(text, "button", "Submit")})
    assert submit["role"] == "button" and submit["name"] == "Submit"
    assert submit["form_action"] == s.site.url("/forms/submit") and submit["form_method"] == "post"
    assert submit["submits"] is True and "Ada Lovelace" in submit["fields"]
    assert "locked" not in submit["fields"]  # a disabled field is not sent
    assert submit["frame_url"] == s.site.url("/forms")
    field = s.call("page.describe", {"tab_id": tab, "ref": name_ref})
    assert field["role"] == "textbox" and field["submits"] is True  # Enter submits a single-line field
    box = s.call("page.describe", {"tab_id": tab, "ref": ref_of(text, "checkbox", "Accept terms")})
    assert box["submits"] is False and box["form_action"] == s.site.url("/forms/submit")
    # the page points its form elsewhere: that is what the daemon sees, not what the page used to say
    s.page.evaluate("document.getElementById('everything').action = 'https://attacker.example/collect'")
    moved = s.call("page.describe", {"tab_id": tab, "ref": ref_of(text, "button", "Submit")})
    assert moved["form_action"] == "https://attacker.example/collect"
    s.page.evaluate("document.getElementById('name').remove()")
    assert s.error("page.describe", {"tab_id": tab, "ref": name_ref}) == (6001, "stale_ref")


def test_describe_names_a_links_target(s: Session, lab: str) -> None:
    tab = goto(s, lab + "/events")
    link = s.call("page.describe", {"tab_id": tab, "ref": ref_of(snap(s, tab)["text"], "link", "Next link")})
    assert link["role"] == "link" and link["href"] == lab + "/events#next"
    assert link["form_action"] is None and link["submits"] is False


def test_policy_set_reaches_the_extension_which_refuses_a_submit_to_the_denied_site(s: Session) -> None:
    """`webbridge policy set` → the daemon reloads and announces (`policy.changed`) → the extension's
    re-check holds the new summary without reconnecting, and refuses a click that would submit the page's
    form to the denied site (8021) even though the daemon asked; the form is not sent."""
    tab = goto(s, s.site.url("/forms"))
    text = snap(s, tab, mode="full")["text"]  # the extension holds the summary in force now
    before = s.worker("() => self.__webbridge.policyStatus()")["summary"]
    assert before["state"] == "ready"
    s.page.evaluate("document.getElementById('everything').action = 'https://collect.denied-forms.example/in'")
    out = s.wb.run("policy", "set", "denied-forms.example", "all", "deny").stdout
    assert "the running daemon uses it now" in out
    submit = ref_of(text, "button", "Submit")
    assert s.error("page.act", {"tab_id": tab, "action": "click", "ref": submit}) == (
        8021, "extension_policy_refused")
    after = s.worker("() => self.__webbridge.policyStatus()")["summary"]
    assert after["version"] != before["version"] and after["refusals"] == before["refusals"] + 1
    assert s.page.url == s.site.url("/forms")  # nothing was submitted
    # a click that submits nothing is not this check's business
    act(s, tab, "check", ref=ref_of(text, "checkbox", "Subscribe to newsletter"))
