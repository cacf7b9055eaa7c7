"""doctor: each broken link is named on its own, and fix() repairs it (the daemon through start_daemon)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from webbridge import meta
from webbridge.errors import DaemonUnavailable
from webbridge.install import Check, fix, install, run_checks, uninstall
from webbridge.install.doctor import DISABLED_SUFFIX
from webbridge.install.record import InstallRecord
from webbridge.install.report import format_checks
from webbridge.install.testing import FakeMachine

OTHER_ID = "abcdefghijklmnopabcdefghijklmnop"
NAME = "com.webbridge.host.json"
CHROMIUM_KEY = f"Software\\Chromium\\NativeMessagingHosts\\{meta.HOST_NAME}"


class Daemon:
    """A stand-in for the daemon: probe() answers while it is up; start() brings it up."""

    def __init__(self, up: bool = True, pairings: int = 1) -> None:
        self.up = up
        self.pairings = pairings
        self.starts = 0

    def probe(self) -> dict[str, Any]:
        if not self.up:
            raise DaemonUnavailable("daemon not reachable at /tmp/x/daemon.sock")
        return {"version": "0.1.0", "pairings": self.pairings, "bridges": []}

    def start(self) -> None:
        self.starts += 1
        self.up = True


def problems(checks: list[Check]) -> set[tuple[str, str | None, str]]:
    return {(c.id, c.browser, c.status) for c in checks if c.status != "ok"}


@pytest.fixture
def linux(tmp_path: Path) -> FakeMachine:
    fake = FakeMachine.create(tmp_path, "linux")
    fake.add_browser("chromium")
    install(["chromium"], **fake.kwargs())
    return fake


def check(fake: FakeMachine, daemon: Daemon | None = None, **kw: Any) -> list[Check]:
    return run_checks(probe_daemon=(daemon or Daemon()).probe, **fake.kwargs(), **kw)


def repair(fake: FakeMachine, checks: list[Check], daemon: Daemon | None = None) -> list[str]:
    actions = fix(
        checks, start_daemon=(daemon or Daemon()).start, python=Path(sys.executable), **fake.kwargs()
    )
    assert not [a for a in actions if a.verb == "failed"], actions
    return [f"{a.verb} {a.what}" for a in actions]


def chromium_manifest(fake: FakeMachine) -> Path:
    return fake.machine.home / ".config" / "chromium" / "NativeMessagingHosts" / NAME


def test_a_healthy_install_has_no_problems(linux: FakeMachine) -> None:
    checks = check(linux)
    assert problems(checks) == set()
    ids = [c.id for c in checks]
    for expected in (
        "install.record",
        "browsers",
        "launcher.present",
        "launcher.executable",
        "launcher.interpreter",
        "launcher.relay",
        "manifest.present",
        "manifest.valid",
        "manifest.origin",
        "manifest.conflict",
        "daemon",
        "pairing",
    ):
        assert expected in ids
    assert "all good" in format_checks(checks)
    assert fix(checks, start_daemon=Daemon().start, **linux.kwargs()) == []


def test_manifest_deleted(linux: FakeMachine) -> None:
    chromium_manifest(linux).unlink()
    checks = check(linux)
    assert problems(checks) == {("manifest.present", "chromium", "fail")}
    (bad,) = [c for c in checks if c.status != "ok"]
    assert bad.fixable and bad.path == str(chromium_manifest(linux))
    assert "✗" in format_checks(checks) and "fix:" in format_checks(checks)
    assert repair(linux, checks) == ["created manifest"]
    assert problems(check(linux)) == set()


def test_wrong_extension_id(linux: FakeMachine) -> None:
    path = chromium_manifest(linux)
    data = json.loads(path.read_text())
    data["allowed_origins"] = [meta.origin_of(OTHER_ID)]
    path.write_text(json.dumps(data))
    checks = check(linux)
    assert problems(checks) == {("manifest.origin", "chromium", "fail")}
    assert "forbidden" in next(c.message for c in checks if c.id == "manifest.origin")
    assert repair(linux, checks) == ["updated manifest"]
    assert problems(check(linux)) == set()


def test_invalid_manifest_json(linux: FakeMachine) -> None:
    chromium_manifest(linux).write_text("{oops")
    checks = check(linux)
    assert problems(checks) == {("manifest.valid", "chromium", "fail")}
    repair(linux, checks)
    assert problems(check(linux)) == set()


def test_launcher_not_executable(linux: FakeMachine) -> None:
    launcher = linux.paths.launcher_dir / "webbridge-host"
    launcher.chmod(0o644)
    checks = check(linux)
    assert problems(checks) == {("launcher.executable", None, "fail")}
    assert repair(linux, checks) == ["updated launcher"]
    assert launcher.stat().st_mode & 0o777 == 0o755
    assert problems(check(linux)) == set()


def test_launcher_deleted(linux: FakeMachine) -> None:
    (linux.paths.launcher_dir / "webbridge-host").unlink()
    checks = check(linux)
    assert problems(checks) == {("launcher.present", None, "fail")}
    repair(linux, checks)
    assert problems(check(linux)) == set()


def test_launcher_interpreter_gone(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "linux")
    fake.add_browser("chromium")
    install(["chromium"], python=tmp_path / "deleted-venv" / "bin" / "python", **fake.kwargs())
    checks = check(fake)
    assert problems(checks) == {("launcher.interpreter", None, "fail")}
    repair(fake, checks)
    assert problems(check(fake)) == set()
    record = InstallRecord.load(fake.paths.install_record)
    assert record is not None and record.python == sys.executable


def test_daemon_down_is_repaired_through_start_daemon(linux: FakeMachine) -> None:
    daemon = Daemon(up=False)
    checks = check(linux, daemon)
    assert problems(checks) == {("daemon", None, "fail")}
    assert "pairing" not in [c.id for c in checks]  # unknowable while the daemon is down
    assert repair(linux, checks, daemon) == ["started daemon"]
    assert daemon.starts == 1
    assert problems(check(linux, daemon)) == set()


def test_daemon_that_will_not_start_is_reported(linux: FakeMachine) -> None:
    def refuse() -> None:
        raise DaemonUnavailable("no luck")

    checks = check(linux, Daemon(up=False))
    actions = fix(checks, start_daemon=refuse, **linux.kwargs())
    assert [(a.verb, a.what) for a in actions] == [("failed", "daemon")]
    assert "no luck" in actions[0].target


def test_no_pairing_is_a_warning_with_the_way_out(linux: FakeMachine) -> None:
    checks = check(linux, Daemon(pairings=0))
    assert problems(checks) == {("pairing", None, "warn")}
    (warn,) = [c for c in checks if c.status != "ok"]
    assert "webbridge pair" in warn.fix and not warn.fixable


def test_daemon_client_unavailable(linux: FakeMachine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "webbridge.daemon", None)  # makes the lazy import fail
    checks = run_checks(**linux.kwargs())
    (daemon,) = [c for c in checks if c.id == "daemon"]
    assert daemon.status == "fail" and "daemon client unavailable" in daemon.message


@pytest.mark.parametrize("claim", ["origin", "name"])
def test_second_manifest_claiming_us_is_moved_aside(linux: FakeMachine, claim: str) -> None:
    folder = chromium_manifest(linux).parent
    other = folder / "com.example.old.json"
    data = {
        "name": meta.HOST_NAME if claim == "name" else "com.example.old",
        "description": "an older copy",
        "path": "/opt/old/host",
        "type": "stdio",
        "allowed_origins": [meta.origin_of(meta.EXTENSION_ID)],
    }
    other.write_text(json.dumps(data))
    unrelated = folder / "org.other.json"
    unrelated.write_text(
        json.dumps({**data, "name": "org.other", "allowed_origins": [meta.origin_of(OTHER_ID)]})
    )

    checks = check(linux)
    assert problems(checks) == {("manifest.conflict", "chromium", "warn")}
    (conflict,) = [c for c in checks if c.status != "ok"]
    assert conflict.path == str(other) and conflict.fixable
    assert repair(linux, checks) == ["moved manifest"]
    assert not other.exists()
    assert (folder / f"com.example.old.json{DISABLED_SUFFIX}").is_file()
    assert unrelated.is_file()
    assert problems(check(linux)) == set()


def test_foreign_manifest_with_our_name_in_the_system_folder(linux: FakeMachine) -> None:
    system = linux.system_root / "etc" / "chromium" / "native-messaging-hosts"
    system.mkdir(parents=True)
    (system / NAME).write_text(
        json.dumps(
            {
                "name": meta.HOST_NAME,
                "path": "/elsewhere",
                "type": "stdio",
                "description": "",
                "allowed_origins": [],
            }
        )
    )
    checks = check(linux)
    assert problems(checks) == {("manifest.conflict", "chromium", "warn")}
    repair(linux, checks)
    assert (system / f"{NAME}{DISABLED_SUFFIX}").is_file()
    # a system-wide copy that points at our launcher is fine
    (system / NAME).write_text(chromium_manifest(linux).read_text())
    assert problems(check(linux)) == set()


def test_detected_browser_not_installed_is_a_warning_once_installed_elsewhere(linux: FakeMachine) -> None:
    linux.add_browser("chrome")
    checks = check(linux)
    assert problems(checks) == {("manifest.present", "chrome", "warn")}
    repair(linux, checks)
    assert problems(check(linux)) == set()
    record = InstallRecord.load(linux.paths.install_record)
    assert record is not None and any(f.browser == "chrome" for f in record.files)  # uninstall will remove it


def test_nothing_installed_yet(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "linux")
    fake.add_browser("edge")
    checks = check(fake)
    assert problems(checks) == {
        ("install.record", None, "warn"),
        ("launcher.present", None, "fail"),
        ("manifest.present", "edge", "fail"),
    }
    repair(fake, checks)
    assert problems(check(fake)) == set()
    uninstall(**fake.kwargs())
    assert [p.name for p in fake.files()] == []


def test_user_data_dir_checked_and_fixed(linux: FakeMachine, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    checks = check(linux, user_data_dirs=[profile])
    assert problems(checks) == {("manifest.present", None, "fail")}
    repair(linux, checks)
    assert (profile / "NativeMessagingHosts" / NAME).is_file()
    assert problems(check(linux)) == set()  # now recorded: checked without being asked
    assert any("profile manifest" in c.message for c in check(linux))


def test_damaged_install_record(linux: FakeMachine) -> None:
    linux.paths.install_record.write_text("[]")
    checks = check(linux)
    assert ("install.record", None, "fail") in problems(checks)


def test_windows_registry_key_deleted_and_conflict(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "win32")
    fake.add_browser("chromium")
    assert fake.registry is not None
    install(["chromium"], **fake.kwargs())
    assert problems(check(fake)) == set()

    fake.registry.delete_key("HKCU", CHROMIUM_KEY)
    checks = check(fake)
    assert problems(checks) == {("registry.key", "chromium", "fail")}
    assert repair(fake, checks) == ["unchanged manifest", "set registry"]
    assert problems(check(fake)) == set()

    other = tmp_path / "old" / "old.json"
    other.parent.mkdir()
    other.write_text(
        json.dumps({"name": "com.example.old", "allowed_origins": [meta.origin_of(meta.EXTENSION_ID)]})
    )
    fake.registry.set_default("HKLM", "Software\\Chromium\\NativeMessagingHosts\\com.example.old", str(other))
    checks = check(fake)
    assert problems(checks) == {("manifest.conflict", "chromium", "warn")}
    repair(fake, checks)
    assert not other.exists() and other.with_name(f"old.json{DISABLED_SUFFIX}").exists()
    assert problems(check(fake)) == set()


def test_macos_layout(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "darwin")
    fake.add_browser("edge")
    install(["edge"], **fake.kwargs())
    assert problems(check(fake)) == set()
    manifest = fake.home / "Library/Application Support/Microsoft Edge/NativeMessagingHosts" / NAME
    manifest.unlink()
    checks = check(fake)
    assert problems(checks) == {("manifest.present", "edge", "fail")}
    repair(fake, checks)
    assert manifest.is_file()


def test_system_install_checks_the_system_launcher(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "linux")
    fake.add_browser("chromium")
    install(["chromium"], system=True, **fake.kwargs())
    checks = check(fake)
    # the system manifest serves Chromium, so its empty per-user folder is no problem
    assert problems(checks) == set()
    system_launcher = fake.system_root / "usr/local/lib/webbridge/webbridge-host"
    assert any(c.id == "launcher.present" and c.path == str(system_launcher) and c.ok for c in checks)
    system_launcher.chmod(0o600)
    checks = check(fake)
    assert ("launcher.executable", None, "fail") in problems(checks)
    (bad,) = [c for c in checks if c.id == "launcher.executable"]
    assert bad.scope == "system"
    repair(fake, [bad])
    assert system_launcher.stat().st_mode & 0o777 == 0o755
