"""Capture and file-transfer tools: screenshots, PDF, downloads, upload, drag and drop
(``protocol/capture_kinds.py``, docs/PROTOCOL.md §5.2).

Plain typed async functions over a connected bridge, like those of ``webbridge.tools.browser`` (which
re-exports them); requests and error translation go through ``browser_call``. Screenshots and PDFs are
written by the daemon into the caller's folder, atomically. None of these calls is idempotent.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import InvalidMessage
from ..protocol.capture_kinds import (
    DownloadResult,
    DownloadsWait,
    Drag,
    DragResult,
    Pdf,
    PdfResult,
    Screenshot,
    ScreenshotResult,
    Upload,
    UploadResult,
)
from . import artifacts, upload_policy
from .browser_call import BridgeLike, _build, _call, _deadline

#: Seconds a screenshot or PDF may take in the browser (a full page of a long document is slow to render).
CAPTURE_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class Capture:
    """A screenshot or PDF written by the daemon: the absolute ``path``, its ``size`` in bytes, the page's
    ``url`` and, for screenshots, the image's size in pixels and whether a full-page capture was ``cut`` at
    the browser's limit."""

    path: Path
    size: int
    url: str
    width: int | None = None
    height: int | None = None
    cut: bool = False


async def screenshot(
    bridge: BridgeLike,
    tab_id: int,
    *,
    out_dir: str | os.PathLike[str],
    name: str | None = None,
    area: Literal["viewport", "full", "element"] = "viewport",
    ref: str | None = None,
    format: Literal["png", "jpeg"] = "png",
    quality: int | None = None,
    expect_url: str | None = None,
) -> Capture:
    """Capture the viewport, the full page or the element ``ref`` and write it into ``out_dir`` (the
    caller's folder: a run's workspace or artifacts folder, never one the page or model chose).

    ``name``: a plain file name (extension added if missing); default ``screenshot-<time>-<random>``.
    Raises OutputRefused (bad folder or name; checked before anything is sent), ValueError (``area`` and
    ``ref`` disagree, ``quality`` without jpeg), StaleRef/NotActionable (element), NavigatedAway,
    TabNotFound, UrlBlocked, CaptureTooLarge, ActionFailed. The file is written atomically: cancelled while
    writing, it is there whole or not at all.
    """
    if (area == "element") != (ref is not None):
        raise ValueError("screenshot: area='element' needs a ref, and only it takes one")
    if quality is not None and format != "jpeg":
        raise ValueError("screenshot: quality applies to jpeg only")
    folder = artifacts.output_dir(out_dir)
    filename = artifacts.safe_name(name, stem="screenshot", suffix=format)
    msg = _build(
        Screenshot, tab_id=tab_id, area=area, ref=ref, format=format, quality=quality, expect_url=expect_url
    )
    result = await _call(bridge, msg, ScreenshotResult, timeout=CAPTURE_TIMEOUT_S)
    path, size = await asyncio.to_thread(_decode_and_write, folder, filename, result.data)
    return Capture(path, size, result.url, result.width, result.height, result.cut)


async def save_pdf(
    bridge: BridgeLike,
    tab_id: int,
    *,
    out_dir: str | os.PathLike[str],
    name: str | None = None,
    paper: Literal["a4", "letter"] = "a4",
    landscape: bool = False,
    background: bool = True,
    expect_url: str | None = None,
) -> Capture:
    """Save the page as PDF into ``out_dir`` (see :func:`screenshot` for the folder, the name and the
    atomic write). Raises OutputRefused, NavigatedAway, TabNotFound, UrlBlocked, CaptureTooLarge,
    ActionFailed (e.g. the browser cannot print this page)."""
    folder = artifacts.output_dir(out_dir)
    filename = artifacts.safe_name(name, stem="page", suffix="pdf")
    msg = _build(Pdf, tab_id=tab_id, paper=paper, landscape=landscape, background=background,
                 expect_url=expect_url)  # fmt: skip
    result = await _call(bridge, msg, PdfResult, timeout=CAPTURE_TIMEOUT_S)
    path, size = await asyncio.to_thread(_decode_and_write, folder, filename, result.data)
    return Capture(path, size, result.url)


def _decode_and_write(folder: Path, name: str, data: str) -> tuple[Path, int]:
    try:
        raw = base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise InvalidMessage(f"the capture is not valid base64: {exc}") from None
    return artifacts.write_atomic(folder, name, raw), len(raw)


async def downloads_wait(
    bridge: BridgeLike,
    *,
    tab_id: int | None = None,
    url: str | None = None,
    filename: str | None = None,
    since_ms: int | None = None,
    timeout_ms: int = 30_000,
) -> DownloadResult:
    """Wait, event-driven, for the next matching download to complete; returns the saved path, size, type
    and final URL. ``since_ms`` (epoch ms; e.g. taken just before the click that starts the download) also
    counts downloads that started before the wait did. Raises DownloadInterrupted (6011: interrupted or
    cancelled, with the browser's reason), WaitTimeout, TabNotFound. Cancelling stops waiting only."""
    msg = _build(DownloadsWait, tab_id=tab_id, url=url, filename=filename, since_ms=since_ms,
                 timeout_ms=timeout_ms)  # fmt: skip
    return await _call(bridge, msg, DownloadResult, timeout=_deadline(timeout_ms))


async def upload(
    bridge: BridgeLike,
    tab_id: int,
    ref: str,
    paths: Sequence[str | os.PathLike[str]],
    *,
    allowed_roots: Sequence[str | os.PathLike[str]],
    expect_url: str | None = None,
) -> UploadResult:
    """Put local files into the ``<input type=file>`` ``ref`` names (its input/change events fire).

    Every path is checked first (:func:`~webbridge.tools.upload_policy.check_upload_paths`): regular files
    inside ``allowed_roots``, links resolved; the browser gets the resolved paths. Raises UploadRefused
    (nothing sent), StaleRef, NotActionable (not a file input, disabled, several files for a single one),
    NavigatedAway, TabNotFound, ActionFailed (e.g. an input in a cross-origin frame)."""
    checked = await asyncio.to_thread(upload_policy.check_upload_paths, [os.fspath(p) for p in paths],
                                      allowed_roots)  # fmt: skip
    msg = _build(Upload, tab_id=tab_id, ref=ref, paths=checked, expect_url=expect_url)
    return await _call(bridge, msg, UploadResult)


async def drag(
    bridge: BridgeLike,
    tab_id: int,
    ref: str,
    to: str,
    *,
    expect_url: str | None = None,
    input: Literal["auto", "dom", "trusted"] = "auto",
) -> DragResult:
    """Drag ``ref`` onto ``to`` (HTML5 drag events first, then trusted mouse input if the page needs it;
    ``input_used`` says which). Raises StaleRef, NotActionable, NavigatedAway, DropNotAccepted (the page
    reacted to neither path), ActionFailed."""
    msg = _build(Drag, tab_id=tab_id, ref=ref, to=to, expect_url=expect_url, input=input)
    return await _call(bridge, msg, DragResult)


__all__ = ["CAPTURE_TIMEOUT_S", "Capture", "downloads_wait", "drag", "save_pdf", "screenshot", "upload"]
