"""B3 token accounting of ``bench.snapshot`` (pure functions): the floor of a page and what each text
spends its characters on."""

from __future__ import annotations

from bench._aria import Node, parse_ours, parse_playwright
from bench._tokens import floor_chars, our_composition, playwright_composition

PLAYWRIGHT = """- main [ref=e2]:
  - link "Link 0" [ref=e3] [cursor=pointer]:
    - /url: "#l0"
  - button "Button 1" [ref=e4]
  - text: Text 2
  - checkbox "Check 3" [ref=e5]
  - paragraph [ref=e7]: Paragraph 5 with words
  - button [ref=e8]"""

OURS = """main f0e1
 link "Link 0" f0e2
 button "Button 1 f0e9" f0e3
 - Text 2
 ↓ below the viewport
 checkbox "Check 3" f0e4 checked"""


def test_floor_is_one_role_name_ref_line_per_interactive_element() -> None:
    pw = parse_playwright(PLAYWRIGHT)
    expected = ['link "Link 0" e3', 'button "Button 1" e4', 'checkbox "Check 3" e5', "button e8"]
    # main and paragraph have refs but no interactive role: not part of the floor
    assert floor_chars(pw) == sum(len(line) + 1 for line in expected)


def test_floor_quotes_names_as_json() -> None:
    pw = parse_playwright('- button "Say \\"hi\\"" [ref=e1]')
    assert floor_chars(pw) == len('button "Say \\"hi\\"" e1') + 1


def test_our_composition_counts_lines_by_kind_and_refs_outside_names() -> None:
    kinds = our_composition(OURS)
    lines = OURS.split("\n")
    assert kinds["text"] == len(lines[3]) + 1
    assert kinds["marker"] == len(lines[4]) + 1
    assert kinds["button"] == len(lines[2]) + 1
    assert kinds["checkbox"] == len(lines[5]) + 1
    assert kinds["(indentation)"] == 5
    # four refs of 5 characters plus their space; the ref-like word inside the button's name is not one
    assert kinds["(refs)"] == 4 * len(" f0e1")
    assert sum(v for k, v in kinds.items() if not k.startswith("(")) == len(OURS) + 1


def test_playwright_composition_separates_urls_refs_and_cursor() -> None:
    kinds = playwright_composition(PLAYWRIGHT)
    lines = PLAYWRIGHT.split("\n")
    assert kinds["/url"] == len(lines[2]) + 1
    assert kinds["text"] == len(lines[4]) + 1
    assert kinds["button"] == len(lines[3]) + 1 + len(lines[7]) + 1
    assert kinds["(refs)"] == sum(len(f" [ref=e{n}]") for n in (2, 3, 4, 5, 7, 8))
    assert kinds["(cursor)"] == len(" [cursor=pointer]")
    assert sum(v for k, v in kinds.items() if not k.startswith("(")) == len(PLAYWRIGHT) + 1


def test_short_top_frame_refs_count_and_page_text_words_do_not() -> None:
    text = 'main e1\n link "Link 0" e2\n iframe "Ad" e3\n  button "Go" f1e4 pressed\n - Play e4 then e5'
    kinds = our_composition(text)
    assert kinds["(refs)"] == 3 * len(" e1") + len(" f1e4")
    assert parse_ours(text)["e2"] == Node("link", "Link 0", "e2")
    assert parse_ours(text)["f1e4"].role == "button" and "e5" not in parse_ours(text)
