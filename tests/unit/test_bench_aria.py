"""The B2 comparison of ``bench.snapshot``: reading Playwright's and our snapshot texts (pure functions)."""

from __future__ import annotations

from bench._aria import Node, compare, parse_ours, parse_playwright, same_name

PLAYWRIGHT = """- generic [active] [ref=e1]:
  - link "Culture" [ref=e2] [cursor=pointer]:
    - /url: /culture
  - link [ref=e3] [cursor=pointer]:
    - /url: /
    - img "BBC" [ref=e4]
  - menuitem [ref=e5] [cursor=pointer]: Tennis
  - link [ref=e6]:
    - /url: /x
    - heading "Big story" [level=2] [ref=e7]:
      - text: ignored under a name
    - text: more
  - textbox "Email" [ref=e8]: a@b.c
  - 'button "Say: hi" [ref=e9]'
  - link [ref=e10]:
    - /url: /nothing
"""

OURS = """main f0e1
 link "Culture" f0e2
 link "BBC" f0e3
 menuitem "Tennis" f0e5
 link f0e6
  h2 "Big story" f0e7
  - more
 textbox "Email" f0e8 ="a@b.c"
 spinbutton f0e9 ="30"
"""


def test_playwright_names_removed_as_redundant_are_read_back_from_what_it_prints() -> None:
    pw = parse_playwright(PLAYWRIGHT)
    assert pw["e2"] == Node("link", "Culture", "e2")
    assert pw["e3"] == Node("link", "BBC", "e3", derived=True)
    assert pw["e5"] == Node("menuitem", "Tennis", "e5")  # its text, printed after the colon
    assert pw["e6"] == Node("link", "Big story more", "e6", derived=True)
    assert pw["e8"].name == "Email"
    assert pw["e9"] == Node("button", "Say: hi", "e9")
    assert pw["e10"].name == "" and not pw["e10"].derived


def test_our_lines_and_unnamed_nodes() -> None:
    ours = parse_ours(OURS)
    assert ours["f0e2"] == Node("link", "Culture", "f0e2")
    assert ours["f0e6"] == Node("link", "Big story more", "f0e6", derived=True)
    assert ours["f0e9"] == Node("spinbutton", "30", "f0e9", derived=True)
    assert parse_ours(OURS, derive=False)["f0e6"].name == ""
    assert "f0e1" in ours and ours["f0e1"].role == "main"


def test_names_compare_normalised_and_as_truncated_prefixes() -> None:
    assert same_name("A  b", "A b")
    assert same_name("A long name…", "A long name that goes on")
    assert not same_name("Other", "Name")
    assert same_name("AdvertiserFrom Sponsor", "Advertiser From Sponsor", loose=True)


def test_recall_and_agreement() -> None:
    pw = parse_playwright(PLAYWRIGHT)
    ours = parse_ours(OURS)
    mapping: dict[str, str | None] = {"e2": "f0e2", "e3": "f0e3", "e5": "f0e5", "e6": "f0e6", "e8": None}
    fid = compare(pw, ours, mapping)
    assert (fid.reference, fid.found, fid.agree, fid.unlabelled) == (5, 4, 4, 0)
    assert fid.recall == 0.8 and fid.agreement == 1.0
    assert fid.misses == ["textbox 'Email'"]
    # nothing printed for it by Playwright: not compared
    fid = compare(pw, {"x": Node("link", "Something", "x")}, {"e10": "x"})
    assert (fid.found, fid.unlabelled, fid.agreement) == (1, 1, 1.0)
