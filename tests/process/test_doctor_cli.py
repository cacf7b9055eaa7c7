"""`webbridge doctor` against a real install, a real daemon and the real CLI: break one thing at a time,
doctor names it, `--fix` repairs it (the user-facing half of the installer's unit tests)."""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from webbridge import meta

from ..conftest import WbEnv


def doctor(wb: WbEnv, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    proc = wb.run("doctor", "--json", *extra, check=False)
    return proc.returncode, json.loads(proc.stdout)["checks"]


def failing(checks: list[dict[str, Any]]) -> set[str]:
    return {c["id"] for c in checks if c["status"] == "fail"}


def warned(checks: list[dict[str, Any]]) -> set[str]:
    return {c["id"] for c in checks if c["status"] == "warn"}


@pytest.fixture
def installed(daemon: WbEnv, tmp_path: Path) -> tuple[WbEnv, Path]:
    profile = tmp_path / "profile"
    profile.mkdir()
    daemon.run("install", "--user-data-dir", str(profile))
    return daemon, profile / "NativeMessagingHosts" / f"{meta.HOST_NAME}.json"


def _launcher(wb: WbEnv) -> Path:
    return wb.paths.launcher_dir / "webbridge-host"


def _delete_manifest(wb: WbEnv, manifest: Path) -> None:
    manifest.unlink()


def _wrong_extension_id(wb: WbEnv, manifest: Path) -> None:
    data = json.loads(manifest.read_text())
    data["allowed_origins"] = [meta.origin_of("a" * 32)]
    manifest.write_text(json.dumps(data))


def _launcher_not_executable(wb: WbEnv, manifest: Path) -> None:
    os.chmod(_launcher(wb), 0o644)


def _daemon_killed(wb: WbEnv, manifest: Path) -> None:
    wb.kill_daemon()


def _second_manifest_claims_our_extension(wb: WbEnv, manifest: Path) -> None:
    rogue = json.loads(manifest.read_text())
    rogue["name"] = "com.example.rogue"
    rogue["path"] = "/bin/true"
    (manifest.parent / "com.example.rogue.json").write_text(json.dumps(rogue))


BREAKS: list[tuple[Callable[[WbEnv, Path], None], str]] = [
    (_delete_manifest, "manifest.present"),
    (_wrong_extension_id, "manifest.origin"),
    (_launcher_not_executable, "launcher.executable"),
    (_daemon_killed, "daemon"),
    (_second_manifest_claims_our_extension, "manifest.conflict"),
]


def test_doctor_is_green_on_a_fresh_install(installed: tuple[WbEnv, Path]) -> None:
    wb, _ = installed
    code, checks = doctor(wb)
    assert code == 0 and failing(checks) == set()
    # Not paired yet is a warning with the next step, not a failure.
    assert "pairing" in warned(checks)


@pytest.mark.parametrize(("breaker", "check_id"), BREAKS, ids=[b[1] for b in BREAKS])
def test_doctor_names_each_break_and_fix_repairs_it(
    installed: tuple[WbEnv, Path], breaker: Callable[[WbEnv, Path], None], check_id: str
) -> None:
    wb, manifest = installed
    breaker(wb, manifest)
    code, checks = doctor(wb)
    named = failing(checks) | warned(checks)
    assert check_id in named, f"doctor did not name {check_id}: {checks}"
    broken = next(c for c in checks if c["id"] == check_id and c["status"] != "ok")
    assert broken["fix"], "every problem says what to do"

    fixed = wb.run("doctor", "--fix", check=False)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    code, checks = doctor(wb)
    assert code == 0 and failing(checks) == set(), checks
    assert check_id not in warned(checks)
    if check_id == "manifest.origin":
        assert json.loads(manifest.read_text())["allowed_origins"] == [meta.origin_of(meta.EXTENSION_ID)]
    if check_id == "launcher.executable":
        assert os.stat(_launcher(wb)).st_mode & stat.S_IXUSR
    if check_id == "manifest.conflict":
        assert not (manifest.parent / "com.example.rogue.json").exists()
        assert list(manifest.parent.glob("com.example.rogue.json.disabled*"))


def test_uninstall_removes_exactly_what_install_wrote(installed: tuple[WbEnv, Path]) -> None:
    wb, manifest = installed
    keep = manifest.parent / "someone-else.json"
    keep.write_text("{}")
    wb.run("uninstall")
    assert not manifest.exists()
    assert not _launcher(wb).exists()
    assert keep.exists()
    shutil.rmtree(manifest.parent)
