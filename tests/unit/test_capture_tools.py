"""The daemon side of capture and file transfer: screenshot/PDF files written atomically into the caller's
folder under a checked name, upload paths checked against the allowed roots before anything is sent, the
new 6010-6014 replies translated into typed errors. Real files in tmp folders; the channel is scripted."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from webbridge import errors
from webbridge.protocol.capture_kinds import (
    DownloadResult,
    DragResult,
    PdfResult,
    Screenshot,
    ScreenshotResult,
    Upload,
    UploadResult,
)
from webbridge.tools import artifacts, browser, upload_policy

from ._scripted_channel import bridge
from .test_tools_browser import remote

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def shot_reply(data: bytes = PNG) -> ScreenshotResult:
    return ScreenshotResult(url="https://a.test/", format="png", width=10, height=20,
                            data=base64.b64encode(data).decode())  # fmt: skip


# --- artifacts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["", ".", "..", "../x", "a/b", "a\\b", "c:x", ".hidden", "-rf", "a\nb", "a\x00b", "tab\there", " lead",
     "trail.", "CON", "nul.txt", "x" * 201, "\u202eevil"],
)  # fmt: skip
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(errors.OutputRefused):
        artifacts.safe_name(name, stem="shot", suffix="png")


def test_names_get_their_extension_and_defaults_are_unique() -> None:
    assert artifacts.safe_name("view", stem="s", suffix="png") == "view.png"
    assert artifacts.safe_name("view.PNG", stem="s", suffix="png") == "view.PNG"
    assert artifacts.safe_name("photo.jpg", stem="s", suffix="jpeg") == "photo.jpg"
    assert artifacts.safe_name("report.v2", stem="s", suffix="pdf") == "report.v2.pdf"
    assert artifacts.safe_name("Résumé", stem="s", suffix="pdf") == "Résumé.pdf"
    a, b = (artifacts.safe_name(None, stem="page", suffix="pdf") for _ in range(2))
    assert a != b and a.startswith("page-") and a.endswith(".pdf")


def test_output_dir_must_be_an_existing_absolute_folder(tmp_path: Path) -> None:
    assert artifacts.output_dir(tmp_path) == tmp_path.resolve()
    (tmp_path / "file").write_text("x")
    for bad in ["relative", tmp_path / "missing", tmp_path / "file"]:
        with pytest.raises(errors.OutputRefused):
            artifacts.output_dir(bad)


def test_write_atomic_replaces_whole_files_and_never_follows_a_link(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (folder / "shot.png").symlink_to(outside)
    path = artifacts.write_atomic(folder, "shot.png", b"new")
    assert path == folder / "shot.png" and not path.is_symlink() and path.read_bytes() == b"new"
    assert outside.read_text() == "keep me"
    artifacts.write_atomic(folder, "shot.png", b"newer")
    assert path.read_bytes() == b"newer" and os.listdir(folder) == ["shot.png"]

    (folder / "taken").mkdir()  # the rename cannot replace a folder: refused, no temporary file left
    with pytest.raises(errors.OutputRefused):
        artifacts.write_atomic(folder, "taken", b"x")
    assert sorted(os.listdir(folder)) == ["shot.png", "taken"]


# --- upload policy --------------------------------------------------------------------------------------


def test_upload_policy_resolves_links_and_keeps_order(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.txt").write_text("a")
    (real / "b.txt").write_text("b")
    (tmp_path / "root-link").symlink_to(real)  # a root given through a link is its target
    (real / "alias").symlink_to(real / "b.txt")
    got = upload_policy.check_upload_paths(
        [str(tmp_path / "root-link" / "b.txt"), str(real / "alias"), str(real / "a.txt")],
        [tmp_path / "root-link", tmp_path / "does-not-exist"],
    )
    assert got == [str(real / "b.txt"), str(real / "b.txt"), str(real / "a.txt")]


def test_upload_policy_refusals(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "ok.txt").write_text("ok")
    (tmp_path / "rootish").mkdir()
    (tmp_path / "rootish" / "x.txt").write_text("prefix trick")
    with pytest.raises(errors.UploadRefused, match="outside"):  # /root vs /rootish: not a string prefix check
        upload_policy.check_upload_paths([str(tmp_path / "rootish" / "x.txt")], [root])
    with pytest.raises(errors.UploadRefused, match="absolute"):
        upload_policy.resolve_roots(["relative/root"])
    with pytest.raises(errors.UploadRefused, match="no files"):
        upload_policy.check_upload_paths([], [root])
    with pytest.raises(errors.UploadRefused, match="no folder"):
        upload_policy.check_upload_paths([str(root / "ok.txt")], [tmp_path / "gone"])
    with pytest.raises(errors.UploadRefused, match="not a regular file"):
        upload_policy.check_upload_paths(["/dev/null"], ["/dev"])


# --- the tools ------------------------------------------------------------------------------------------


async def test_screenshot_sends_the_request_and_writes_the_decoded_image(tmp_path: Path) -> None:
    b = bridge(shot_reply())
    cap = await browser.screenshot(b, 7, out_dir=tmp_path, name="el", area="element", ref="f0e3",
                                   format="png", expect_url="https://a.test/")  # fmt: skip
    assert cap.path == tmp_path / "el.png" and cap.path.read_bytes() == PNG and cap.size == len(PNG)
    assert (cap.width, cap.height, cap.url) == (10, 20, "https://a.test/")
    kind, sent, timeout = b.channel.sent[0]
    assert kind == "page.screenshot" and isinstance(sent, Screenshot) and timeout == browser.CAPTURE_TIMEOUT_S
    assert (sent.area, sent.ref, sent.expect_url) == ("element", "f0e3", "https://a.test/")


async def test_pdf_is_written_under_a_default_name(tmp_path: Path) -> None:
    data = b"%PDF-1.7\n" + b"x" * 100 + b"\n%%EOF\n"
    b = bridge(PdfResult(url="https://a.test/", data=base64.b64encode(data).decode()))
    cap = await browser.save_pdf(b, 7, out_dir=tmp_path, paper="letter", landscape=True)
    assert cap.path.parent == tmp_path and cap.path.name.startswith("page-") and cap.path.read_bytes() == data


async def test_misuse_and_bad_folders_are_refused_before_anything_is_sent(tmp_path: Path) -> None:
    b = bridge()  # any request would fail the test: nothing is scripted
    with pytest.raises(ValueError, match="ref"):
        await browser.screenshot(b, 7, out_dir=tmp_path, area="element")
    with pytest.raises(ValueError, match="ref"):
        await browser.screenshot(b, 7, out_dir=tmp_path, ref="f0e1")
    with pytest.raises(ValueError, match="jpeg"):
        await browser.screenshot(b, 7, out_dir=tmp_path, quality=50)
    with pytest.raises(errors.OutputRefused):
        await browser.screenshot(b, 7, out_dir=tmp_path / "missing")
    with pytest.raises(errors.OutputRefused):
        await browser.save_pdf(b, 7, out_dir=tmp_path, name="../up")
    with pytest.raises(errors.UploadRefused):
        await browser.upload(b, 7, "f0e1", ["/etc/passwd"], allowed_roots=[tmp_path])
    assert b.channel.sent == []


@pytest.mark.parametrize(
    ("code", "cls"),
    [(6010, errors.CaptureTooLarge), (6011, errors.DownloadInterrupted), (6014, errors.DropNotAccepted)],
)
async def test_new_codes_become_typed_errors_and_nothing_is_written(
    tmp_path: Path, code: int, cls: type[errors.BrowserActionError]
) -> None:
    with pytest.raises(cls, match="said why"):
        await browser.screenshot(bridge(remote(code, cls.name, "said why")), 7, out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


async def test_upload_sends_only_checked_resolved_paths(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "f.txt")
    b = bridge(UploadResult(url="https://a.test/", files=["f.txt"]))
    result = await browser.upload(b, 7, "f0e9", [tmp_path / "link"], allowed_roots=[str(tmp_path)])
    assert result.files == ["f.txt"]
    sent = b.channel.sent[0][1]
    assert isinstance(sent, Upload) and sent.paths == [str((tmp_path / "f.txt").resolve())]


async def test_downloads_wait_and_drag_pass_their_fields() -> None:
    done = DownloadResult(
        id=3, path="/home/u/Downloads/r.csv", size=9, mime="text/csv", url="https://a.test/r"
    )
    b = bridge(done, DragResult(url="https://a.test/", input_used="trusted", accepted=False))
    assert await browser.downloads_wait(b, tab_id=7, filename="r.csv", since_ms=5, timeout_ms=1000) == done
    assert b.channel.sent[0][2] == 1 + browser.REPLY_MARGIN_S
    drag = await browser.drag(b, 7, "f0e1", "f0e2", input="trusted")
    assert drag.input_used == "trusted" and b.channel.sent[1][1].model_dump()["to"] == "f0e2"
