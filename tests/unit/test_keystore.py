"""The daemon's key file (C13): refused when unsafe or corrupt, even when it goes bad while running."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from webbridge.daemon.keystore import KeyStore, Pairing
from webbridge.errors import KeystoreInsecure


def _pairing(pairing_id: str = "p-1") -> Pairing:
    return Pairing(pairing_id, bytes(range(32)), "Work", "Chromium", "Default", "chrome-extension://x/", 1.0)


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    ks = KeyStore(tmp_path / "pairings.json")
    ks.load()
    ks.add(_pairing())
    return ks


def test_own_writes_are_not_taken_for_tampering(store: KeyStore) -> None:
    store.add(_pairing("p-2"))
    store.revoke("p-2")
    assert store.get("p-1") is not None and store.problem is None


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda p: os.chmod(p, 0o644), id="world-readable"),
        pytest.param(lambda p: os.chmod(p, 0o620), id="group-writable"),
        pytest.param(
            lambda p: (os.replace(p, p.with_name("x")), os.symlink(p.with_name("x"), p)), id="symlink"
        ),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:-2]), id="truncated"),
    ],
)
def test_a_file_that_goes_bad_under_a_running_daemon_is_refused_at_once(
    store: KeyStore, tamper: object
) -> None:
    tamper(store.path)  # type: ignore[operator]
    assert store.get("p-1") is None
    assert store.problem is not None and "pair --reset" in store.problem.message
    with pytest.raises(KeystoreInsecure):
        store.add(_pairing("p-3"))  # never written over the bad file


def test_a_same_size_rewrite_within_one_clock_tick_is_noticed(store: KeyStore) -> None:
    st = os.stat(store.path)
    store.path.write_bytes(store.path.read_bytes().replace(b"pairings/1", b"pairings/9"))
    os.utime(store.path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same inode, size, mode and times
    assert store.get("p-1") is None
    assert store.problem is not None and "corrupt" in store.problem.message


def test_reset_moves_the_bad_file_aside_and_recovers(store: KeyStore) -> None:
    os.chmod(store.path, 0o644)
    assert store.get("p-1") is None
    moved = store.reset()
    assert moved is not None and moved.exists() and not store.path.exists()
    assert store.problem is None and store.list() == []
    store.add(_pairing("p-4"))
    assert store.get("p-4") is not None
    assert os.stat(store.path).st_mode & 0o777 == 0o600
