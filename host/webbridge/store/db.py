"""One SQLite file behind one connection, used from one owned worker thread (the only writer).

SQLite calls block, so every statement runs in that thread and the event loop only awaits the result. WAL
mode with ``synchronous=NORMAL``: a commit survives the daemon being killed (the OS has the pages); only a
power cut can lose the last commits. Schemas are versioned per component in ``schema_versions`` and
migrated forward on open; a file written by a newer version is refused rather than misread.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from ..errors import StoreError

T = TypeVar("T")

#: component name -> its migrations, oldest first; migration ``i`` brings the component to version ``i + 1``.
Migrations = Mapping[str, Sequence[str]]


class Database:
    """``await Database.open(path, migrations)``, then :meth:`run`; ``aclose()`` (idempotent) at the end."""

    def __init__(self, path: Path, executor: ThreadPoolExecutor, conn: sqlite3.Connection) -> None:
        self.path = path
        self._executor = executor
        self._conn: sqlite3.Connection | None = conn

    @classmethod
    async def open(cls, path: Path, migrations: Migrations) -> Database:
        """Open (creating) ``path`` and migrate every component. Raises :class:`StoreError` for a file that
        is not a database, is corrupt, or has a component newer than ``migrations`` knows."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{path.name}")
        loop = asyncio.get_running_loop()
        try:
            conn = await loop.run_in_executor(executor, _connect, path, migrations)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(path, executor, conn)

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` in the database thread and return its result.

        Calls run one at a time in the order they were made. Cancelling the await does not stop ``fn``: it
        finishes in the thread (so a write is never torn), and its result is dropped. Raises
        :class:`StoreError` after :meth:`aclose`; ``sqlite3`` errors from ``fn`` propagate.
        """
        if self._conn is None:
            raise StoreError(f"{self.path} is closed")
        conn = self._conn
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, conn)

    async def aclose(self) -> None:
        """Close the connection after the calls already queued; safe to call twice."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=True)


def _connect(path: Path, migrations: Migrations) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}") from exc
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        _migrate(conn, path, migrations)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(
            f"{path} is not a usable WebBridge database ({exc}); move it away and restart"
        ) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection, path: Path, migrations: Migrations) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
    )
    for component, steps in migrations.items():
        row = conn.execute("SELECT version FROM schema_versions WHERE component = ?", (component,)).fetchone()
        version = row[0] if row else 0
        if version > len(steps):
            raise StoreError(
                f"{path}: {component} schema version {version} is newer than this WebBridge knows "
                f"({len(steps)}); upgrade WebBridge"
            )
        for number in range(version, len(steps)):
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Statement by statement: executescript() would commit in the middle of the migration.
                for statement in _statements(steps[number]):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_versions (component, version) VALUES (?, ?) "
                    "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                    (component, number + 1),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


__all__ = ["Database", "Migrations"]
