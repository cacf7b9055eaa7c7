"""Grants: the user's standing answers to "may the agent do X on Y?", with lifetimes, in SQLite.

A :class:`Grant` covers action classes on the sites matching a domain pattern (or, with no pattern,
actions that have no site: file, schedule, spawn). Lifetimes:

- ``once``: the first action it covers uses it up (:meth:`GrantStore.consume`, atomic: of two concurrent
  calls exactly one wins). Only a ``once`` grant may name irreversible ``verbs``: approving one purchase
  never approves the next.
- ``task``: actions of runs of that ``task_id``; ``session``: actions in that daemon session;
  ``always``: until revoked or ``expires``.

A grant with a ``schedule_id`` covers only runs of that scheduled task, so an unattended run has exactly
the permissions attached to it. Deny rules are final: no grant lifts them (:mod:`.decide`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

from ..errors import GrantNotFound
from ._sqlite import Database
from .actions import ActionClass
from .irreversible import VERBS, Verb
from .proposed import WEB_CLASSES, ProposedAction
from .rules import Pattern

Lifetime = Literal["once", "task", "session", "always"]
LIFETIMES: tuple[Lifetime, ...] = get_args(Lifetime)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS grants (
    id TEXT PRIMARY KEY,
    who TEXT NOT NULL,
    pattern TEXT,
    classes TEXT NOT NULL,
    lifetime TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL,
    task_id TEXT,
    session_id TEXT,
    schedule_id TEXT,
    verbs TEXT NOT NULL DEFAULT '',
    used_at REAL,
    used_by TEXT,
    revoked_at REAL
);
"""
_SELECT = ("SELECT id, who, pattern, classes, lifetime, created, expires, task_id, session_id, schedule_id, "
           "verbs, used_at, used_by, revoked_at FROM grants")
_INSERT = ("INSERT INTO grants (id, who, pattern, classes, lifetime, created, expires, task_id, session_id, "
           "schedule_id, verbs, used_at, used_by, revoked_at) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


@dataclass(frozen=True)
class Grant:
    """One grant. Build with :meth:`new` (validates); the store fills ``used_at``/``revoked_at``."""

    id: str
    who: str
    pattern: Pattern | None
    classes: frozenset[ActionClass]
    lifetime: Lifetime
    created: float
    expires: float | None = None
    task_id: str | None = None
    session_id: str | None = None
    schedule_id: str | None = None
    verbs: frozenset[Verb] = frozenset()
    used_at: float | None = None
    used_by: str | None = None
    revoked_at: float | None = None

    @classmethod
    def new(
        cls,
        *,
        who: str,
        domain: str | None,
        classes: Iterable[ActionClass | str],
        lifetime: Lifetime,
        now: float,
        expires: float | None = None,
        task_id: str | None = None,
        session_id: str | None = None,
        schedule_id: str | None = None,
        verbs: Iterable[str] = (),
    ) -> Grant:
        """A validated new grant with a fresh id. Raises ``ValueError`` saying what is inconsistent."""
        try:
            parsed = frozenset(ActionClass(c) for c in classes)
        except ValueError as exc:
            raise ValueError(f"unknown action class: {exc}") from None
        if not parsed:
            raise ValueError("a grant needs at least one action class")
        if lifetime not in LIFETIMES:
            raise ValueError(f"lifetime must be one of {', '.join(LIFETIMES)}")
        pattern = Pattern.parse(domain) if domain is not None else None
        if pattern is None and parsed & WEB_CLASSES:
            raise ValueError("a grant for web actions needs a domain")
        if lifetime == "task" and not task_id:
            raise ValueError("a task grant needs a task id")
        if lifetime == "session" and not session_id:
            raise ValueError("a session grant needs a session id")
        verb_set = frozenset(verbs)
        unknown = verb_set - set(VERBS)
        if unknown:
            raise ValueError(f"unknown irreversible verb(s): {', '.join(sorted(unknown))}")
        if verb_set and lifetime != "once":
            raise ValueError("only a once grant may approve irreversible verbs")
        if expires is not None and expires <= now:
            raise ValueError("a grant must expire after it is created")
        return cls(
            id="g_" + secrets.token_hex(8), who=who, pattern=pattern, classes=parsed, lifetime=lifetime,
            created=now, expires=expires, task_id=task_id, session_id=session_id, schedule_id=schedule_id,
            verbs=cast(frozenset[Verb], verb_set),
        )

    def active(self, now: float) -> bool:
        return (self.revoked_at is None and self.used_at is None
                and (self.expires is None or now < self.expires))

    def covers(self, action: ProposedAction, now: float) -> bool:
        """Whether this grant answers for ``action`` at ``now`` (the caller checks irreversible verbs)."""
        if not self.active(now) or action.action not in self.classes:
            return False
        if self.lifetime == "task" and action.task_id != self.task_id:
            return False
        if self.lifetime == "session" and action.session_id != self.session_id:
            return False
        if self.schedule_id is not None and action.schedule_id != self.schedule_id:
            return False
        if self.pattern is None:
            return action.site is None
        return action.site is not None and self.pattern.matches(action.site.host)

    def describe(self) -> str:
        where = str(self.pattern) if self.pattern else "(no site)"
        classes = ",".join(sorted(c.value for c in self.classes))
        extra = f" verbs={','.join(sorted(self.verbs))}" if self.verbs else ""
        return f"grant {self.id} ({self.lifetime}: {classes} on {where}{extra})"

    def to_data(self) -> dict[str, Any]:
        return {
            "id": self.id, "who": self.who, "domain": str(self.pattern) if self.pattern else None,
            "classes": sorted(c.value for c in self.classes), "lifetime": self.lifetime,
            "created": self.created, "expires": self.expires, "task_id": self.task_id,
            "session_id": self.session_id, "schedule_id": self.schedule_id, "verbs": sorted(self.verbs),
            "used_at": self.used_at, "used_by": self.used_by, "revoked_at": self.revoked_at,
        }  # fmt: skip


class GrantStore:
    """Grants in SQLite at ``path``. Synchronous (see :mod:`._sqlite`); safe across processes (each write
    is one transaction). Raises :class:`~webbridge.errors.AuditUnavailable` when the file is unusable."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = Database(path)
        with self._db.transaction() as c:
            c.execute(_SCHEMA)
        self._cache: tuple[int, list[Grant]] | None = None

    def close(self) -> None:
        """Close the database. Idempotent."""
        self._db.close()

    def add(self, grant: Grant) -> Grant:
        with self._db.transaction() as c:
            c.execute(_INSERT, _row(grant))
        self._cache = None
        return grant

    def get(self, grant_id: str) -> Grant:
        """The grant ``grant_id``; raises :class:`GrantNotFound`."""
        row = self._query(_SELECT + " WHERE id = ?", (grant_id,))
        if not row:
            raise GrantNotFound(f"no grant {grant_id}")
        return row[0]

    def list_grants(self, *, now: float | None = None) -> list[Grant]:
        """All grants, oldest first; with ``now``, only those still active then."""
        grants = self._query(_SELECT + " ORDER BY created, id", ())
        return grants if now is None else [g for g in grants if g.active(now)]

    def active(self, now: float) -> list[Grant]:
        """Grants active at ``now``. Cached until any connection changes the file (``PRAGMA data_version``),
        so a grant revoked from the CLI stops counting at the next decision."""
        version = self._data_version()
        if self._cache is None or self._cache[0] != version:
            self._cache = (version, self._query(
                _SELECT + " WHERE revoked_at IS NULL AND used_at IS NULL", ()))
        return [g for g in self._cache[1] if g.active(now)]

    def revoke(self, grant_id: str, now: float) -> Grant:
        """Revoke ``grant_id`` (idempotent: a revoked grant stays revoked at its first time).
        Raises :class:`GrantNotFound`."""
        with self._db.transaction() as c:
            c.execute("UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now, grant_id))
        self._cache = None
        return self.get(grant_id)

    def consume(self, grant_id: str, now: float, used_by: str | None = None) -> bool:
        """Use up a ``once`` grant. True for exactly one caller; False when it was used, revoked or expired
        already (or is not a ``once`` grant). Other lifetimes are never consumed."""
        with self._db.transaction() as c:
            cur = c.execute(
                "UPDATE grants SET used_at = ?, used_by = ? WHERE id = ? AND lifetime = 'once' "
                "AND used_at IS NULL AND revoked_at IS NULL AND (expires IS NULL OR expires > ?)",
                (now, used_by, grant_id, now),
            )
        self._cache = None
        return cur.rowcount == 1

    def end_session(self, session_id: str, now: float) -> int:
        """Revoke the grants of a daemon session that ended; returns how many."""
        with self._db.transaction() as c:
            cur = c.execute(
                "UPDATE grants SET revoked_at = ? WHERE lifetime = 'session' AND session_id = ? "
                "AND revoked_at IS NULL", (now, session_id))
        self._cache = None
        return cur.rowcount

    def _data_version(self) -> int:
        return int(self._db.query("PRAGMA data_version")[0][0])

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[Grant]:
        return [_grant(row) for row in self._db.query(sql, args)]


def _row(g: Grant) -> tuple[Any, ...]:
    return (
        g.id, g.who, str(g.pattern) if g.pattern else None, ",".join(sorted(c.value for c in g.classes)),
        g.lifetime, g.created, g.expires, g.task_id, g.session_id, g.schedule_id, ",".join(sorted(g.verbs)),
        g.used_at, g.used_by, g.revoked_at,
    )


def _grant(row: tuple[Any, ...]) -> Grant:
    (gid, who, pattern, classes, lifetime, created, expires, task_id, session_id, schedule_id, verbs,
     used_at, used_by, revoked_at) = row
    return Grant(
        id=gid, who=who, pattern=Pattern.parse(pattern) if pattern else None,
        classes=frozenset(ActionClass(c) for c in classes.split(",") if c), lifetime=lifetime,
        created=created, expires=expires, task_id=task_id, session_id=session_id, schedule_id=schedule_id,
        verbs=cast(frozenset[Verb], frozenset(v for v in verbs.split(",") if v)), used_at=used_at,
        used_by=used_by, revoked_at=revoked_at,
    )


__all__ = ["LIFETIMES", "Grant", "GrantStore", "Lifetime"]
