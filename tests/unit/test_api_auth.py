"""The API token file (L5, L7): created 0600 atomically, kept when safe, replaced when not, refused by
clients when unsafe; the bearer header and the constant-time comparison."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from webbridge.api.auth import bearer, ensure_token, read_token, token_matches, token_problem, well_formed
from webbridge.errors import ApiTokenInsecure

NOBODY = 65534
as_root = pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0, reason="chown to another user needs root"
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "run"
    path.mkdir(mode=0o700)
    os.chmod(path, 0o700)
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_new_token_is_created_0600_and_kept_across_restarts(folder: Path) -> None:
    path = folder / "api.token"
    token = ensure_token(path)
    assert well_formed(token) and mode(path) == 0o600
    assert read_token(path) == token and token_problem(path) is None
    assert ensure_token(path) == token  # a restarted daemon keeps a safe token
    assert [p.name for p in folder.iterdir()] == ["api.token"]  # no temporary file left behind


@pytest.mark.parametrize("bad_mode", [0o644, 0o640, 0o604, 0o620, 0o602])
def test_a_file_others_can_read_or_write_is_refused_and_replaced(folder: Path, bad_mode: int) -> None:
    path = folder / "api.token"
    old = ensure_token(path)
    os.chmod(path, bad_mode)
    assert f"mode {bad_mode:o}" in (token_problem(path) or "")
    with pytest.raises(ApiTokenInsecure, match="readable or writable by others"):
        read_token(path)
    new = ensure_token(path)
    assert new != old and mode(path) == 0o600  # it may have leaked: a new one


def test_a_link_is_replaced_and_its_target_left_alone(folder: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("A" * 43 + "\n")
    os.chmod(target, 0o600)
    path = folder / "api.token"
    path.symlink_to(target)
    with pytest.raises(ApiTokenInsecure, match="not a regular file"):
        read_token(path)
    token = ensure_token(path)
    assert not path.is_symlink() and path.read_text().strip() == token and token != "A" * 43
    assert target.read_text() == "A" * 43 + "\n"


@pytest.mark.parametrize("content", ["", "short\n", "x" * 43 + "!", "ä" * 43])
def test_content_that_is_not_a_token_is_refused_and_replaced(folder: Path, content: str) -> None:
    path = folder / "api.token"
    path.write_text(content, encoding="utf-8")
    os.chmod(path, 0o600)
    with pytest.raises(ApiTokenInsecure):
        read_token(path)
    assert well_formed(ensure_token(path))


def test_a_folder_others_can_enter_is_a_problem(folder: Path) -> None:
    path = folder / "api.token"
    ensure_token(path)
    os.chmod(folder, 0o755)
    assert "is not private" in (token_problem(path) or "")
    with pytest.raises(ApiTokenInsecure):
        read_token(path)


def test_a_missing_file_is_a_problem_for_clients(folder: Path) -> None:
    assert "does not exist" in (token_problem(folder / "api.token") or "")
    with pytest.raises(ApiTokenInsecure):
        read_token(folder / "api.token")


@as_root
def test_a_file_of_another_user_is_refused_and_replaced(folder: Path) -> None:
    path = folder / "api.token"
    old = ensure_token(path)
    os.chown(path, NOBODY, NOBODY)
    assert f"belongs to another user (uid {NOBODY})" in (token_problem(path) or "")
    with pytest.raises(ApiTokenInsecure, match="another user"):
        read_token(path)
    new = ensure_token(path)
    assert new != old and os.lstat(path).st_uid == os.getuid() and mode(path) == 0o600


def test_a_failed_write_leaves_nothing_behind(folder: Path) -> None:
    path = folder / "api.token"
    path.mkdir()  # a folder in the way: the rename at the end fails
    (path / "keep").write_text("x")
    with pytest.raises(OSError):
        ensure_token(path)
    assert sorted(p.name for p in folder.iterdir()) == ["api.token"] and path.is_dir()
    assert [p.name for p in path.iterdir()] == ["keep"]


def test_the_bearer_header() -> None:
    assert bearer("Bearer abc") == "abc"
    assert bearer("bearer  abc ") == "abc"
    for bad in (None, "", "Bearer", "Bearer ", "Basic abc", "abc", "Token abc"):
        assert bearer(bad) is None, bad


def test_the_comparison() -> None:
    token = "t" * 43
    assert token_matches(token, token)
    for bad in (None, "", "t" * 42, "t" * 44, "T" * 43, "t" * 42 + "\udc80"):
        assert not token_matches(bad, token)
