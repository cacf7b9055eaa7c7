"""File tools the model calls: read, write, append and list files inside ``ctx.workspace``, nowhere else.

Paths are checked as text first (:mod:`._paths`: no absolute paths, ``..``, links by name, control
characters, over-long names), then walked descriptor by descriptor without following links
(:mod:`._fswalk`). Writes are atomic (temp file, fsync, rename in the same folder). File content reaches
the model marked ``untrusted``; binary content is described, never pasted (:mod:`._textsniff`).

Errors are the model-visible 711x :class:`~webbridge.errors.FileToolError` classes (refused path, not
found, not a regular file, too large, exists, write failed) and
:class:`~webbridge.errors.BadToolArguments`. The blocking file calls run in a worker thread: cancelling a
tool stops waiting for it, but a write already started still ends with the old or the new content, whole.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Annotated, TypeVar

from pydantic import Field

from ..errors import BadToolArguments, FileToolError
from ..policy.actions import ActionClass
from . import _fswalk, _paths, _textsniff
from .registry import RegisteredTool, ToolContext, ToolResult, tool

T = TypeVar("T")

#: Most bytes one read_file call returns (the model pages through bigger files with ``offset``).
MAX_READ_BYTES = 1_000_000
#: Largest file write_file and append_file produce.
MAX_WRITE_BYTES = 10 * 1024 * 1024
#: Most entries one list_files call returns.
MAX_LIST_ENTRIES = 2_000

PathArg = Annotated[str, Field(max_length=4096, description="Path inside the workspace, e.g. notes/todo.md")]


async def _in_workspace(ctx: ToolContext, op: Callable[[int], T]) -> T:
    """Run ``op(root_fd)`` in a worker thread with a descriptor of the workspace, closed afterwards."""
    if not _fswalk.supported():
        raise FileToolError("file tools are not available on this operating system yet")

    def run() -> T:
        root = _fswalk.open_root(ctx.workspace)
        try:
            return op(root)
        finally:
            os.close(root)

    return await asyncio.to_thread(run)


def _encode(content: str) -> bytes:
    try:
        return content.encode("utf-8")
    except UnicodeEncodeError:
        raise BadToolArguments("content is not valid Unicode (lone surrogate)") from None


def _safe(text: str) -> str:
    """A name from the disk, shown without its control characters (a newline in a name fakes a line)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


@tool(action=ActionClass.FILE_READ)
async def read_file(
    ctx: ToolContext,
    path: PathArg,
    offset: Annotated[int, Field(ge=0)] = 0,
    max_bytes: Annotated[int, Field(ge=1_000, le=MAX_READ_BYTES)] = 200_000,
) -> ToolResult:
    """Read a text file from the workspace. Long files come in parts: call again with the offset given.

    Args:
        offset: Byte offset to start at.
        max_bytes: Most bytes to return.
    """
    parts = _paths.parse(path)
    rel = "/".join(parts)
    chunk = await _in_workspace(ctx, lambda root: _fswalk.read_bytes(root, parts, offset, max_bytes))
    if offset >= chunk.size and chunk.size > 0:
        return ToolResult(
            f"{rel}: offset {offset} is past the end ({chunk.size} bytes)",
            data={"path": rel, "size": chunk.size},
        )
    end = offset + len(chunk.data)
    decoded = _textsniff.decode(chunk.data, at_start=offset == 0, at_end=end >= chunk.size)
    if decoded is None:
        what = _textsniff.describe_binary(chunk.data[:16]) if offset == 0 else "binary data"
        data = {"path": rel, "size": chunk.size, "binary": True, "type": what}
        return ToolResult(f"{rel}: {chunk.size} bytes of {what}; binary content is not shown", data=data)
    end = offset + decoded.used
    more = end < chunk.size
    tail = f"\n[bytes {offset}-{end} of {chunk.size}; read_file offset={end} for more]" if more else ""
    head = f"{rel} ({chunk.size} bytes)" if offset == 0 and not more else f"{rel}"
    data = {"path": rel, "size": chunk.size, "offset": offset, "end": end, "binary": False, "more": more}
    return ToolResult(f"{head}\n{decoded.text}{tail}", untrusted=True, data=data)


async def _write(ctx: ToolContext, path: str, content: str, *, overwrite: bool, append: bool) -> ToolResult:
    parts = _paths.parse(path)
    rel = "/".join(parts)
    blob = _encode(content)
    if len(blob) > MAX_WRITE_BYTES:
        raise BadToolArguments(f"content is {len(blob)} bytes, over the cap of {MAX_WRITE_BYTES}")
    size = await _in_workspace(
        ctx,
        lambda root: _fswalk.write_atomic(
            root, parts, blob, overwrite=overwrite, append=append, max_size=MAX_WRITE_BYTES
        ),
    )
    full = str(ctx.workspace.absolute().joinpath(*parts))
    verb = "Appended" if append else "Wrote"
    data = {"path": rel, "bytes": len(blob), "size": size}
    return ToolResult(f"{verb} {len(blob)} bytes to {rel} (now {size} bytes)", data=data, artifacts=(full,))


@tool(action=ActionClass.FILE_WRITE)
async def write_file(ctx: ToolContext, path: PathArg, content: str, overwrite: bool = True) -> ToolResult:
    """Write a UTF-8 text file in the workspace (folders are created). Replaces the file atomically.

    Args:
        content: The whole new content.
        overwrite: Replace an existing file (false: refuse if it exists).
    """
    return await _write(ctx, path, content, overwrite=overwrite, append=False)


@tool(action=ActionClass.FILE_WRITE)
async def append_file(ctx: ToolContext, path: PathArg, content: str) -> ToolResult:
    """Add text at the end of a file in the workspace (created if missing).

    Args:
        content: Text to add; include a newline where you want one.
    """
    return await _write(ctx, path, content, overwrite=True, append=True)


@tool(action=ActionClass.FILE_READ)
async def list_files(
    ctx: ToolContext,
    path: Annotated[str, Field(max_length=4096, description="Folder inside the workspace")] = ".",
    recursive: bool = False,
    max_entries: Annotated[int, Field(ge=1, le=MAX_LIST_ENTRIES)] = 200,
) -> ToolResult:
    """List a folder of the workspace (default: its top level): files with sizes, folders ending in /.

    Args:
        recursive: Include sub-folders' contents.
        max_entries: Most entries to list.
    """
    parts = _paths.parse(path, allow_root=True)
    entries, cut = await _in_workspace(
        ctx, lambda root: _fswalk.list_dir(root, parts, recursive=recursive, limit=max_entries)
    )
    lines = []
    for e in entries:
        name = _safe(e.path)
        if e.kind == "dir":
            lines.append(f"{name}/")
        elif e.kind == "file":
            lines.append(f"{name}  {e.size} B")
        else:
            lines.append(f"{name}  ({'symbolic link, not followed' if e.kind == 'link' else 'special file'})")
    where = "/".join(parts) or "."
    if not lines:
        lines.append(f"{where} is empty")
    if cut:
        lines.append(f"[listing cut at {len(entries)} entries or 16 levels; list a sub-folder for more]")
    data = {
        "path": where,
        "entries": [{"path": e.path, "kind": e.kind, "size": e.size} for e in entries],
        "truncated": cut,
    }
    return ToolResult("\n".join(lines), untrusted=True, data=data)


#: Every file tool, in the order the model is told about them.
FILE_TOOLS: tuple[RegisteredTool, ...] = (read_file, write_file, append_file, list_files)

__all__ = ["FILE_TOOLS", "MAX_LIST_ENTRIES", "MAX_READ_BYTES", "MAX_WRITE_BYTES"]
