"""The policy's SQLite files (grants, audit): private, WAL, one place that translates errors.

Calls are synchronous on purpose: one small transaction in WAL mode with ``synchronous=NORMAL`` costs tens
of microseconds, less than a hop to a worker thread would (``bench/policy.py`` measures it). WAL with
``NORMAL`` survives a process crash whole; a power cut may lose the last transactions, never corrupt the
file. A :class:`Database` serialises its own use with a lock, so it may also be shared with worker threads.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import AuditUnavailable
from ..paths import ensure_private_dir


class Database:
    """One connection to ``path`` (created 0600 in a 0700 folder unless ``readonly``).

    Raises :class:`AuditUnavailable` when the file cannot be opened, is not a database, or a statement
    fails; a failed transaction is rolled back whole.
    """

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.conn = self._connect(readonly)

    def _connect(self, readonly: bool) -> sqlite3.Connection:
        path = self.path
        try:
            if readonly:
                if not path.is_file():
                    raise AuditUnavailable(f"{path}: no such database")
                conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None,
                                       check_same_thread=False)
            else:
                ensure_private_dir(path.parent)
                if not path.exists():
                    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
                conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.Error as exc:
            raise AuditUnavailable(f"{path}: cannot open the database: {exc}") from None
        except OSError as exc:
            raise AuditUnavailable(f"{path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        """Close the connection. Idempotent."""
        with self._lock:
            self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any error, including cancellation's
        ``BaseException``. Statement errors inside become :class:`AuditUnavailable`."""
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise AuditUnavailable(f"{self.path}: {exc}") from None
            try:
                yield self.conn
            except sqlite3.Error as exc:
                self.conn.execute("ROLLBACK")
                raise AuditUnavailable(f"{self.path}: {exc}") from None
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self.conn.execute("ROLLBACK")
                raise AuditUnavailable(f"{self.path}: {exc}") from None

    def query(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        """All rows of one statement."""
        with self._lock:
            try:
                return self.conn.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise AuditUnavailable(f"{self.path}: {exc}") from None

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection for a streaming read (held under the lock; sqlite errors translated)."""
        with self._lock:
            try:
                yield self.conn
            except sqlite3.Error as exc:
                raise AuditUnavailable(f"{self.path}: {exc}") from None


__all__ = ["Database"]
