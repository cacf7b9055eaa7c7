"""The daemon's long-term pairing secrets: one JSON file, 0600, owned by this user, written atomically.

Loading fails closed (C13): a file that others can read or write, that another user owns, that is a link,
or that does not parse raises :class:`~webbridge.errors.KeystoreInsecure`, and the daemon then serves no
session until the user re-pairs (``webbridge pair --reset`` moves the bad file aside). The file is checked
again whenever a pairing is looked up or changed (an ``lstat`` and a read of a few kilobytes): a file made
world-readable, replaced or corrupted while the daemon runs is reloaded, and refused, at once rather than at
the next start.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import stat
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import KeystoreInsecure

FORMAT = "webbridge-pairings/1"

log = logging.getLogger("webbridge.daemon.keystore")


Fingerprint = tuple[tuple[int, ...], bytes]


def _fingerprint(path: Path) -> Fingerprint | None:
    """What changes when the file is rewritten, replaced, re-permissioned or handed to another owner (its
    content too: a rewrite within one tick of the file system clock keeps the times). None: no file."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    digest = b""
    if stat.S_ISREG(st.st_mode):  # never open a link, a FIFO or a device here
        try:
            digest = hashlib.sha256(path.read_bytes()).digest()
        except OSError:
            pass
    return (st.st_dev, st.st_ino, st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns), digest


@dataclass(frozen=True)
class Pairing:
    pairing_id: str
    secret: bytes = field(repr=False)
    label: str
    browser: str
    profile: str
    origin: str
    created: float
    rotated: float | None = None

    def public(self) -> dict[str, Any]:
        """Everything but the secret, for listings."""
        data = asdict(self)
        del data["secret"]
        return data


def _decode(entry: Any) -> Pairing:
    if not isinstance(entry, dict):
        raise ValueError("entry is not an object")
    secret = base64.urlsafe_b64decode(str(entry["secret"]) + "==")
    if len(secret) != 32:
        raise ValueError("secret is not 32 bytes")
    rotated = entry.get("rotated")
    return Pairing(
        pairing_id=str(entry["pairing_id"]),
        secret=secret,
        label=str(entry.get("label", "")),
        browser=str(entry.get("browser", "")),
        profile=str(entry.get("profile", "")),
        origin=str(entry.get("origin", "")),
        created=float(entry["created"]),
        rotated=float(rotated) if rotated is not None else None,
    )


def _encode(p: Pairing) -> dict[str, Any]:
    data = asdict(p)
    data["secret"] = base64.urlsafe_b64encode(p.secret).rstrip(b"=").decode()
    return data


class KeyStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._pairings: dict[str, Pairing] = {}
        self.problem: KeystoreInsecure | None = None
        self._seen: Fingerprint | None = None  # the file as last loaded or written

    def load(self) -> None:
        """Read the file. A missing file is an empty store. Raises :class:`KeystoreInsecure`."""
        self._pairings = {}
        self.problem = None
        self._seen = _fingerprint(self.path)
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return
        try:
            self._check(st)
            raw = self.path.read_bytes()
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("unknown format")
            entries = [_decode(e) for e in data.get("pairings", [])]
        except KeystoreInsecure as exc:
            self.problem = exc
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.problem = KeystoreInsecure(
                f"{self.path} is unreadable or corrupt ({exc}); run `webbridge pair --reset` and pair again"
            )
            raise self.problem from exc
        self._pairings = {p.pairing_id: p for p in entries}

    def refresh(self) -> None:
        """Reload the file if it changed on disk since we loaded or wrote it. Never raises: a file that
        is now unsafe or corrupt sets :attr:`problem` (and :meth:`get` then finds nothing)."""
        if _fingerprint(self.path) == self._seen:
            return
        log.warning("%s changed on disk; reloading it", self.path)
        try:
            self.load()
        except KeystoreInsecure as exc:
            log.error("%s", exc)

    def _check(self, st: os.stat_result) -> None:
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
            raise KeystoreInsecure(f"{self.path} is not a regular file; run `webbridge pair --reset`")
        if sys.platform != "win32":
            if st.st_uid != os.getuid():
                raise KeystoreInsecure(f"{self.path} belongs to another user; run `webbridge pair --reset`")
            if st.st_mode & 0o077:
                raise KeystoreInsecure(
                    f"{self.path} is readable or writable by others (mode {stat.S_IMODE(st.st_mode):o}); "
                    "its keys may have leaked: run `webbridge pair --reset` and pair again"
                )

    def reset(self) -> Path | None:
        """Move the key file aside (kept for inspection, never deleted). Returns where it went."""
        self._pairings, self.problem = {}, None
        if not os.path.lexists(self.path):
            return None
        target = self.path.with_name(f"{self.path.name}.bad-{int(time.time())}")
        os.replace(self.path, target)
        self._seen = None
        return target

    def _save(self) -> None:
        if self.problem is not None:
            raise self.problem
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        body = json.dumps(
            {"format": FORMAT, "pairings": [_encode(p) for p in self._pairings.values()]}, indent=1
        ).encode()
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".pairings-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600) if hasattr(os, "fchmod") else None
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
            self._seen = _fingerprint(self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def get(self, pairing_id: str) -> Pairing | None:
        self.refresh()
        if self.problem is not None:
            return None
        return self._pairings.get(pairing_id)

    def list(self) -> list[Pairing]:
        self.refresh()
        return sorted(self._pairings.values(), key=lambda p: p.created)

    def add(self, pairing: Pairing) -> None:
        self.refresh()  # never write our copy over a file that went bad under us
        self._pairings[pairing.pairing_id] = pairing
        self._save()

    def revoke(self, pairing_id: str) -> bool:
        self.refresh()
        if self._pairings.pop(pairing_id, None) is None:
            return False
        self._save()
        return True

    def replace_secret(self, pairing_id: str, secret: bytes) -> Pairing:
        self.refresh()
        if self.problem is not None:
            raise self.problem
        old = self._pairings[pairing_id]
        new = Pairing(**{**asdict(old), "secret": secret, "rotated": time.time()})
        self._pairings[pairing_id] = new
        self._save()
        return new
