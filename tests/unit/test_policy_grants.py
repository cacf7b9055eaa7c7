"""Grants in a real SQLite file: add, list, revoke, atomic use of once grants, sessions, and bad input."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from webbridge.errors import AuditUnavailable, GrantNotFound
from webbridge.policy.actions import ActionClass
from webbridge.policy.grants import Grant, GrantStore

A = ActionClass
NOW = 1_700_000_000.0


@pytest.fixture
def store(tmp_path: Path) -> GrantStore:
    s = GrantStore(tmp_path / "data" / "grants.db")
    yield s  # type: ignore[misc]
    s.close()


def test_round_trip_keeps_every_field(store: GrantStore) -> None:
    g = Grant.new(
        who="user",
        domain="*.Example.com",
        classes=["type", A.SUBMIT],
        lifetime="once",
        now=NOW,
        expires=NOW + 60,
        schedule_id="sched1",
        verbs=["purchase", "send"],
    )
    store.add(g)
    assert store.get(g.id) == g
    assert store.list_grants() == [g]
    assert str(g.pattern) == "*.example.com" and g.classes == {A.TYPE, A.SUBMIT}
    assert g.to_data()["domain"] == "*.example.com" and g.to_data()["verbs"] == ["purchase", "send"]


def test_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "d" / "grants.db"
    GrantStore(path).close()
    assert (path.stat().st_mode & 0o777) == 0o600
    assert (path.parent.stat().st_mode & 0o777) == 0o700


def test_revoke_and_active(store: GrantStore) -> None:
    a = store.add(Grant.new(who="user", domain="a.test", classes=[A.TYPE], lifetime="always", now=NOW))
    b = store.add(
        Grant.new(who="user", domain="b.test", classes=[A.TYPE], lifetime="always", now=NOW, expires=NOW + 10)
    )
    assert {g.id for g in store.active(NOW)} == {a.id, b.id}
    assert {g.id for g in store.active(NOW + 11)} == {a.id}  # b expired
    revoked = store.revoke(a.id, NOW + 1)
    assert revoked.revoked_at == NOW + 1
    assert store.revoke(a.id, NOW + 5).revoked_at == NOW + 1  # idempotent, keeps the first time
    assert store.active(NOW + 2) == [store.get(b.id)]
    assert store.list_grants(now=NOW + 2) == [store.get(b.id)]
    assert len(store.list_grants()) == 2
    with pytest.raises(GrantNotFound):
        store.revoke("g_nope", NOW)
    with pytest.raises(GrantNotFound):
        store.get("g_nope")


def test_a_revoke_from_another_process_is_seen_at_the_next_decision(store: GrantStore) -> None:
    g = store.add(Grant.new(who="user", domain="a.test", classes=[A.TYPE], lifetime="always", now=NOW))
    assert store.active(NOW) == [g]  # cached now
    other = GrantStore(store.path)  # another connection: the CLI
    other.revoke(g.id, NOW)
    other.close()
    assert store.active(NOW) == []


def test_once_grants_are_used_up_exactly_once(store: GrantStore) -> None:
    g = store.add(Grant.new(who="user", domain="a.test", classes=[A.TYPE], lifetime="once", now=NOW))
    assert store.consume(g.id, NOW, "run1") is True
    assert store.consume(g.id, NOW, "run2") is False
    used = store.get(g.id)
    assert used.used_at == NOW and used.used_by == "run1" and not used.active(NOW)
    assert store.active(NOW) == []
    lasting = store.add(Grant.new(who="user", domain="a.test", classes=[A.TYPE], lifetime="always", now=NOW))
    assert store.consume(lasting.id, NOW) is False  # never consumed
    assert store.get(lasting.id).used_at is None
    expiring = store.add(
        Grant.new(who="user", domain="a.test", classes=[A.TYPE], lifetime="once", now=NOW, expires=NOW + 1)
    )
    assert store.consume(expiring.id, NOW + 2) is False


def test_once_grant_race_between_connections_has_one_winner(tmp_path: Path) -> None:
    path = tmp_path / "grants.db"
    setup = GrantStore(path)
    g = setup.add(Grant.new(who="user", domain="a.test", classes=[A.TYPE], lifetime="once", now=NOW))
    setup.close()
    stores = [GrantStore(path) for _ in range(8)]
    start = threading.Barrier(len(stores))
    wins: list[bool] = []
    lock = threading.Lock()

    def race(s: GrantStore) -> None:
        start.wait()
        won = s.consume(g.id, NOW, "x")
        with lock:
            wins.append(won)

    threads = [threading.Thread(target=race, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert sorted(wins) == [False] * 7 + [True]


def test_end_session_revokes_its_session_grants(store: GrantStore) -> None:
    mine = store.add(
        Grant.new(who="user", domain="a.test", classes=[A.TYPE], lifetime="session", now=NOW, session_id="s1")
    )
    other = store.add(
        Grant.new(who="user", domain="a.test", classes=[A.TYPE], lifetime="session", now=NOW, session_id="s2")
    )
    assert store.end_session("s1", NOW) == 1
    assert store.active(NOW) == [store.get(other.id)]
    assert store.get(mine.id).revoked_at == NOW


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"classes": []}, "at least one action class"),
        ({"classes": ["fly"]}, "unknown action class"),
        ({"lifetime": "forever"}, "lifetime must be one of"),
        ({"domain": None}, "needs a domain"),
        ({"domain": "co.uk"}, "public suffix"),
        ({"domain": "bаnk.com"}, "mixes scripts"),
        ({"lifetime": "task"}, "needs a task id"),
        ({"lifetime": "session"}, "needs a session id"),
        ({"verbs": ["purchase"]}, "only a once grant"),
        ({"lifetime": "once", "verbs": ["steal"]}, "unknown irreversible verb"),
        ({"expires": NOW - 1}, "expire after"),
    ],
)
def test_bad_grants_are_refused(kwargs: dict[str, object], words: str) -> None:
    args: dict[str, object] = {
        "who": "user",
        "domain": "a.test",
        "classes": [A.TYPE],
        "lifetime": "always",
        "now": NOW,
        **kwargs,
    }
    with pytest.raises(ValueError, match=words):
        Grant.new(**args)  # type: ignore[arg-type]


def test_a_file_that_is_not_a_database_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "grants.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(AuditUnavailable, match=r"grants\.db"):
        GrantStore(path)


def test_write_failure_changes_nothing(store: GrantStore) -> None:
    g = store.add(Grant.new(who="user", domain="a.test", classes=[A.TYPE], lifetime="always", now=NOW))
    with pytest.raises(AuditUnavailable):
        store.add(g)  # same id: the insert fails, the transaction is rolled back
    assert store.list_grants() == [g]
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT count(*) FROM grants").fetchone() == (1,)
    conn.close()


async def test_usable_from_the_event_loop(store: GrantStore) -> None:
    g = store.add(Grant.new(who="user", domain="a.test", classes=[A.TYPE], lifetime="once", now=NOW))
    results = await asyncio.gather(*(asyncio.to_thread(store.consume, g.id, NOW) for _ in range(4)))
    assert sorted(results) == [False, False, False, True]
