"""Browser-control tools: plain typed async functions over a connected bridge (docs/PROTOCOL.md §5.2).

Each builds the request model of ``webbridge.protocol.browser_kinds``, sends it with
``bridge.channel.request`` and returns the typed reply. Errors, translated in one place (:func:`_call`):

- the extension's 6xxx replies become the matching :class:`~webbridge.errors.BrowserActionError`
  (``StaleRef``, ``NavigatedAway``, ``NotActionable``, ``UrlBlocked``, ``TabNotFound``, ``WaitTimeout``,
  ``ActionFailed``): outcomes the agent sees as tool results; nothing happened elsewhere instead;
- every other failure propagates unchanged: ``RemoteError`` for other remote codes, ``RequestTimeout``,
  ``ChannelClosed``, ``Busy`` (run failures), ``InvalidMessage`` for arguments the models refuse;
- ``ValueError`` for misuse the models cannot express (``wait_for`` needs exactly one condition,
  ``navigate`` with ``goto`` needs a URL).

URLs are checked by the daemon-side URL policy before anything is sent (:class:`UrlBlocked`); the extension
checks again. Cancelling a call forgets the request (a late reply is dropped); it is not undone in the
browser. None of these calls is idempotent except ``tabs_list``, ``page_text``, ``snapshot`` and
``wait_for``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from ..errors import (
    BY_CODE,
    BrowserActionError,
    InvalidMessage,
    RemoteError,
    TabNotFound,
    UnexpectedKind,
    WebBridgeError,
)
from ..protocol.browser_kinds import (
    Act,
    ActionName,
    ActResult,
    Describe,
    Described,
    Done,
    Navigate,
    Navigated,
    PageTextRequest,
    PageTextResult,
    Snapshot,
    SnapshotResult,
    TabResult,
    TabsActivate,
    TabsClose,
    TabsList,
    TabsListResult,
    TabsOpen,
    WaitFor,
    WaitResult,
)
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
from ..protocol.fields import Message, Tab
from ..protocol.messages import parse_body
from ..protocol.page_io_kinds import (
    DEFAULT_RESULT_BYTES,
    ConsoleLevel,
    ConsoleRead,
    ConsoleResult,
    DialogHandle,
    DialogHandled,
    DialogState,
    DialogStateResult,
    Evaluate,
    EvaluateResult,
    NetworkRead,
    NetworkResult,
)
from . import artifacts, upload_policy
from .url_policy import require_allowed_url

#: Extra seconds the daemon waits beyond a wait's own ``timeout_ms``, so that the extension's 6006 (which
#: says what it waited for) arrives before the channel's generic 4001.
REPLY_MARGIN_S = 5.0

R = TypeVar("R", bound=Message)
M = TypeVar("M", bound=Message)


class RequestChannel(Protocol):
    async def request(
        self,
        kind: str,
        body: Mapping[str, Any] | Message | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the deadline is part of the request
    ) -> Message: ...


class BridgeLike(Protocol):
    """What the tools need of a bridge: its channel (``webbridge.daemon.bridges.Bridge`` has one)."""

    @property
    def channel(self) -> RequestChannel: ...


def translate_remote_error(err: RemoteError) -> WebBridgeError:
    """The typed browser error for a remote 6xxx code (message and detail kept); ``err`` itself otherwise."""
    cls = BY_CODE.get(err.remote_code)
    if cls is not None and issubclass(cls, BrowserActionError):
        return cls(err.message)
    return err


async def _call(
    bridge: BridgeLike,
    msg: Message,
    reply: type[R],
    *,
    timeout: float | None = None,  # noqa: ASYNC109 - the deadline is part of the request
) -> R:
    try:
        answer = await bridge.channel.request(msg.kind, msg, timeout=timeout)
    except RemoteError as exc:
        translated = translate_remote_error(exc)
        if translated is exc:
            raise
        raise translated from exc
    if not isinstance(answer, reply):
        raise UnexpectedKind(f"{msg.kind} was answered with {answer.kind}")
    return answer


def _build(model: type[M], **fields: Any) -> M:
    """The request model, validated as the wire would be: ``InvalidMessage`` names a refused field."""
    msg = parse_body(model.model_fields["kind"].default, fields)
    assert isinstance(msg, model)
    return msg


def _deadline(timeout_ms: int) -> float:
    return timeout_ms / 1000 + REPLY_MARGIN_S


# --- tabs -----------------------------------------------------------------------------------------------


async def tabs_list(bridge: BridgeLike, *, url: str | None = None, title: str | None = None) -> list[Tab]:
    """Tabs of every normal window; ``url``/``title`` keep those containing the text (case-insensitive)."""
    result = await _call(bridge, _build(TabsList, url=url, title=title), TabsListResult)
    return list(result.tabs)


async def find_tab(bridge: BridgeLike, *, url: str | None = None, title: str | None = None) -> Tab:
    """The one tab matching ``url``/``title`` (the active one if several match, else the first).

    Raises :class:`~webbridge.errors.TabNotFound` when none matches and ``ValueError`` without a filter.
    """
    if url is None and title is None:
        raise ValueError("find_tab needs url or title")
    tabs = await tabs_list(bridge, url=url, title=title)
    if not tabs:
        raise TabNotFound("no tab matches")
    return next((t for t in tabs if t.active), tabs[0])


async def open_tab(bridge: BridgeLike, url: str, *, active: bool = False, group: str | None = None) -> Tab:
    """Open ``url`` in a new tab, in the tab group named ``group`` (created if needed).

    Returns the tab once its document is parsed (DOMContentLoaded), or after 15 s as it is then (follow with
    :func:`wait_for` for more). Raises :class:`~webbridge.errors.UrlBlocked` for URLs the policy refuses.
    """
    require_allowed_url(url, "open")
    result = await _call(bridge, _build(TabsOpen, url=url, active=active, group=group), TabResult)
    return result.tab


async def activate_tab(bridge: BridgeLike, tab_id: int) -> Tab:
    """Make the tab the active one of its window and focus the window. Raises TabNotFound."""
    result = await _call(bridge, _build(TabsActivate, tab_id=tab_id), TabResult)
    return result.tab


async def close_tab(bridge: BridgeLike, tab_id: int) -> None:
    """Close the tab. Raises TabNotFound (also when it is closed already)."""
    await _call(bridge, _build(TabsClose, tab_id=tab_id), Done)


# --- navigation, text, waiting --------------------------------------------------------------------------


async def navigate(
    bridge: BridgeLike,
    tab_id: int,
    url: str | None = None,
    *,
    action: Literal["goto", "back", "forward", "reload"] = "goto",
    wait: Literal["load", "none"] = "load",
    timeout_ms: int = 30_000,
) -> Navigated:
    """Go to ``url``, back, forward or reload; with ``wait="load"`` returns after the load event.

    Raises UrlBlocked (target or current page refused), TabNotFound, WaitTimeout (no load in time; the
    navigation itself is not undone) and ActionFailed (no history entry to go back/forward to).
    """
    if action == "goto":
        if url is None:
            raise ValueError("navigate(action='goto') needs a url")
        require_allowed_url(url)
    elif url is not None:
        raise ValueError(f"navigate(action={action!r}) takes no url")
    msg = _build(Navigate, tab_id=tab_id, action=action, url=url, wait=wait, timeout_ms=timeout_ms)
    return await _call(bridge, msg, Navigated, timeout=_deadline(timeout_ms))


async def page_text(bridge: BridgeLike, tab_id: int, *, max_chars: int | None = None) -> PageTextResult:
    """The page's readable text with links as markdown (``truncated`` says whether it was cut)."""
    return await _call(bridge, _build(PageTextRequest, tab_id=tab_id, max_chars=max_chars), PageTextResult)


async def wait_for(
    bridge: BridgeLike,
    tab_id: int,
    *,
    text: str | None = None,
    ref: str | None = None,
    url: str | None = None,
    state: Literal["network_idle", "dom_quiet"] | None = None,
    timeout_ms: int = 10_000,
) -> WaitResult:
    """Wait, event-driven, until exactly one condition holds: ``text`` visible, ``ref`` present, the URL
    contains ``url``, the network is idle or the DOM quiet. Raises WaitTimeout (6006) after ``timeout_ms``,
    StaleRef for a ref from a document the tab has left, ValueError unless exactly one condition is given."""
    given = [c for c in (text, ref, url, state) if c is not None]
    if len(given) != 1:
        raise ValueError("wait_for needs exactly one of text, ref, url, state")
    msg = _build(WaitFor, tab_id=tab_id, text=text, ref=ref, url=url, state=state, timeout_ms=timeout_ms)
    return await _call(bridge, msg, WaitResult, timeout=_deadline(timeout_ms))


# --- snapshot and actions (implemented in the extension by the snapshot/act modules) --------------------


async def snapshot(
    bridge: BridgeLike,
    tab_id: int,
    *,
    mode: Literal["default", "full", "subtree", "find", "delta"] = "default",
    ref: str | None = None,
    query: str | None = None,
    role: str | None = None,
    max_chars: int | None = None,
) -> SnapshotResult:
    """A text tree of the page with a ref on everything a user could act on (see ``Snapshot``)."""
    msg = _build(Snapshot, tab_id=tab_id, mode=mode, ref=ref, query=query, role=role, max_chars=max_chars)
    return await _call(bridge, msg, SnapshotResult)


async def act(
    bridge: BridgeLike,
    tab_id: int,
    action: ActionName,
    *,
    ref: str | None = None,
    expect_url: str | None = None,
    text: str | None = None,
    values: Sequence[str] | None = None,
    checked: bool | None = None,
    keys: str | None = None,
    dx: int | None = None,
    dy: int | None = None,
    input: Literal["auto", "dom", "trusted"] = "auto",
    delta: bool = True,
    expect_role: str | None = None,
    expect_name: str | None = None,
) -> ActResult:
    """One action on one element (or the page). Raises StaleRef, NavigatedAway (``expect_url`` no longer
    matches, W6), TargetChanged (the live element lost ``expect_role``/``expect_name``, W6), NotActionable,
    ActionFailed; never acts on another element instead."""
    msg = _build(
        Act,
        tab_id=tab_id, action=action, ref=ref, expect_url=expect_url, text=text,
        values=None if values is None else list(values), checked=checked, keys=keys, dx=dx, dy=dy,
        input=input, delta=delta, expect_role=expect_role, expect_name=expect_name,
    )  # fmt: skip
    return await _call(bridge, msg, ActResult)


async def describe(bridge: BridgeLike, tab_id: int, ref: str) -> Described:
    """What ``ref`` is now, from the live element: role, name, its form's action, method, fields and
    whether activating it submits, a link's href (read-only). Raises StaleRef, TabNotFound."""
    return await _call(bridge, _build(Describe, tab_id=tab_id, ref=ref), Described)


__all__ = [
    "REPLY_MARGIN_S",
    "BridgeLike",
    "RequestChannel",
    "act",
    "activate_tab",
    "close_tab",
    "describe",
    "find_tab",
    "navigate",
    "open_tab",
    "page_text",
    "snapshot",
    "tabs_list",
    "translate_remote_error",
    "wait_for",
]


# --- capture and file transfer (protocol/capture_kinds.py) ----------------------------------------------

#: Seconds a screenshot or PDF may take in the browser (a full page of a long document is slow to render).
CAPTURE_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class Capture:
    """A screenshot or PDF written by the daemon: the absolute ``path``, its ``size`` in bytes, the page's
    ``url`` and, for screenshots, the image's size in pixels."""

    path: Path
    size: int
    url: str
    width: int | None = None
    height: int | None = None


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
    return Capture(path, size, result.url, result.width, result.height)


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


__all__ += ["CAPTURE_TIMEOUT_S", "Capture", "downloads_wait", "drag", "save_pdf", "screenshot", "upload"]


# --- page I/O: dialogs, console, network log, evaluate (protocol/page_io_kinds.py) -----------------------


async def dialog_state(bridge: BridgeLike, tab_id: int) -> DialogStateResult:
    """The JavaScript dialog blocking the tab now (``dialog`` is None when there is none) and whether the tab
    is watched for dialogs at all. Raises TabNotFound. Idempotent."""
    return await _call(bridge, _build(DialogState, tab_id=tab_id), DialogStateResult)


async def handle_dialog(
    bridge: BridgeLike,
    tab_id: int,
    action: Literal["accept", "dismiss"],
    *,
    prompt_text: str | None = None,
) -> DialogHandled:
    """Accept or dismiss the dialog blocking the tab (``prompt_text``: what an accepted prompt returns;
    accepting a beforeunload dialog lets the navigation go on). Returns the dialog that was handled. Raises
    NoDialog (none open), TabNotFound, ActionFailed. Not idempotent."""
    msg = _build(DialogHandle, tab_id=tab_id, action=action, prompt_text=prompt_text)
    return await _call(bridge, msg, DialogHandled)


async def console_messages(
    bridge: BridgeLike,
    tab_id: int,
    *,
    since: int = 0,
    limit: int = 200,
    levels: Sequence[ConsoleLevel] | None = None,
    clear: bool = False,
) -> ConsoleResult:
    """The tab's console messages after ``since`` (pass the previous reply's ``next`` to read only newer
    ones), oldest first; ``levels`` filters; ``dropped`` counts those the bounded log lost. Texts are page
    data. Raises TabNotFound, InvalidMessage (bad arguments)."""
    msg = _build(ConsoleRead, tab_id=tab_id, since=since, limit=limit,
                 levels=None if levels is None else list(levels), clear=clear)  # fmt: skip
    return await _call(bridge, msg, ConsoleResult)


async def network_requests(
    bridge: BridgeLike,
    tab_id: int,
    *,
    since: int = 0,
    limit: int = 200,
    url: str | None = None,
    clear: bool = False,
) -> NetworkResult:
    """The tab's requests after ``since`` as the browser saw them (method, URL, type, status or error,
    timing, declared sizes; never headers or bodies); ``url`` keeps those containing the text. URLs are page
    data. Raises TabNotFound, InvalidMessage."""
    msg = _build(NetworkRead, tab_id=tab_id, since=since, limit=limit, url=url, clear=clear)
    return await _call(bridge, msg, NetworkResult)


async def evaluate(
    bridge: BridgeLike,
    tab_id: int,
    script: str,
    args: Sequence[Any] = (),
    *,
    timeout_ms: int = 10_000,
    max_bytes: int = DEFAULT_RESULT_BYTES,
) -> EvaluateResult:
    """Run ``script`` in the page's main world: an expression, or a function called with ``args``; a
    promise is awaited. Returns the JSON value (``type`` is its JavaScript type). The action class is
    SCRIPT. Raises ScriptError (it threw, or the page's CSP forbids eval), ScriptResultInvalid (not
    JSON-serialisable, or over ``max_bytes``), ScriptTimeout (after ``timeout_ms``; the script may go on in
    the page), DialogOpen/DialogOpened, UrlBlocked, TabNotFound, InvalidMessage (bad arguments). Cancelling
    forgets the reply; the script is not stopped."""
    msg = _build(Evaluate, tab_id=tab_id, script=script, args=list(args), timeout_ms=timeout_ms,
                 max_bytes=max_bytes)  # fmt: skip
    return await _call(bridge, msg, EvaluateResult, timeout=_deadline(timeout_ms))


__all__ += ["console_messages", "dialog_state", "evaluate", "handle_dialog", "network_requests"]
