"""The capture and file-transfer tools the model calls: screenshot, save_pdf, download_wait, upload_files and
drag, as ``@tool`` wrappers over the typed functions of :mod:`.browser`.

Where files go (the model never chooses a folder):

- screenshots and PDFs are written into the run's own artifacts folder, ``<workspace>/artifacts/<run id>/``
  (:func:`artifacts_dir`). The model may suggest a plain file *name* only (:func:`.artifacts.safe_name`);
  the folder is created on first use and must resolve inside the workspace (a link planted there is
  refused with ``OutputRefused``). The file tools can list them at ``artifacts/<run id>``;
- downloads are saved by the browser into its own download folder; ``download_wait`` reports that path;
- uploads take files inside ``ctx.workspace`` (workspace-relative paths, as the file tools write them) or,
  by absolute path, inside the extra roots the daemon puts in ``ctx.state[UPLOAD_ROOTS]`` (from its
  configuration; no tool argument can add a root). :mod:`.upload_policy` checks every path before anything
  is sent.

Every file a call writes or reports is listed in the result's ``artifacts`` (absolute paths), so the run's
``tool.finished`` event names it and the side panel can show it (``run.artifact`` serves images only).
Text from the page (a download's URL) is marked ``untrusted``.

Errors (model-visible, so they come back as tool results): :class:`~webbridge.errors.BadToolArguments`
(argument combinations the schema cannot express), :class:`~webbridge.errors.PathRefused` (an upload path
that is not a plain workspace path), :class:`~webbridge.errors.NoBrowser`, :class:`~webbridge.errors.NoTab`
and the 6xxx replies (``OutputRefused``, ``UploadRefused``, ``CaptureTooLarge``, ``DownloadInterrupted``,
``DropNotAccepted``, ``WaitTimeout``, ...). Cancelling a call forgets its request; a capture file is then
whole or absent; what the browser did is not undone.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from ..errors import BadToolArguments, OutputRefused, PathRefused
from ..policy.actions import ActionClass
from ..protocol.browser_kinds import Ref
from . import _paths, browser
from .registry import RegisteredTool, ToolContext, ToolResult, tool
from .tool_support import OptRefArg, RefArg, TabArg, Timeout, acting_tab, bridge_of, checked_args, seen

#: ``ctx.state`` key: extra absolute folders uploads may come from (set by the daemon, never by a tool).
UPLOAD_ROOTS = "upload.extra_roots"
#: ``ctx.state`` key: epoch ms when the previous ``download_wait`` of this run returned.
LAST_DOWNLOAD_MS = "download.last_returned_ms"
#: Subfolder of the workspace that holds each run's artifacts folder.
ARTIFACTS = "artifacts"

NameArg = Annotated[
    str | None,
    Field(max_length=200, description="File name to save as (a plain name, no folder); default: generated"),
]


def artifacts_dir(ctx: ToolContext) -> Path:
    """The run's artifacts folder ``<workspace>/artifacts/<run id>``, created if needed (absolute, resolved).

    Raises :class:`OutputRefused` when the run id is not a plain name, the folder cannot be created, or it
    resolves outside the workspace (a symlink put in its place). Blocking (a few ``mkdir``/``stat`` calls).
    """
    try:
        _paths.check_name(ctx.run_id)
    except PathRefused as exc:
        raise OutputRefused(f"the run id cannot name a folder: {exc.message}") from None
    workspace = ctx.workspace.absolute().resolve()
    folder = workspace / ARTIFACTS / ctx.run_id
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputRefused(f"cannot create the artifacts folder: {exc.strerror or exc}") from None
    resolved = folder.resolve()
    if resolved != folder or not resolved.is_relative_to(workspace):
        raise OutputRefused("the artifacts folder is a link out of the workspace; remove it")
    return resolved


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


# --- screenshot and PDF -------------------------------------------------------------------------------------


@tool(action=ActionClass.READ)
async def screenshot(
    ctx: ToolContext,
    area: Literal["viewport", "full", "element"] = "viewport",
    ref: OptRefArg = None,
    format: Literal["png", "jpeg"] = "png",
    quality: Annotated[int | None, Field(ge=0, le=100, description="JPEG quality 0-100")] = None,
    filename: NameArg = None,
    tab_id: TabArg = None,
) -> ToolResult:
    """Take a screenshot of the visible part of the page, the whole page, or one element; saved as a file.

    Args:
        area: viewport (what is on screen), full (the whole scrollable page) or element (needs ref).
        ref: The element to capture (area element).
        format: png, or jpeg for smaller files.
    """
    if (area == "element") != (ref is not None):
        raise BadToolArguments("screenshot: give ref with area element, and only then")
    if quality is not None and format != "jpeg":
        raise BadToolArguments("screenshot: quality applies to jpeg only")
    bridge, tid = await acting_tab(ctx, tab_id)
    folder = await asyncio.to_thread(artifacts_dir, ctx)
    shot = await checked_args(
        browser.screenshot(bridge, tid, out_dir=folder, name=filename, area=area, ref=ref, format=format,
                           quality=quality, expect_url=seen(ctx, tid))
    )  # fmt: skip
    what = {"viewport": "the visible part of", "full": "the whole of", "element": f"element {ref} of"}[area]
    data = {"path": str(shot.path), "size": shot.size, "width": shot.width, "height": shot.height,
            "url": shot.url, "tab_id": tid, "cut": shot.cut}  # fmt: skip
    cut = "\n(The page is larger than the browser captures: the image stops at 16 384 px.)"
    cut = cut if shot.cut else ""
    return ToolResult(
        f"Saved a screenshot of {what} tab {tid} ({shot.width}×{shot.height} px, {_size(shot.size)}) "
        f"to {shot.path}{cut}",
        data=data,
        artifacts=(str(shot.path),),
    )


@tool(action=ActionClass.READ)
async def save_pdf(
    ctx: ToolContext,
    paper: Literal["a4", "letter"] = "a4",
    landscape: bool = False,
    background: bool = True,
    filename: NameArg = None,
    tab_id: TabArg = None,
) -> ToolResult:
    """Save the page as a PDF file, laid out as the browser would print it.

    Args:
        paper: Paper size.
        landscape: Landscape instead of portrait.
        background: Print background colours and images.
    """
    bridge, tid = await acting_tab(ctx, tab_id)
    folder = await asyncio.to_thread(artifacts_dir, ctx)
    pdf = await checked_args(
        browser.save_pdf(bridge, tid, out_dir=folder, name=filename, paper=paper, landscape=landscape,
                         background=background, expect_url=seen(ctx, tid))
    )  # fmt: skip
    data = {"path": str(pdf.path), "size": pdf.size, "url": pdf.url, "tab_id": tid}
    return ToolResult(
        f"Saved tab {tid} as PDF ({_size(pdf.size)}) to {pdf.path}", data=data, artifacts=(str(pdf.path),)
    )


# --- downloads ----------------------------------------------------------------------------------------------


@tool(action=ActionClass.DOWNLOAD)
async def download_wait(
    ctx: ToolContext,
    url: Annotated[str | None, Field(max_length=8192)] = None,
    filename: Annotated[str | None, Field(max_length=256)] = None,
    since_seconds: Annotated[int, Field(ge=0, le=3600)] = 60,
    any_tab: bool = False,
    timeout_ms: Timeout = 30_000,
    tab_id: TabArg = None,
) -> ToolResult:
    """Wait for a download to finish (e.g. after clicking a download link) and tell where it was saved.

    Args:
        url: Only a download whose URL contains this text.
        filename: Only a download whose file name contains this text.
        since_seconds: Also count downloads that started up to this many seconds ago (one this run already
            reported is never reported again).
        any_tab: Count downloads from any site, not only from the tab's site.
    """
    if any_tab and tab_id is not None:
        raise BadToolArguments("download_wait: give tab_id or any_tab, not both")
    bridge = bridge_of(ctx)
    tid = None if any_tab else (tab_id if tab_id is not None else ctx.tab_id)
    if tid is not None:
        bridge, tid = await acting_tab(ctx, tid)
    now_ms = int(time.time() * 1000)
    since_ms = max(now_ms - since_seconds * 1000, int(ctx.state.get(LAST_DOWNLOAD_MS, 0)))
    res = await checked_args(
        browser.downloads_wait(bridge, tab_id=tid, url=url, filename=filename, since_ms=since_ms,
                               timeout_ms=timeout_ms)
    )  # fmt: skip
    ctx.state[LAST_DOWNLOAD_MS] = int(time.time() * 1000)
    name = os.path.basename(res.path)
    data = res.model_dump(mode="json", exclude={"kind"}) | {"filename": name}
    return ToolResult(
        f"Downloaded {name} ({_size(res.size)}, {res.mime}) from {res.url}\nSaved to {res.path}",
        untrusted=True,
        data=data,
        artifacts=(res.path,),
    )


# --- upload and drag ----------------------------------------------------------------------------------------


def upload_roots(ctx: ToolContext) -> list[Path]:
    """Where uploads may come from: the workspace, then the daemon's extra roots (``ctx.state``)."""
    extra: Sequence[str | os.PathLike[str]] = ctx.state.get(UPLOAD_ROOTS, ())
    return [ctx.workspace.absolute(), *(Path(p) for p in extra)]


def _upload_path(ctx: ToolContext, raw: str) -> str:
    """An absolute path as given, or a workspace-relative one checked as the file tools check it."""
    if os.path.isabs(raw):
        return raw
    return str(ctx.workspace.absolute().joinpath(*_paths.parse(raw)))


@tool(action=ActionClass.UPLOAD)
async def upload_files(
    ctx: ToolContext,
    ref: RefArg,
    paths: Annotated[list[Annotated[str, Field(max_length=4096)]], Field(min_length=1, max_length=100)],
    tab_id: TabArg = None,
) -> ToolResult:
    """Put files into a file input (<input type=file>) of the page, as if the user picked them.

    Args:
        ref: The file input's ref from the latest snapshot.
        paths: Files to upload: paths inside the workspace (e.g. reports/q3.pdf).
    """
    bridge, tid = await acting_tab(ctx, tab_id)
    full = [_upload_path(ctx, p) for p in paths]
    res = await checked_args(
        browser.upload(bridge, tid, ref, full, allowed_roots=upload_roots(ctx), expect_url=seen(ctx, tid))
    )
    seen(ctx, tid, res.url)
    shown = ", ".join(res.files) or "(none)"
    data = res.model_dump(mode="json", exclude={"kind"}) | {"tab_id": tid}
    return ToolResult(f"The file input {ref} now holds {len(res.files)} file(s): {shown}", data=data)


@tool(action=ActionClass.INTERACT)
async def drag(
    ctx: ToolContext,
    ref: RefArg,
    to: Annotated[Ref, Field(description="Ref of the element to drop onto")],
    tab_id: TabArg = None,
) -> ToolResult:
    """Drag an element and drop it onto another (sortable lists, boards, drop zones).

    Args:
        ref: The element to drag.
    """
    bridge, tid = await acting_tab(ctx, tab_id)
    res = await checked_args(browser.drag(bridge, tid, ref, to, expect_url=seen(ctx, tid)))
    seen(ctx, tid, res.url)
    took = "the target accepted the drop" if res.accepted else "the target did not signal that it accepted"
    how = "mouse input" if res.input_used == "trusted" else "drag events"
    # Not ``input_used``: the policy hook reads results carrying that key as snapshot-format deltas.
    data = {"url": res.url, "input": res.input_used, "accepted": res.accepted, "tab_id": tid}
    return ToolResult(f"Dragged {ref} onto {to} with {how}; {took}", data=data)


#: The tools of this module, in the order the model is told about them.
CAPTURE_TOOLS: tuple[RegisteredTool, ...] = (screenshot, save_pdf, download_wait, upload_files, drag)

__all__ = ["ARTIFACTS", "CAPTURE_TOOLS", "LAST_DOWNLOAD_MS", "UPLOAD_ROOTS", "artifacts_dir", "upload_roots"]
