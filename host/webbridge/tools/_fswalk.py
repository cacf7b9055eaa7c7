"""File operations confined to a workspace: an fd-relative walk that never follows a link.

Every component is opened relative to its parent's descriptor with ``O_NOFOLLOW`` (``openat`` semantics
through ``os.open(..., dir_fd=...)``), so there is no check-then-open window: a folder swapped for a link
between two calls is refused by the open itself (P3, P5). Reads open with ``O_NONBLOCK`` and refuse anything
but a regular file after ``fstat`` (FIFOs, devices, sockets never block, P11). Writes go to a fresh temp file
in the same folder, are ``fsync``-ed and renamed over the target (``os.replace``), so a hard-linked file
outside is never modified (P4) and a reader or a crash sees the old or the new content, whole (P14).

These are blocking calls; :mod:`.files` runs them in a worker thread. Errors are the 711x
:class:`~webbridge.errors.FileToolError` classes; nothing is left half-written when one is raised (a temp
file is removed; after a crash one may remain, named ``.<name>.wbtmp-<hex>``, and is hidden from listings).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import (
    FileExists,
    FileNotFound,
    FileTooLarge,
    FileToolError,
    NotADirectory,
    NotAFile,
    PathRefused,
    WriteFailed,
)

# getattr: Windows lacks these flags; there supported() is false and no tool gets this far.
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC
_READ_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
TEMP_MARK = ".wbtmp-"


def supported() -> bool:
    """Whether this OS has the descriptor-relative, no-follow calls the walk needs (not Windows yet)."""
    return (
        bool(_NOFOLLOW)
        and os.open in os.supports_dir_fd
        and os.stat in os.supports_dir_fd
        and os.scandir in os.supports_fd
    )


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _os_error(exc: OSError, where: str) -> FileToolError:
    """The typed error for an ``OSError`` met at ``where`` (a workspace-relative path)."""
    code = exc.errno
    if code == errno.ENOENT:
        return FileNotFound(f"{where}: no such file or folder in the workspace")
    if code == errno.ENOTDIR:
        return NotADirectory(f"{where}: a part of the path is not a folder")
    if code == errno.ELOOP:
        return PathRefused(f"{where}: is a symbolic link; file tools do not follow links")
    if code == errno.EISDIR:
        return NotAFile(f"{where}: is a folder")
    if code == errno.ENXIO:
        return NotAFile(f"{where}: is a socket or device, not a regular file")
    if code == errno.ENAMETOOLONG:
        return PathRefused(f"{where}: the name is too long")
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EACCES, errno.EPERM):
        return WriteFailed(f"{where}: {os.strerror(code)}; the previous content is unchanged")
    return FileToolError(f"{where}: {exc.strerror or type(exc).__name__}")


@contextlib.contextmanager
def _fd(fd: int) -> Iterator[int]:
    try:
        yield fd
    finally:
        os.close(fd)


def open_root(workspace: Path) -> int:
    """A descriptor of the workspace folder (which may be reached through links: the caller made it)."""
    try:
        return os.open(workspace, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
    except OSError as exc:
        raise FileToolError(f"the workspace folder is not usable ({exc.strerror})") from None


def _open_dir(parent: int, name: str, where: str, *, create: bool) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except OSError as exc:
        if exc.errno == errno.ENOENT and create:
            try:
                os.mkdir(name, 0o777, dir_fd=parent)
            except FileExistsError:
                pass  # made meanwhile: the open below decides what it is
            except OSError as mk:
                raise _os_error(mk, where) from None
            try:
                return os.open(name, _DIR_FLAGS, dir_fd=parent)
            except OSError as again:
                raise _refine(again, parent, name, where) from None
        raise _refine(exc, parent, name, where) from None


def _refine(exc: OSError, parent: int, name: str, where: str) -> FileToolError:
    """Say "link" rather than "not a folder" when the name is a link (the open already refused it)."""
    if exc.errno in (errno.ENOTDIR, errno.ELOOP):
        try:
            st = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except OSError:
            return _os_error(exc, where)
        if stat.S_ISLNK(st.st_mode):
            return PathRefused(f"{where}: is a symbolic link; file tools do not follow links")
        return NotADirectory(f"{where}: is {_kind(st.st_mode)}, not a folder")
    return _os_error(exc, where)


def open_dir(root: int, parts: list[str], *, create: bool = False) -> int:
    """A new descriptor of the folder ``parts`` below ``root`` (``[]``: a copy of ``root``).

    With ``create``, missing folders are made. Raises PathRefused (a link on the way), NotADirectory,
    FileNotFound.
    """
    fd = os.dup(root)
    for i, name in enumerate(parts):
        where = "/".join(parts[: i + 1])
        try:
            nxt = _open_dir(fd, name, where, create=create)
        finally:
            os.close(fd)
        fd = nxt
    return fd


@dataclass(frozen=True)
class ReadChunk:
    data: bytes
    size: int
    offset: int


def read_bytes(root: int, parts: list[str], offset: int, limit: int) -> ReadChunk:
    """Up to ``limit`` bytes of the regular file ``parts`` from ``offset``, with the file's size.

    Raises PathRefused (a link), NotAFile (folder, FIFO, device, socket: refused without blocking),
    FileNotFound. Memory stays bounded by ``limit`` whatever the file's size.
    """
    with _fd(open_dir(root, parts[:-1])) as parent:
        return _read_in(parent, parts[-1], "/".join(parts), offset, limit)


def _read_in(parent: int, name: str, where: str, offset: int, limit: int) -> ReadChunk:
    try:
        fd = os.open(name, _READ_FLAGS, dir_fd=parent)
    except OSError as exc:
        raise _refine_file(exc, parent, name, where) from None
    with _fd(fd):
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotAFile(f"{where}: is {_kind(st.st_mode)}, not a regular file")
        chunks: list[bytes] = []
        got = 0
        while got < limit:  # pread may return less than asked (large reads, signals)
            piece = os.pread(fd, limit - got, offset + got)
            if not piece:
                break
            chunks.append(piece)
            got += len(piece)
        return ReadChunk(b"".join(chunks), st.st_size, offset)


def _refine_file(exc: OSError, parent: int, name: str, where: str) -> FileToolError:
    if exc.errno == errno.ELOOP:
        return PathRefused(f"{where}: is a symbolic link; file tools do not follow links")
    return _os_error(exc, where)


def lstat_in(parent: int, name: str) -> os.stat_result | None:
    """``name``'s own status in ``parent`` (links not followed), ``None`` when it does not exist."""
    try:
        return os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return None


def write_atomic(
    root: int,
    parts: list[str],
    data: bytes,
    *,
    overwrite: bool = True,
    append: bool = False,
    max_size: int,
    make_dirs: bool = True,
) -> int:
    """Replace (or, with ``append``, extend) the file ``parts`` with ``data``; returns the new size.

    The content goes to a temp file in the same folder, is fsync-ed, then renamed over the target, and the
    folder is fsync-ed: the target is always the old or the new content, whole. Raises FileExists
    (``overwrite=False`` and it exists), NotAFile (a folder, FIFO, device or socket is there), PathRefused
    (a link is there or on the way), FileTooLarge (the result would exceed ``max_size``), WriteFailed (disk
    full, read-only, too big for the process); the temp file is removed on every failure.
    """
    where = "/".join(parts)
    name = parts[-1]
    with _fd(open_dir(root, parts[:-1], create=make_dirs)) as parent:
        st = lstat_in(parent, name)
        prefix = b""
        mode: int | None = None  # a new file: 0o666 less the umask, as any program would create it
        if st is not None:
            if stat.S_ISLNK(st.st_mode):
                raise PathRefused(f"{where}: is a symbolic link; file tools do not write through links")
            if not stat.S_ISREG(st.st_mode):
                raise NotAFile(f"{where}: is {_kind(st.st_mode)}, not a regular file")
            if not overwrite and not append:
                raise FileExists(f"{where}: exists already (pass overwrite=true to replace it)")
            mode = stat.S_IMODE(st.st_mode)
            if append:
                if st.st_size + len(data) > max_size:
                    raise FileTooLarge(f"{where}: would grow over {max_size} bytes")
                prefix = _read_in(parent, name, where, 0, max_size + 1).data
        if len(prefix) + len(data) > max_size:
            raise FileTooLarge(f"{where}: {len(prefix) + len(data)} bytes is over the cap of {max_size}")
        tmp = f".{name[:200]}{TEMP_MARK}{secrets.token_hex(6)}"
        try:
            fd = os.open(tmp, _TEMP_FLAGS, 0o666 if mode is None else 0o600, dir_fd=parent)
        except OSError as exc:
            raise _os_error(exc, where) from None
        try:
            with _fd(fd):
                if mode is not None:
                    os.fchmod(fd, mode)  # an existing file keeps its exact permissions
                _write_all(fd, prefix)
                _write_all(fd, data)
                os.fsync(fd)
            os.replace(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=parent)
            if isinstance(exc, OSError):
                raise _os_error(exc, where) from None
            raise
        with contextlib.suppress(OSError):  # durability of the rename; the content is in place either way
            os.fsync(parent)
        return len(prefix) + len(data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


@dataclass(frozen=True)
class Entry:
    path: str
    kind: str  # "file", "dir", "link", "other"
    size: int


def list_dir(
    root: int, parts: list[str], *, recursive: bool, limit: int, max_depth: int = 16
) -> tuple[list[Entry], bool]:
    """Entries of the folder ``parts`` (sorted, links listed but never followed), and whether the listing
    was cut at ``limit`` entries or ``max_depth`` levels. Raises NotADirectory, PathRefused, FileNotFound."""
    out: list[Entry] = []
    cut = False

    def walk(fd: int, prefix: str, depth: int) -> None:
        nonlocal cut
        with os.scandir(fd) as it:
            entries = sorted(it, key=lambda e: e.name)
        for e in entries:
            if TEMP_MARK in e.name and e.name.startswith("."):
                continue
            if len(out) >= limit:
                cut = True
                return
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue  # removed meanwhile
            if stat.S_ISDIR(st.st_mode):
                kind = "dir"
            elif stat.S_ISREG(st.st_mode):
                kind = "file"
            elif stat.S_ISLNK(st.st_mode):
                kind = "link"
            else:
                kind = "other"
            rel = f"{prefix}{e.name}"
            out.append(Entry(rel, kind, st.st_size if kind == "file" else 0))
            if kind == "dir" and recursive:
                if depth >= max_depth:
                    cut = True
                    continue
                try:
                    sub = os.open(e.name, _DIR_FLAGS, dir_fd=fd)
                except OSError:
                    continue  # swapped or removed meanwhile: never followed
                with _fd(sub):
                    walk(sub, rel + "/", depth + 1)
                if cut:
                    return

    where = "/".join(parts) or "."
    try:
        with _fd(open_dir(root, parts)) as fd:
            walk(fd, "", 1)
    except OSError as exc:
        raise _os_error(exc, where) from None
    return out, cut


__all__ = [
    "TEMP_MARK",
    "Entry",
    "ReadChunk",
    "list_dir",
    "lstat_in",
    "open_dir",
    "open_root",
    "read_bytes",
    "supported",
    "write_atomic",
]
