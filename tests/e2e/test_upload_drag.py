"""File upload and drag and drop end to end in the user's signed-in browser (real Chromium, relay, daemon):
files the daemon's policy allows reach the server byte for byte; refused paths never reach the browser;
HTML5 drag and drop on the DOM path, a pointer-events sortable on the trusted path, and the typed errors."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from webbridge import errors
from webbridge.tools import browser

from .browser_session import Session, goto, ref_of, snap
from .control_bridge import ControlBridge, run

pytestmark = pytest.mark.e2e


@pytest.fixture
def s(shared_s: Session) -> Session:
    """The module's one paired, signed-in browser, in a fresh tab of its own (conftest.shared_s)."""
    return shared_s


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "allowed"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(b"%PDF-1.4 fixture\n" + bytes(range(256)) * 40)
    (folder / "notes.txt").write_text("line one\nline two\n")
    (folder / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    return folder


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_upload_files_inside_the_allowed_root_and_submit(
    s: Session, bridge: ControlBridge, root: Path
) -> None:
    tab = goto(s, s.site.url("/upload"))
    url = s.site.url("/upload")
    text = snap(s, tab, mode="full")["text"]
    files_ref = ref_of(text, "button", "Attachments")
    avatar_ref = ref_of(text, "button", "Avatar")

    # A path through a symlink inside the root and a `..` that stays inside resolve to the real files.
    (root / "link-to-notes").symlink_to(root / "notes.txt")
    picked = [root / "report.pdf", root / "link-to-notes"]
    result = run(browser.upload(bridge, tab, files_ref, picked, allowed_roots=[root], expect_url=url))
    assert result.files == ["report.pdf", "notes.txt"] and result.url == url
    assert s.page.evaluate("[...document.getElementById('files').files].map(f => [f.name, f.size])") == [
        ["report.pdf", (root / "report.pdf").stat().st_size], ["notes.txt", 18],
    ]  # fmt: skip
    assert s.page.locator("#files").get_attribute("data-webbridge-upload") is None, "the mark is removed"
    (root / "sub").mkdir()
    run(browser.upload(bridge, tab, avatar_ref, [str(root / "sub" / ".." / "pic.png")], allowed_roots=[root]))

    s.call(
        "page.act",
        {"tab_id": tab, "action": "click", "ref": ref_of(text, "button", "Upload"), "delta": False},
    )
    s.page.wait_for_url("**/upload")
    s.page.locator("#received").wait_for()
    got = {f["name"]: f for f in json.loads(s.page.locator("#received").text_content() or "{}")["files"]}
    assert got["report.pdf"]["sha256"] == sha(root / "report.pdf") and got["report.pdf"]["field"] == "files"
    assert got["notes.txt"]["sha256"] == sha(root / "notes.txt")
    assert got["pic.png"]["sha256"] == sha(root / "pic.png") and got["pic.png"]["field"] == "avatar"
    assert s.site.uploads and {u["name"] for u in s.site.uploads} == {"report.pdf", "notes.txt", "pic.png"}


def test_refused_paths_never_reach_the_browser(
    s: Session, bridge: ControlBridge, root: Path, tmp_path: Path
) -> None:
    tab = goto(s, s.site.url("/upload"))
    files_ref = ref_of(snap(s, tab, mode="full")["text"], "button", "Attachments")
    outside = tmp_path / "secret.txt"
    outside.write_text("not for upload")
    (root / "escape").symlink_to(outside)
    (root / "loop").symlink_to(root / "loop")
    (root / "folder").mkdir()
    os.mkfifo(root / "fifo")
    refused = {
        "outside the root": [outside],
        "dot-dot out of the root": [root / ".." / "secret.txt"],
        "symlink escaping the root": [root / "escape"],
        "link loop": [root / "loop"],
        "missing file": [root / "nope.txt"],
        "a folder": [root / "folder"],
        "a FIFO (never opened)": [root / "fifo"],
        "relative path": ["notes.txt"],
        "control character": [str(root / "notes.txt") + "\n"],
        "one bad among good": [root / "notes.txt", outside],
    }
    for why, paths in refused.items():
        with pytest.raises(errors.UploadRefused):
            run(browser.upload(bridge, tab, files_ref, paths, allowed_roots=[root]))
        assert s.page.evaluate("document.getElementById('files').files.length") == 0, why
    with pytest.raises(errors.UploadRefused):  # no roots: nothing is allowed
        run(browser.upload(bridge, tab, files_ref, [root / "notes.txt"], allowed_roots=[]))


def test_upload_errors_in_the_page_are_typed(s: Session, bridge: ControlBridge, root: Path) -> None:
    tab = goto(s, s.site.url("/upload"))
    text = snap(s, tab, mode="full")["text"]
    two = [root / "notes.txt", root / "pic.png"]
    with pytest.raises(errors.NotActionable, match="one file"):
        run(browser.upload(bridge, tab, ref_of(text, "button", "Avatar"), two, allowed_roots=[root]))
    with pytest.raises(errors.NotActionable, match="not a file input"):
        run(browser.upload(bridge, tab, ref_of(text, "textbox", "Title"), two[:1], allowed_roots=[root]))
    with pytest.raises(errors.NavigatedAway):
        run(browser.upload(bridge, tab, ref_of(text, "button", "Attachments"), two, allowed_roots=[root],
                           expect_url=s.site.url("/forms")))  # fmt: skip
    s.page.evaluate("document.getElementById('files').disabled = true")
    with pytest.raises(errors.NotActionable, match="disabled"):
        run(browser.upload(bridge, tab, ref_of(text, "button", "Attachments"), two, allowed_roots=[root]))
    goto(s, s.site.url("/forms"))
    with pytest.raises(errors.StaleRef):  # W6: the page changed between snapshot and upload
        run(browser.upload(bridge, tab, ref_of(text, "button", "Avatar"), two[:1], allowed_roots=[root]))


def test_html5_drag_and_drop_dom_then_trusted(s: Session, bridge: ControlBridge) -> None:
    tab = goto(s, s.site.url("/dnd"))
    text = snap(s, tab, mode="full")["text"]
    card_a, card_b = ref_of(text, "button", "Card A"), ref_of(text, "button", "Card B")
    bin_ref, refuse = ref_of(text, "region", "Bin"), ref_of(text, "region", "No drops")

    done = run(browser.drag(bridge, tab, card_a, bin_ref, expect_url=s.site.url("/dnd")))
    assert (done.input_used, done.accepted) == ("dom", True)
    assert s.page.locator("#dropped").text_content() == "card-a untrusted"
    assert s.page.evaluate("document.getElementById('card-a').parentElement.id") == "bin"

    trusted = run(browser.drag(bridge, tab, card_b, bin_ref, input="trusted"))
    assert trusted.input_used == "trusted"
    assert s.page.locator("#dropped").text_content() == "card-b trusted"

    with pytest.raises(errors.DropNotAccepted):
        run(browser.drag(bridge, tab, card_a, refuse, input="dom"))
    assert s.page.evaluate("document.getElementById('card-a').parentElement.id") == "bin", "nothing moved"


def test_pointer_sortable_needs_the_trusted_path(s: Session, bridge: ControlBridge) -> None:
    tab = goto(s, s.site.url("/dnd"))
    text = snap(s, tab, mode="full")["text"]
    one, three = ref_of(text, "option", "One"), ref_of(text, "option", "Three")

    with pytest.raises(errors.DropNotAccepted, match="not draggable"):
        run(browser.drag(bridge, tab, one, three, input="dom"))
    assert s.page.locator("#order").text_content() == "One,Two,Three,Four"

    moved = run(browser.drag(bridge, tab, one, three))
    assert (moved.input_used, moved.accepted) == ("trusted", False)
    assert s.page.locator("#order").text_content() == "Two,Three,One,Four"


def test_drag_errors_are_typed(s: Session, bridge: ControlBridge) -> None:
    tab = goto(s, s.site.url("/dnd"))
    text = snap(s, tab, mode="full")["text"]
    card_a, bin_ref = ref_of(text, "button", "Card A"), ref_of(text, "region", "Bin")
    with pytest.raises(errors.NavigatedAway):
        run(browser.drag(bridge, tab, card_a, bin_ref, expect_url=s.site.url("/forms")))
    s.page.evaluate("document.getElementById('card-a').style.visibility = 'hidden'")
    with pytest.raises(errors.NotActionable, match="hidden"):
        run(browser.drag(bridge, tab, card_a, bin_ref))
    s.page.evaluate("document.getElementById('card-a').remove()")
    with pytest.raises(errors.StaleRef):
        run(browser.drag(bridge, tab, card_a, bin_ref))
    assert s.page.locator("#dropped").text_content() == "nothing"
