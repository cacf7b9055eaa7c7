"""Screenshots, save as PDF and downloads end to end in the user's signed-in browser: the daemon's typed
functions (tools/browser.py) over the real daemon → relay → extension → Chromium path, files written by the
daemon into the caller's folder and checked by decoding them; the typed errors, with nothing written."""

from __future__ import annotations

import base64
import struct
import time
from pathlib import Path
from typing import Any

import pytest

from webbridge import errors
from webbridge.tools import browser

from .browser_session import Session, goto, ref_of, snap
from .control_bridge import ControlBridge, run

pytestmark = pytest.mark.e2e


@pytest.fixture
def downloads(s: Session, tmp_path: Path) -> Path:
    """Downloads saved as in a user's browser (real file names, in a Downloads folder), undoing Playwright's
    own download handling (which saves under random names in its artifacts folder)."""
    folder = tmp_path / "Downloads"
    folder.mkdir()
    cdp = s.browser.context.new_cdp_session(s.page)
    cdp.send("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    return folder


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "artifacts"
    folder.mkdir()
    return folder


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def decode(s: Session, path: Path, mime: str, x: int, y: int) -> dict[str, Any]:
    """Decode the image in the browser (a real decoder): its natural size and the RGBA pixel at (x, y)."""
    url = f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode()
    result: dict[str, Any] = s.page.evaluate(
        """async ([url, x, y]) => {
            const img = new Image(); img.src = url; await img.decode();
            const c = document.createElement("canvas");
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const g = c.getContext("2d"); g.drawImage(img, 0, 0);
            const rgba = [...g.getImageData(x, y, 1, 1).data];
            return {width: img.naturalWidth, height: img.naturalHeight, rgba};
        }""",
        [url, x, y],
    )
    return result


def test_viewport_full_page_and_element_screenshots_are_written_by_the_daemon(
    s: Session, bridge: ControlBridge, out: Path
) -> None:
    attaches = s.worker("() => self.__webbridge.debuggerUse()")["attaches"]
    tab = goto(s, s.site.url("/tall"))
    viewport = s.page.evaluate("[innerWidth, innerHeight, devicePixelRatio]")
    shot = run(browser.screenshot(bridge, tab, out_dir=out, name="view"))
    assert shot.path == out / "view.png" and shot.path.is_file() and shot.size == shot.path.stat().st_size
    assert png_size(shot.path) == (shot.width, shot.height)
    assert (shot.width, shot.height) == (round(viewport[0] * viewport[2]), round(viewport[1] * viewport[2]))
    assert shot.url == s.site.url("/tall")
    # the active tab's viewport is taken without the debugger (no "started debugging" bar)
    assert s.worker("() => self.__webbridge.debuggerUse()")["attaches"] == attaches

    full = run(browser.screenshot(bridge, tab, out_dir=out, area="full"))
    assert full.path.parent == out and full.path.name.startswith("screenshot-") and full.path.suffix == ".png"
    doc_height = s.page.evaluate("document.documentElement.scrollHeight")
    assert doc_height > viewport[1] and png_size(full.path) == (full.width, full.height)
    assert full.height == round(doc_height * viewport[2])

    badge = ref_of(snap(s, tab, mode="full")["text"], "button", "Badge")
    el = run(browser.screenshot(bridge, tab, out_dir=out, name="badge", area="element", ref=badge))
    assert (el.width, el.height) == (round(120 * viewport[2]), round(80 * viewport[2]))
    decoded = decode(s, el.path, "image/png", 60, 40)
    assert (decoded["width"], decoded["height"]) == (el.width, el.height)
    assert decoded["rgba"][:3] == [200, 30, 30], "the clip is the badge itself, not what was in the viewport"

    jpeg = run(browser.screenshot(bridge, tab, out_dir=out, name="badge.jpg", area="element", ref=badge,
                                  format="jpeg", quality=90))  # fmt: skip
    assert jpeg.path == out / "badge.jpg" and jpeg.path.read_bytes()[:3] == b"\xff\xd8\xff"
    assert (jpeg.width, jpeg.height) == (el.width, el.height)
    red, green, blue = decode(s, jpeg.path, "image/jpeg", 60, 40)["rgba"][:3]
    assert abs(red - 200) < 12 and green < 45 and blue < 45
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["view.png", full.path.name, "badge.png", "badge.jpg"]
    ), "only the files themselves: no temporary files left behind"


def test_a_full_page_capture_larger_than_the_browser_takes_says_it_was_cut(
    s: Session, bridge: ControlBridge, out: Path
) -> None:
    tab = goto(s, s.site.url("/tall?px=20000"))
    dpr = s.page.evaluate("devicePixelRatio")
    full = run(browser.screenshot(bridge, tab, out_dir=out, area="full"))
    assert full.cut is True and full.height == round(16_384 * dpr)
    assert png_size(full.path) == (full.width, full.height)
    short = run(browser.screenshot(bridge, goto(s, s.site.url("/tall")), out_dir=out, area="full"))
    assert short.cut is False


def test_element_screenshot_inside_a_cross_origin_frame(s: Session, bridge: ControlBridge, out: Path) -> None:
    tab = goto(s, s.site.url("/frames"))
    frame = s.page.frame_locator("#cross")
    frame.locator("#cross-field").evaluate(
        "el => { el.style.background = 'rgb(20,160,40)'; el.style.border = '0'; }"
    )
    box = frame.locator("#cross-field").bounding_box()
    dpr = s.page.evaluate("devicePixelRatio")
    field = ref_of(snap(s, tab, mode="full")["text"], "textbox", "Cross field")
    assert not field.startswith("f0"), "the ref is the child frame's"
    shot = run(browser.screenshot(bridge, tab, out_dir=out, area="element", ref=field))
    assert box is not None and (shot.width, shot.height) == (
        round(box["width"] * dpr),
        round(box["height"] * dpr),
    )
    # The clip was moved into the top page's coordinates: the middle of the image is the field itself.
    assert decode(s, shot.path, "image/png", shot.width // 2, shot.height // 2)["rgba"][:3] == [20, 160, 40]


def test_screenshot_errors_are_typed_and_write_nothing(s: Session, bridge: ControlBridge, out: Path) -> None:
    tab = goto(s, s.site.url("/tall"))
    badge = ref_of(snap(s, tab, mode="full")["text"], "button", "Badge")

    with pytest.raises(errors.NavigatedAway):
        run(browser.screenshot(bridge, tab, out_dir=out, expect_url=s.site.url("/elsewhere")))
    for bad in ["../escape", "sub/dir", ".hidden", "nul", "a\nb", "x" * 300]:
        with pytest.raises(errors.OutputRefused):
            run(browser.screenshot(bridge, tab, out_dir=out, name=bad))
    with pytest.raises(errors.OutputRefused):
        run(browser.screenshot(bridge, tab, out_dir=out / "missing"))
    with pytest.raises(errors.OutputRefused):
        run(browser.screenshot(bridge, tab, out_dir="relative/folder"))
    with pytest.raises(errors.TabNotFound):
        run(browser.screenshot(bridge, 999_999, out_dir=out))

    s.page.evaluate("document.getElementById('badge').style.display = 'none'")
    with pytest.raises(errors.NotActionable, match="hidden"):
        run(browser.screenshot(bridge, tab, out_dir=out, area="element", ref=badge))
    s.page.evaluate("document.getElementById('badge').remove()")
    with pytest.raises(errors.StaleRef):
        run(browser.screenshot(bridge, tab, out_dir=out, area="element", ref=badge))
    goto(s, s.site.url("/forms"))
    with pytest.raises(errors.StaleRef):  # W6: the page navigated between snapshot and capture
        run(browser.screenshot(bridge, tab, out_dir=out, area="element", ref=badge))
    assert list(out.iterdir()) == []


def test_save_as_pdf(s: Session, bridge: ControlBridge, out: Path) -> None:
    tab = goto(s, s.site.url("/inbox"))
    pdf = run(browser.save_pdf(bridge, tab, out_dir=out, name="inbox"))
    data = pdf.path.read_bytes()
    assert pdf.path == out / "inbox.pdf" and data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]
    assert pdf.size == len(data) and pdf.url == s.site.url("/inbox")
    wide = run(browser.save_pdf(bridge, tab, out_dir=out, name="inbox-wide", paper="letter", landscape=True))
    # The page box of the first page: landscape letter is 792 × 612 points.
    assert b"/MediaBox [0 0 792 612]" in wide.path.read_bytes()
    assert b"/MediaBox [0 0 595" in data  # A4 portrait is 595.x × 842 points


def click(s: Session, tab: int, ref: str) -> None:
    """A DOM click: ``auto`` would see no effect of a download in the page and click again, trusted."""
    s.call("page.act", {"tab_id": tab, "action": "click", "ref": ref, "input": "dom", "delta": False})


def test_downloads_wait_reports_the_saved_file(s: Session, bridge: ControlBridge, downloads: Path) -> None:
    tab = goto(s, s.site.url("/downloads"))
    since = int(time.time() * 1000) - 1
    text = snap(s, tab, mode="full")["text"]
    click(s, tab, ref_of(text, "link", "Download report (CSV)"))
    done = run(
        browser.downloads_wait(bridge, tab_id=tab, filename="report", since_ms=since, timeout_ms=20_000)
    )
    saved = Path(done.path)
    assert saved == downloads / "report.csv" and saved.read_text() == "id,amount\n1,99.00\n2,12.50\n"
    assert done.size == saved.stat().st_size and done.mime == "text/csv"
    assert done.url == s.site.url("/download/report.csv")
    assert s.site.downloads == ["report.csv"]

    # A wait running while the download starts (whether the click comes before or after the wait's
    # listeners are in: since_ms covers both), matched by URL; the earlier download does not match.
    since = int(time.time() * 1000) - 1
    waiting = s.start("downloads.wait", {"url": "NOTES.txt", "since_ms": since, "timeout_ms": 20_000})
    click(s, tab, ref_of(text, "link", "Download notes (attachment header)"))
    notes = s.finish(waiting)
    assert notes["path"] == str(downloads / "notes.txt") and notes["mime"] == "text/plain"
    assert Path(notes["path"]).read_text() == "Notes from the fixture site.\n"


def test_interrupted_download_and_timeout_are_typed(
    s: Session, bridge: ControlBridge, downloads: Path
) -> None:
    tab = goto(s, s.site.url("/downloads"))
    since = int(time.time() * 1000) - 1
    s.page.evaluate(
        "(u) => { const a = document.createElement('a'); a.href = u; document.body.append(a); a.click(); }",
        s.site.url("/download-broken"),
    )
    with pytest.raises(errors.DownloadInterrupted, match=r"broken\.bin"):
        run(browser.downloads_wait(bridge, tab_id=tab, since_ms=since, timeout_ms=20_000))
    with pytest.raises(errors.WaitTimeout):
        run(browser.downloads_wait(bridge, filename="never-started", timeout_ms=300))
