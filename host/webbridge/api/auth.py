"""The local API's bearer token: one file, 0600, in the 0700 runtime folder, written atomically (L5, L7).

The daemon calls :func:`ensure_token` at start: a token file that is safe and well formed is kept (a
dashboard survives a daemon restart); one that is missing, malformed, a link, not a regular file, owned by
another user or readable or writable by others is replaced by a fresh token (an old one may have leaked).
Clients call :func:`read_token`, which refuses an unsafe file instead of using it, and :func:`token_problem`
is the doctor-style check behind both. The token is compared with :func:`hmac.compare_digest` only, and it
is never logged.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import stat
import sys
from pathlib import Path

from ..atomic import write_atomic
from ..errors import ApiTokenInsecure

log = logging.getLogger("webbridge.api.auth")

#: ``secrets.token_urlsafe(32)``: 43 characters of ``[A-Za-z0-9_-]``.
TOKEN_BYTES = 32
_TOKEN_LEN = 43
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def well_formed(token: str) -> bool:
    return len(token) == _TOKEN_LEN and set(token) <= _ALPHABET


def token_problem(path: Path) -> str | None:
    """What makes the token file at ``path`` unsafe to use, in words for the user; None when it is safe.

    Checked without following links: the file must be a regular file owned by this user with no group or
    other permission bits, in a folder owned by this user that only it can enter (POSIX; on Windows only
    "regular file" is checked, the per-user profile folder is the guard). A missing file is a problem too.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return f"{path} does not exist (is the daemon running with the API enabled?)"
    except OSError as exc:
        return f"{path} cannot be checked ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        return f"{path} is not a regular file"
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return None
    if st.st_uid != os.getuid():
        return f"{path} belongs to another user (uid {st.st_uid})"
    if st.st_mode & 0o077:
        return f"{path} is readable or writable by others (mode {stat.S_IMODE(st.st_mode):o}, must be 600)"
    folder = os.lstat(path.parent)
    if folder.st_uid != os.getuid() or folder.st_mode & 0o077:
        return (
            f"{path.parent} is not private to this user "
            f"(owner uid {folder.st_uid}, mode {stat.S_IMODE(folder.st_mode):o}, must be 700)"
        )
    return None


def read_token(path: Path) -> str:
    """The token in ``path``, for a client. Raises :class:`ApiTokenInsecure` when :func:`token_problem`
    finds one or the content is not a token; never returns a token from an unsafe file."""
    problem = token_problem(path)
    if problem is None:
        try:
            token = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            problem = f"{path} cannot be read ({exc})"
        else:
            if well_formed(token):
                return token
            problem = f"{path} does not hold a WebBridge API token"
    raise ApiTokenInsecure(
        f"{problem}; restart the daemon (`webbridge daemon stop`, then start) for a new one"
    )


def ensure_token(path: Path) -> str:
    """The daemon's token: the one in ``path`` when the file is safe and well formed, else a new one
    written atomically (0600 from creation, then renamed over whatever was there, a link included).
    The folder must exist and be private already (``paths.ensure_private_dir``). Raises ``OSError`` when
    the file cannot be written; nothing half-written is ever left under ``path``."""
    try:
        return read_token(path)
    except ApiTokenInsecure as exc:
        if os.path.lexists(path):
            # The message names the file and what is wrong with it, never the token.
            log.warning("replacing the API token: %s", exc.message.split(";")[0])
    token = secrets.token_urlsafe(TOKEN_BYTES)
    write_private(path, token + "\n")
    return token


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a 0600 temporary file in the same folder, fsynced, renamed
    over ``path``. Raises ``OSError``; the temporary file is removed on any failure or cancellation."""
    write_atomic(path, text, mode=0o600)


def bearer(header: str | None) -> str | None:
    """The credentials of an ``Authorization: Bearer <token>`` header (scheme case-insensitive), else None."""
    if header is None:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    credentials = credentials.strip()
    return credentials or None


def token_matches(presented: str | None, expected: str) -> bool:
    """Constant-time comparison (:func:`hmac.compare_digest` over UTF-8 bytes); None never matches."""
    if presented is None:
        return False
    return hmac.compare_digest(presented.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


__all__ = [
    "bearer",
    "ensure_token",
    "read_token",
    "token_matches",
    "token_problem",
    "well_formed",
    "write_private",
]
