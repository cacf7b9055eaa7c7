"""The audit log: every decision and every outcome, append-only and hash-chained, in SQLite.

Each entry's ``hash`` is SHA-256 over the canonical encoding of all its fields and the previous entry's
hash (:func:`canonical`: a JSON array in a fixed field order, no whitespace, UTF-8), so
:meth:`AuditLog.verify` finds any entry edited, deleted, inserted or reordered and names the first bad
``seq``. A ``head`` row, written in the same transaction as each entry, records the last ``seq`` and hash,
which catches entries cut off the end. Triggers refuse ``UPDATE`` and ``DELETE`` on entries, but
verification never relies on them.

Limits: whoever can write the file can rewrite the whole chain and the head consistently. Keep the head
hash elsewhere (``webbridge audit verify`` prints it; ``--expect-head`` checks it) to detect that too.

Entries never hold page content or typed text: data leaving is recorded as its destination, length and a
SHA-256 prefix. Writes are synchronous (see :mod:`._sqlite`); each append is one transaction, safe across
processes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import AuditBroken
from ._sqlite import Database

GENESIS = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    actor TEXT NOT NULL,
    run_id TEXT,
    kind TEXT NOT NULL,
    tool TEXT,
    action TEXT,
    target TEXT,
    decision TEXT,
    grant_id TEXT,
    outcome TEXT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_run ON entries (run_id, seq);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
_FIELDS = ("seq", "time", "actor", "run_id", "kind", "tool", "action", "target", "decision", "grant_id",
           "outcome", "detail", "prev_hash", "hash")
_SELECT = ("SELECT seq, time, actor, run_id, kind, tool, action, target, decision, grant_id, outcome, "
           "detail, prev_hash, hash FROM entries")
_INSERT = ("INSERT INTO entries (seq, time, actor, run_id, kind, tool, action, target, decision, grant_id, "
           "outcome, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_SET_HEAD = ("INSERT INTO head (id, seq, hash) VALUES (1, ?, ?) "
             "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash")


@dataclass(frozen=True)
class AuditEntry:
    """One entry. ``time`` is milliseconds since the Unix epoch; ``detail`` is canonical JSON text."""

    seq: int
    time: int
    actor: str
    run_id: str | None
    kind: str
    tool: str | None
    action: str | None
    target: str | None
    decision: str | None
    grant_id: str | None
    outcome: str | None
    detail: str
    prev_hash: str
    hash: str

    def to_data(self) -> dict[str, Any]:
        """Plain data (``detail`` parsed), as exported."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data["detail"] = json.loads(self.detail)
        return data


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    problem: str | None = None

    def raise_if_broken(self) -> None:
        """Raise :class:`AuditBroken` naming the first bad seq unless the chain verified."""
        if not self.ok:
            raise AuditBroken(f"audit log broken at seq {self.bad_seq}: {self.problem}", seq=self.bad_seq)


def canonical(fields: tuple[Any, ...]) -> bytes:
    """The bytes hashed for an entry: its fields before ``hash``, in :data:`_FIELDS` order, as JSON."""
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def entry_hash(fields: tuple[Any, ...]) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


def canonical_detail(detail: Mapping[str, Any]) -> str:
    return json.dumps(detail, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


class AuditLog:
    """The log at ``path``. ``readonly`` opens an existing file for show/verify/export only.

    Raises :class:`~webbridge.errors.AuditUnavailable` when the file cannot be opened or written.
    """

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self._db = Database(path, readonly=readonly)
        if not readonly:
            with self._db.transaction() as c:
                for statement in _SCHEMA.split(";\n"):
                    if statement.strip():
                        c.execute(statement)

    def close(self) -> None:
        """Close the database. Idempotent."""
        self._db.close()

    def append(
        self,
        *,
        time: int,
        actor: str,
        kind: str,
        run_id: str | None = None,
        tool: str | None = None,
        action: str | None = None,
        target: str | None = None,
        decision: str | None = None,
        grant_id: str | None = None,
        outcome: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry (one transaction) and return it. Not cancellable half-way: it is synchronous."""
        detail_text = canonical_detail(detail or {})
        with self._db.transaction() as c:
            row = c.execute("SELECT seq, hash FROM head WHERE id = 1").fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
            fields = (seq, time, actor, run_id, kind, tool, action, target, decision, grant_id, outcome,
                      detail_text, prev)
            digest = entry_hash(fields)
            c.execute(_INSERT, (*fields, digest))
            c.execute(_SET_HEAD, (seq, digest))
        return AuditEntry(*fields, digest)

    def entries(self, *, after: int = 0, run_id: str | None = None) -> Iterator[AuditEntry]:
        """Entries with ``seq > after`` in order, optionally of one run."""
        sql, args = _SELECT + " WHERE seq > ?", list[Any]([after])
        if run_id is not None:
            sql += " AND run_id = ?"
            args.append(run_id)
        last = after
        while True:  # in pages, so the lock is never held while the caller works
            rows = self._db.query(sql + " ORDER BY seq LIMIT 1000", [last, *args[1:]])
            for row in rows:
                yield AuditEntry(*row)
            if len(rows) < 1000:
                return
            last = rows[-1][0]

    def tail(self, limit: int, *, run_id: str | None = None) -> list[AuditEntry]:
        """The last ``limit`` entries (of one run, if given), oldest first."""
        sql, args = _SELECT, list[Any]()
        if run_id is not None:
            sql += " WHERE run_id = ?"
            args.append(run_id)
        rows = self._db.query(sql + " ORDER BY seq DESC LIMIT ?", [*args, limit])
        return [AuditEntry(*row) for row in reversed(rows)]

    def verify(self, *, expect_head: str | None = None) -> VerifyReport:
        """Check the whole chain in one read snapshot. Never raises for a broken chain: the report says
        where it breaks (AuditUnavailable only when the file cannot be read)."""
        with self._db.reading() as conn:
            conn.execute("BEGIN")  # one snapshot: entries appended meanwhile are not half-seen
            try:
                return _verify(conn, expect_head)
            finally:
                conn.execute("COMMIT")

    def export(self, out: IO[str]) -> int:
        """Write every entry as one JSON object per line; returns how many."""
        count = 0
        for entry in self.entries():
            out.write(json.dumps(entry.to_data(), ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
        return count


def _verify(conn: sqlite3.Connection, expect_head: str | None) -> VerifyReport:
    expected_seq, prev, count = 1, GENESIS, 0
    head = conn.execute("SELECT seq, hash FROM head WHERE id = 1").fetchone()
    for row in conn.execute(_SELECT + " ORDER BY seq"):
        seq, stored = row[0], row[13]
        if seq != expected_seq:
            problem = f"seq {expected_seq} is missing" if seq > expected_seq else f"seq {seq} is out of order"
            return VerifyReport(False, count, expected_seq - 1, prev, expected_seq, problem)
        if row[12] != prev:
            return VerifyReport(False, count, seq - 1, prev, seq,
                                "prev_hash does not match the previous entry (deleted or inserted)")
        if entry_hash(row[:13]) != stored:
            return VerifyReport(False, count, seq - 1, prev, seq, "entry edited (hash mismatch)")
        prev, expected_seq, count = stored, seq + 1, count + 1
    last = expected_seq - 1
    head_seq, head_hash = (head[0], head[1]) if head else (0, GENESIS)
    if (head_seq, head_hash) != (last, prev):
        problem = (f"the head says seq {head_seq}: entries after seq {last} were removed"
                   if head_seq > last else "the head does not match the last entry")
        return VerifyReport(False, count, last, prev, last + 1, problem)
    if expect_head is not None and expect_head != prev:
        return VerifyReport(False, count, last, prev, last,
                            "the last hash is not the one expected (the chain was rewritten or cut)")
    return VerifyReport(True, count, last, prev)


__all__ = ["GENESIS", "AuditEntry", "AuditLog", "VerifyReport", "canonical", "canonical_detail", "entry_hash"]
