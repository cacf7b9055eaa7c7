"""Runs, their events and their transcripts in SQLite.

Events and messages are appended synchronously into a write buffer (the loop never waits for the disk) and
written by one owned writer task in batches, one transaction per batch, in the order they were appended.
Reads first flush the buffer, so a read sees every event appended before it. Nothing is kept in memory once
written: a 200-step run costs the daemon its buffer, not its history.

The ``runs`` row follows its events: ``StepFinished`` updates usage and steps, ``RunFinished`` the status,
the final message and the end time. :meth:`RunStore.mark_interrupted` (daemon start) ends every run left
``running`` by a crash with a stored ``RunFinished(interrupted)``.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..agent.chat import ChatMessage, Usage
from ..agent.events import RunEvent, RunFinished, RunRequest, RunSummary, StepFinished, parse_event
from ..errors import RunInterrupted, RunNotFound, StoreError
from .db import Database

log = logging.getLogger("webbridge.store.runs")

MIGRATIONS = {
    "runs": [
        """
        CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            task TEXT NOT NULL,
            source TEXT NOT NULL,
            status TEXT NOT NULL,
            model TEXT NOT NULL,
            bridge_id TEXT,
            tab_id INTEGER,
            created INTEGER NOT NULL,
            finished INTEGER,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL,
            steps INTEGER NOT NULL DEFAULT 0,
            message TEXT,
            error_code INTEGER,
            request TEXT NOT NULL
        );
        CREATE INDEX runs_by_created ON runs (created DESC);
        CREATE INDEX runs_by_status ON runs (status);
        CREATE TABLE run_events (
            run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            type TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE run_messages (
            run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (run_id, idx)
        ) WITHOUT ROWID
        """,
    ]
}

_INSERT_EVENT = "INSERT INTO run_events (run_id, seq, type, data) VALUES (?, ?, ?, ?)"
_INSERT_MESSAGE = "INSERT INTO run_messages (run_id, idx, data) VALUES (?, ?, ?)"
_STEP = "UPDATE runs SET input_tokens = ?, output_tokens = ?, cost_usd = ?, steps = ? WHERE run_id = ?"
_FINISH = (
    "UPDATE runs SET status = ?, finished = ?, input_tokens = ?, output_tokens = ?, cost_usd = ?, steps = ?, "
    "message = ?, error_code = ? WHERE run_id = ?"
)
_COLUMNS = (
    "run_id, task, source, status, model, bridge_id, tab_id, created, finished, input_tokens, output_tokens, "
    "cost_usd, steps, message, error_code"
)
#: Events read per query when replaying a long run.
PAGE = 500

Op = tuple[str, tuple[Any, ...]]


class RunStore:
    """``await RunStore.open(path)``; ``aclose()`` flushes and closes (idempotent)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: list[Op] = []
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._message_idx: dict[str, int] = {}
        self._failure: BaseException | None = None
        self._closed = False
        self._writer = asyncio.get_running_loop().create_task(self._write_forever(), name="run-store-writer")

    @classmethod
    async def open(cls, path: Path) -> RunStore:
        """Open (creating and migrating) the store at ``path``. Raises :class:`StoreError`."""
        return cls(await Database.open(path, MIGRATIONS))

    # --- writes -------------------------------------------------------------------------------------------

    async def create(
        self,
        run_id: str,
        req: RunRequest,
        *,
        model: str,
        bridge_id: str | None,
        tab_id: int | None,
        created: int,
    ) -> None:
        """Insert the run as ``running`` and wait until it is on disk. Raises :class:`StoreError`."""
        self._queue(
            "INSERT INTO runs (run_id, task, source, status, model, bridge_id, tab_id, created, request) "
            "VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)",
            (run_id, req.task, req.source, model, bridge_id, tab_id, created, req.model_dump_json()),
        )
        self._message_idx[run_id] = 0
        await self.flush()

    def append_event(self, event: RunEvent) -> None:
        """Buffer ``event`` (and the run row's update it implies) for the writer. Never blocks."""
        self._queue(_INSERT_EVENT, (event.run_id, event.seq, event.type, event.model_dump_json()))
        if isinstance(event, StepFinished):
            u = event.total_usage
            self._queue(_STEP, (u.input_tokens, u.output_tokens, u.cost_usd, event.step, event.run_id))
        elif isinstance(event, RunFinished):
            u = event.total_usage
            self._queue(
                _FINISH,
                (
                    event.outcome,
                    event.time,
                    u.input_tokens,
                    u.output_tokens,
                    u.cost_usd,
                    event.steps,
                    event.message,
                    event.error_code,
                    event.run_id,
                ),
            )
            self._message_idx.pop(event.run_id, None)

    def append_message(self, run_id: str, message: ChatMessage) -> None:
        """Buffer one transcript message of a running run. Never blocks."""
        idx = self._message_idx.get(run_id)
        if idx is None:
            return  # the run has finished: a late message has no place in its transcript
        self._message_idx[run_id] = idx + 1
        self._queue(_INSERT_MESSAGE, (run_id, idx, message.model_dump_json(exclude_defaults=True)))

    async def flush(self) -> None:
        """Write everything buffered so far. Raises :class:`StoreError` if a write failed."""
        async with self._lock:
            await self._write_batch()
        if self._failure is not None:
            raise StoreError(f"writing runs to {self._db.path} failed: {self._failure}")

    async def mark_interrupted(self, now: int) -> list[str]:
        """End every run still ``running`` or ``queued`` (the daemon died under it) with a stored
        ``RunFinished(interrupted)``; returns their ids. Call before any run starts."""
        await self.flush()
        err = RunInterrupted(
            "The daemon stopped while this run was going (crash or shutdown); start it again."
        )

        def work(conn: sqlite3.Connection) -> list[str]:
            ids = []
            conn.execute("BEGIN IMMEDIATE")
            try:
                rows = conn.execute(
                    "SELECT run_id, input_tokens, output_tokens, cost_usd, steps FROM runs "
                    "WHERE status IN ('running', 'queued')"
                ).fetchall()
                for run_id, tin, tout, cost, steps in rows:
                    (last,) = conn.execute(
                        "SELECT COALESCE(MAX(seq), 0) FROM run_events WHERE run_id = ?", (run_id,)
                    ).fetchone()
                    event = RunFinished(
                        run_id=run_id,
                        seq=last + 1,
                        time=now,
                        outcome="interrupted",
                        message=err.message,
                        total_usage=Usage(input_tokens=tin, output_tokens=tout, cost_usd=cost),
                        steps=steps,
                        error_code=err.code,
                    )
                    conn.execute(_INSERT_EVENT, (run_id, event.seq, event.type, event.model_dump_json()))
                    conn.execute(
                        _FINISH,
                        (
                            "interrupted",
                            now,
                            tin,
                            tout,
                            cost,
                            steps,
                            err.message,
                            err.code,
                            run_id,
                        ),
                    )
                    ids.append(run_id)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return ids

        return await self._db.run(work)

    # --- reads --------------------------------------------------------------------------------------------

    async def summary(self, run_id: str) -> RunSummary:
        """Raises :class:`RunNotFound`."""
        await self.flush()
        row = await self._db.run(
            lambda c: c.execute(
                f"SELECT {_COLUMNS} FROM runs WHERE run_id = ?",  # noqa: S608 - constant column list
                (run_id,),
            ).fetchone()
        )
        if row is None:
            raise RunNotFound(f"no run {run_id[:80]!r}")
        return _summary(row)

    async def list_runs(self, limit: int = 50) -> list[RunSummary]:
        """The newest ``limit`` runs, newest first."""
        await self.flush()
        rows = await self._db.run(
            lambda c: c.execute(
                f"SELECT {_COLUMNS} FROM runs ORDER BY created DESC, rowid DESC LIMIT ?",  # noqa: S608
                (max(0, limit),),
            ).fetchall()
        )
        return [_summary(r) for r in rows]

    async def events_after(self, run_id: str, after_seq: int = 0, limit: int = PAGE) -> list[RunEvent]:
        """Up to ``limit`` stored events of ``run_id`` with ``seq > after_seq``, in order."""
        await self.flush()
        rows = await self._db.run(
            lambda c: c.execute(
                "SELECT data FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (run_id, after_seq, limit),
            ).fetchall()
        )
        return [parse_event(data) for (data,) in rows]

    async def transcript(self, run_id: str) -> list[ChatMessage]:
        """Every message of the run as the loop had it, before any compaction, in order."""
        await self.flush()
        rows = await self._db.run(
            lambda c: c.execute(
                "SELECT data FROM run_messages WHERE run_id = ? ORDER BY idx", (run_id,)
            ).fetchall()
        )
        return [ChatMessage.model_validate_json(data) for (data,) in rows]

    # --- the writer ---------------------------------------------------------------------------------------

    def _queue(self, sql: str, params: tuple[Any, ...]) -> None:
        if self._closed:
            raise StoreError("the run store is closed")
        self._pending.append((sql, params))
        self._wake.set()

    async def _write_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            async with self._lock:
                await self._write_batch()

    async def _write_batch(self) -> None:
        """Write what is pending as one transaction (caller holds the lock). A failed batch is logged and
        remembered (:meth:`flush` raises it); later batches still try."""
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                # Shielded: a cancelled flush must not leave the batch half handed over.
                await asyncio.shield(self._db.run(lambda c, b=batch: _apply(c, b)))  # type: ignore[misc]
            except asyncio.CancelledError:
                raise
            except (sqlite3.Error, StoreError) as exc:
                log.error("writing %d run records failed: %s", len(batch), exc)
                self._failure = exc

    async def aclose(self) -> None:
        """Flush, stop the writer and close the file. Idempotent."""
        if self._closed:
            return
        try:
            async with self._lock:
                await self._write_batch()
        finally:
            self._closed = True
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
            await self._db.aclose()


def _apply(conn: sqlite3.Connection, batch: list[Op]) -> None:
    conn.execute("BEGIN")
    try:
        for sql, group in _grouped(batch):
            conn.executemany(sql, group)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _grouped(batch: list[Op]) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Consecutive ops with the same statement, together (order kept)."""
    current: str | None = None
    params: list[tuple[Any, ...]] = []
    for sql, p in batch:
        if sql != current and params:
            assert current is not None
            yield current, params
            params = []
        current = sql
        params.append(p)
    if params and current is not None:
        yield current, params


def _summary(row: tuple[Any, ...]) -> RunSummary:
    (
        run_id,
        task,
        source,
        status,
        model,
        bridge_id,
        tab_id,
        created,
        finished,
        tin,
        tout,
        cost,
        steps,
        message,
        error_code,
    ) = row
    return RunSummary(
        run_id=run_id,
        task=task,
        source=source,
        status=status,
        model=model,
        bridge_id=bridge_id,
        tab_id=tab_id,
        created=created,
        finished=finished,
        usage=Usage(input_tokens=tin, output_tokens=tout, cost_usd=cost),
        steps=steps,
        message=message,
        error_code=error_code,
    )


__all__ = ["MIGRATIONS", "RunStore"]
