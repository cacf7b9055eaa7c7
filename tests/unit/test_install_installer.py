"""install() and uninstall() on fake Linux, macOS and Windows homes: writes, idempotence, clean removal."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from webbridge import meta
from webbridge.install import install, uninstall
from webbridge.install.installer import UsageError, default_browsers
from webbridge.install.record import InstallRecord
from webbridge.install.testing import FakeMachine

OTHER_ID = "abcdefghijklmnopabcdefghijklmnop"
NAME = "com.webbridge.host.json"


def manifest_at(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text())
    return data


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_posix_install_then_uninstall_leaves_nothing(tmp_path: Path, platform: str) -> None:
    fake = FakeMachine.create(tmp_path, platform)
    fake.add_browser("chrome")
    fake.add_browser("brave")
    before = fake.files()

    result = install(["chrome", "brave"], **fake.kwargs())

    launcher = fake.paths.launcher_dir / "webbridge-host"
    assert result.launcher == launcher and launcher.stat().st_mode & 0o111
    assert f"exec {sys.executable} -m webbridge.relay" in launcher.read_text()
    chrome_dir = fake.machine.home / (
        ".config/google-chrome" if platform == "linux" else "Library/Application Support/Google/Chrome"
    )
    for manifest in (chrome_dir / "NativeMessagingHosts" / NAME, result.targets[1].manifest):
        data = manifest_at(manifest)
        assert data["path"] == str(launcher)
        assert data["allowed_origins"] == [meta.origin_of(meta.EXTENSION_ID)]
    assert [(a.verb, a.what) for a in result.actions] == [
        ("created", "launcher"),
        ("created", "manifest"),
        ("created", "manifest"),
    ]
    record = InstallRecord.load(fake.paths.install_record)
    assert record is not None
    assert sorted(f.path for f in record.files) == sorted(
        [str(launcher), *(str(t.manifest) for t in result.targets)]
    )

    again = install(["chrome", "brave"], **fake.kwargs())
    assert {a.verb for a in again.actions} == {"unchanged"}

    removed = uninstall(**fake.kwargs())
    assert {a.verb for a in removed.actions} <= {"removed", "rmdir"}
    assert fake.files() == before
    assert not (chrome_dir / "NativeMessagingHosts").exists()  # we created it, so it goes
    assert chrome_dir.is_dir()  # the browser's own folder stays
    assert not fake.paths.launcher_dir.exists()

    assert uninstall(**fake.kwargs()).actions == []  # idempotent


def test_uninstall_removes_only_what_the_record_lists(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "linux")
    nmh = fake.add_browser("chromium") / "NativeMessagingHosts"
    nmh.mkdir()
    foreign = nmh / "org.keepassxc.keepassxc_browser.json"
    foreign.write_text("{}")
    install(["chromium"], **fake.kwargs())
    uninstall(**fake.kwargs())
    assert foreign.read_text() == "{}"
    assert not (nmh / NAME).exists()
    assert nmh.is_dir()  # existed before install


def test_windows_install_uses_registry_and_uninstall_clears_it(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "win32")
    fake.add_browser("edge")
    assert fake.registry is not None
    before = fake.files()

    result = install(["chrome", "edge"], extension_ids=[OTHER_ID], **fake.kwargs())

    launcher = fake.paths.launcher_dir / "webbridge-host.bat"
    manifest = fake.paths.data / "NativeMessagingHosts" / NAME
    assert result.launcher == launcher
    assert launcher.read_bytes().startswith(b"@echo off\r\n")
    assert f"{meta.ALLOWED_IDS_ENV}={OTHER_ID}" in launcher.read_text()
    assert manifest_at(manifest)["allowed_origins"] == [
        meta.origin_of(meta.EXTENSION_ID),
        meta.origin_of(OTHER_ID),
    ]
    assert fake.registry.keys() == [
        ("HKCU", f"Software\\Google\\Chrome\\NativeMessagingHosts\\{meta.HOST_NAME}"),
        ("HKCU", f"Software\\Microsoft\\Edge\\NativeMessagingHosts\\{meta.HOST_NAME}"),
    ]
    assert fake.registry.get_default(
        "HKCU", f"Software\\Microsoft\\Edge\\NativeMessagingHosts\\{meta.HOST_NAME}"
    ) == str(manifest)
    # one manifest file serves both keys
    assert [a.verb for a in result.actions if a.what == "manifest"] == ["created", "unchanged"]

    uninstall(**fake.kwargs())
    assert fake.registry.keys() == []
    assert fake.files() == before


def test_windows_system_install_uses_hklm(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "win32")
    assert fake.registry is not None
    result = install(["brave"], system=True, **fake.kwargs())
    key = f"Software\\BraveSoftware\\Brave-Browser\\NativeMessagingHosts\\{meta.HOST_NAME}"
    assert fake.registry.keys() == [("HKLM", key)]
    program_data = fake.system_root / "ProgramData" / "WebBridge"
    assert result.targets[0].manifest == program_data / "NativeMessagingHosts" / NAME
    assert result.launcher == program_data / "webbridge-host.bat"
    assert manifest_at(result.targets[0].manifest)["path"] == str(result.launcher)
    with pytest.raises(UsageError, match="not used on Windows"):
        install(["brave"], user_data_dir=tmp_path / "profile", **fake.kwargs())


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_system_install_into_a_temporary_root(tmp_path: Path, platform: str) -> None:
    fake = FakeMachine.create(tmp_path, platform)
    result = install(["chrome", "chromium"], system=True, **fake.kwargs())
    expected = {
        "linux": ["etc/opt/chrome/native-messaging-hosts", "etc/chromium/native-messaging-hosts"],
        "darwin": [
            "Library/Google/Chrome/NativeMessagingHosts",
            "Library/Application Support/Chromium/NativeMessagingHosts",
        ],
    }[platform]
    assert [t.manifest for t in result.targets] == [fake.system_root / d / NAME for d in expected]
    assert all(t.scope == "system" for t in result.targets)
    # every user must reach the launcher a system-wide manifest names: it lives outside anyone's home
    launcher = (
        fake.system_root
        / {
            "linux": "usr/local/lib/webbridge",
            "darwin": "Library/Application Support/WebBridge",
        }[platform]
        / "webbridge-host"
    )
    assert result.launcher == launcher and launcher.stat().st_mode & 0o777 == 0o755
    assert all(manifest_at(t.manifest)["path"] == str(launcher) for t in result.targets)
    assert not fake.paths.launcher_dir.exists()
    uninstall(**fake.kwargs())
    assert not fake.system_root.exists() or not any(fake.system_root.rglob("*"))


def test_user_data_dir_gets_its_own_manifest(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "linux")
    profile = tmp_path / "profile"
    profile.mkdir()
    result = install([], user_data_dir=profile, **fake.kwargs())
    assert [t.manifest for t in result.targets] == [profile / "NativeMessagingHosts" / NAME]
    assert manifest_at(profile / "NativeMessagingHosts" / NAME)["name"] == meta.HOST_NAME
    record = InstallRecord.load(fake.paths.install_record)
    assert record is not None and record.user_data_dirs == [str(profile)]
    uninstall(**fake.kwargs())
    assert list(profile.iterdir()) == []


def test_reinstall_with_new_ids_refreshes_earlier_targets(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "linux")
    profile = tmp_path / "profile"
    profile.mkdir()
    install(["chromium"], **fake.kwargs())
    install([], user_data_dir=profile, extension_ids=[OTHER_ID], **fake.kwargs())
    chromium = fake.machine.home / ".config/chromium/NativeMessagingHosts" / NAME
    for manifest in (chromium, profile / "NativeMessagingHosts" / NAME):
        assert meta.origin_of(OTHER_ID) in manifest_at(manifest)["allowed_origins"]  # type: ignore[operator]
    uninstall(**fake.kwargs())
    assert not chromium.exists() and not (profile / "NativeMessagingHosts").exists()


def test_launcher_pins_webbridge_home_and_python(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "linux")
    python = tmp_path / "venv" / "bin" / "python"
    install(["chromium"], python=python, **fake.kwargs())
    text = (fake.paths.launcher_dir / "webbridge-host").read_text()
    assert f"export WEBBRIDGE_HOME={fake.env['WEBBRIDGE_HOME']}" in text
    assert f"exec {python} -m webbridge.relay" in text


def test_bad_requests_are_usage_errors(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "linux")
    with pytest.raises(UsageError, match="extension id"):
        install(["chrome"], extension_ids=["ABC"], **fake.kwargs())
    with pytest.raises(UsageError, match="unknown browser"):
        install(["firefox"], **fake.kwargs())
    with pytest.raises(UsageError, match="nothing to install"):
        install([], **fake.kwargs())
    assert fake.files() == []


def test_a_failed_write_still_records_what_was_written(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "linux")
    blocker = fake.system_root / "etc" / "chromium"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OSError):
        install(["chrome", "chromium"], system=True, **fake.kwargs())
    record = InstallRecord.load(fake.paths.install_record)
    assert record is not None
    assert [f.role for f in record.files] == ["launcher", "manifest"]
    uninstall(**fake.kwargs())
    assert fake.files() == [blocker]


def test_default_browsers(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "linux")
    assert default_browsers(fake.machine) == ["chromium"]
    fake.add_browser("edge")
    fake.add_browser("chrome")
    assert default_browsers(fake.machine) == ["chrome", "edge"]


def test_install_for_profile_uses_the_browser_environment(tmp_path: Path) -> None:
    from webbridge.install.installer import install_for_profile

    profile = tmp_path / "profile"
    env = {"HOME": str(tmp_path / "home"), "WEBBRIDGE_HOME": str(tmp_path / "wb")}
    result = install_for_profile(profile, env=env)
    manifest = profile / "NativeMessagingHosts" / NAME
    launcher = tmp_path / "wb" / "data" / "bin" / "webbridge-host"
    assert [t.manifest for t in result.targets] == [manifest]
    assert manifest_at(manifest)["path"] == str(launcher)
    assert f"export WEBBRIDGE_HOME={tmp_path / 'wb'}" in launcher.read_text()
    assert not (tmp_path / "home").exists()
