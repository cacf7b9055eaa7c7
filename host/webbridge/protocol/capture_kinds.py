"""Capture and file-transfer messages (docs/PROTOCOL.md §5.2): screenshots, save as PDF, downloads, file
upload, drag and drop.

All are daemon → extension requests. Screenshots and PDFs come back as base64 in the reply (extension →
daemon is the fast direction, frames up to the relay's upstream cap); the daemon, never the page or the
model, decides where the file is written. Upload paths are checked by the daemon against the allowed roots
before the request is sent; the extension only ever receives checked absolute paths.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from webbridge.protocol.browser_kinds import Ref, TabId, TimeoutMs
from webbridge.protocol.fields import Message, SafeInt, Short, Text
from webbridge.protocol.framing import MAX_UP_FRAME

#: Largest base64 text of one screenshot or PDF: the upstream frame cap less room for the envelope (the
#: signed body travels as a string inside it, and base64 needs no escaping). Bigger captures are 6010.
MAX_CAPTURE_B64 = MAX_UP_FRAME - 1_048_576
#: Standard base64 as CDP produces it (``+/`` with ``=`` padding).
Base64 = Annotated[str, Field(max_length=MAX_CAPTURE_B64, pattern=r"^[A-Za-z0-9+/]*={0,2}$")]
#: Most files in one upload.
MAX_UPLOAD_FILES = 100
Dimension = Annotated[int, Field(ge=0, le=1_000_000)]


# --- screenshot and PDF --------------------------------------------------------------------------------


class Screenshot(Message):
    """A PNG or JPEG of the viewport, the full page, or one element (``ref``, frames included).

    ``expect_url``: only if the tab is still on exactly this URL (else 6002). ``quality`` (JPEG only)
    0–100. Errors: 6005, 6004 (page cannot be captured), 6001/6003 (element stale, hidden, no size),
    6007 (the browser refused), 6010 (larger than the bridge carries).
    """

    kind: Literal["page.screenshot"] = "page.screenshot"
    tab_id: TabId
    area: Literal["viewport", "full", "element"] = "viewport"
    ref: Ref | None = None
    format: Literal["png", "jpeg"] = "png"
    quality: Annotated[int, Field(ge=0, le=100)] | None = None
    expect_url: Text | None = None


class ScreenshotResult(Message):
    """The image (base64) and its size in pixels (CSS pixels times the device pixel ratio)."""

    kind: Literal["page.screenshot.result"] = "page.screenshot.result"
    url: Text
    format: Literal["png", "jpeg"]
    width: Dimension
    height: Dimension
    data: Base64
    #: A ``full`` capture of a page longer or wider than the browser captures (16 384 CSS px each way) was
    #: cut there: the image shows the page's top-left 16 384 px only.
    cut: bool = False


class Pdf(Message):
    """The page printed to PDF (``Page.printToPDF``), as the browser's print preview would lay it out."""

    kind: Literal["page.pdf"] = "page.pdf"
    tab_id: TabId
    paper: Literal["a4", "letter"] = "a4"
    landscape: bool = False
    background: bool = True
    expect_url: Text | None = None


class PdfResult(Message):
    kind: Literal["page.pdf.result"] = "page.pdf.result"
    url: Text
    data: Base64


# --- downloads -----------------------------------------------------------------------------------------


class DownloadsWait(Message):
    """Wait, event-driven, for the next download to complete and report where it was saved.

    Candidates: downloads started after ``since_ms`` (epoch milliseconds; default: when the wait began),
    from ``tab_id``'s site (the download's referrer, else its URL, has the tab's origin) when given, whose
    URL contains ``url`` and whose file name contains ``filename`` (both case-insensitive) when given.
    The first candidate to finish is the answer; if it is interrupted or cancelled it is 6011; nothing
    finished in ``timeout_ms`` is 6006.
    """

    kind: Literal["downloads.wait"] = "downloads.wait"
    tab_id: TabId | None = None
    url: Text | None = None
    filename: Short | None = None
    since_ms: Annotated[int, Field(ge=0, le=2**53 - 1)] | None = None
    timeout_ms: TimeoutMs = 30_000


class DownloadResult(Message):
    """A completed download: the absolute path the browser saved it to, its size, type and final URL."""

    kind: Literal["downloads.wait.result"] = "downloads.wait.result"
    id: SafeInt
    path: Text
    size: Annotated[int, Field(ge=0, le=2**53 - 1)]
    mime: Short
    url: Text


# --- upload and drag -----------------------------------------------------------------------------------


class Upload(Message):
    """Set the files of the ``<input type=file>`` that ``ref`` names (``DOM.setFileInputFiles``), which
    fires its ``input`` and ``change`` events. ``paths`` are absolute and already checked by the daemon.
    Errors: 6001 stale, 6003 not a file input / disabled / several files for a single-file input, 6007."""

    kind: Literal["page.upload"] = "page.upload"
    tab_id: TabId
    ref: Ref
    paths: Annotated[list[Text], Field(min_length=1, max_length=MAX_UPLOAD_FILES)]
    expect_url: Text | None = None


class UploadResult(Message):
    """The file names the input now holds (as the page sees them)."""

    kind: Literal["page.upload.result"] = "page.upload.result"
    url: Text
    files: Annotated[list[Text], Field(max_length=MAX_UPLOAD_FILES)]


class Drag(Message):
    """Drag the element ``ref`` and drop it on ``to``.

    ``input``: ``dom`` dispatches HTML5 drag events (dragstart … drop, dragend) with one shared
    DataTransfer; ``trusted`` presses, moves and releases the mouse through ``chrome.debugger`` (an HTML5
    drag it starts is intercepted and dropped with ``Input.dispatchDragEvent``); ``auto`` tries the DOM path
    and falls back to the trusted one when the target did not accept the drop and nothing changed.
    Errors: 6001, 6002, 6003 (hidden, covered, no size), 6014 (the page reacted to neither path).
    """

    kind: Literal["page.drag"] = "page.drag"
    tab_id: TabId
    ref: Ref
    to: Ref
    expect_url: Text | None = None
    input: Literal["auto", "dom", "trusted"] = "auto"


class DragResult(Message):
    """Which path was used, and whether the target accepted the drop (HTML5 ``dragover`` cancelled)."""

    kind: Literal["page.drag.result"] = "page.drag.result"
    url: Text
    input_used: Literal["dom", "trusted"]
    accepted: bool


#: (request model, reply model) of every kind here, for the catalogue in ``messages``.
REQUESTS: tuple[tuple[type[Message], type[Message]], ...] = (
    (Screenshot, ScreenshotResult),
    (Pdf, PdfResult),
    (DownloadsWait, DownloadResult),
    (Upload, UploadResult),
    (Drag, DragResult),
)

__all__ = [
    "MAX_CAPTURE_B64",
    "MAX_UPLOAD_FILES",
    "REQUESTS",
    "DownloadResult",
    "DownloadsWait",
    "Drag",
    "DragResult",
    "Pdf",
    "PdfResult",
    "Screenshot",
    "ScreenshotResult",
    "Upload",
    "UploadResult",
]
