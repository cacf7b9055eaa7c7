"""PolicyRuntime: the daemon's view — files opened once, reload keeps the old policy on a bad file, close."""

from __future__ import annotations

from pathlib import Path

import pytest

from webbridge.errors import PolicyInvalid
from webbridge.paths import resolve
from webbridge.policy.actions import ActionClass
from webbridge.policy.grants import Grant
from webbridge.policy.locations import audit_db, grants_db, policy_file
from webbridge.policy.runtime import PolicyRuntime


def test_open_reload_close(tmp_path: Path) -> None:
    paths = resolve({"WEBBRIDGE_HOME": str(tmp_path / "wb")})
    runtime = PolicyRuntime.open(paths, session_id="boot1", clock=lambda: 1000.0)
    assert audit_db(paths).exists() and grants_db(paths).exists()
    assert runtime.policy.mode == "grants"
    session = runtime.grants.add(
        Grant.new(
            who="user",
            domain="a.test",
            classes=[ActionClass.TYPE],
            lifetime="session",
            session_id="boot1",
            now=999.0,
        )
    )
    path = policy_file(paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('mode = "ask"\n', encoding="utf-8")
    assert runtime.reload().mode == "ask"
    path.write_text('mode = "ask"\n[defaults]\nread = "sometimes"\n', encoding="utf-8")
    with pytest.raises(PolicyInvalid, match=r"policy\.toml:3"):
        runtime.reload()
    assert runtime.policy.mode == "ask"  # the policy in force stays
    runtime.close()
    runtime.close()
    path.write_text('mode = "grants"\n', encoding="utf-8")
    again = PolicyRuntime.open(paths, session_id="boot2")
    assert again.grants.get(session.id).revoked_at == 1000.0  # the session's grants ended with it
    again.close()


def test_open_refuses_a_bad_policy_and_leaves_nothing_open(tmp_path: Path) -> None:
    paths = resolve({"WEBBRIDGE_HOME": str(tmp_path / "wb")})
    path = policy_file(paths)
    path.parent.mkdir(parents=True)
    path.write_text("mode = 1\n", encoding="utf-8")
    with pytest.raises(PolicyInvalid, match=r"policy\.toml:1: mode"):
        PolicyRuntime.open(paths, session_id="s")
    assert not grants_db(paths).exists()
