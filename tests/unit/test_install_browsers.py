"""The browser table: per-OS folders, registry keys and detection, on fake homes."""

from __future__ import annotations

from pathlib import Path

import pytest

from webbridge import meta
from webbridge.install.browsers import ALL, BROWSERS, Machine, by_key, detect, detected, normalize_platform
from webbridge.install.testing import FakeMachine


def test_table_covers_the_four_browsers() -> None:
    assert ALL == ("chrome", "edge", "chromium", "brave")
    with pytest.raises(KeyError):
        by_key("firefox")


@pytest.mark.parametrize(
    ("key", "user", "system"),
    [
        ("chrome", ".config/google-chrome/NativeMessagingHosts", "etc/opt/chrome/native-messaging-hosts"),
        ("edge", ".config/microsoft-edge/NativeMessagingHosts", "etc/opt/edge/native-messaging-hosts"),
        ("chromium", ".config/chromium/NativeMessagingHosts", "etc/chromium/native-messaging-hosts"),
        (
            "brave",
            ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
            "etc/opt/brave/native-messaging-hosts",
        ),
    ],
)
def test_linux_folders(tmp_path: Path, key: str, user: str, system: str) -> None:
    m = FakeMachine.create(tmp_path, "linux").machine
    browser = by_key(key)
    assert browser.user_manifest_dir(m) == m.home / user
    assert browser.system_manifest_dir(m) == m.system_root / system


def test_linux_honours_xdg_config_home(tmp_path: Path) -> None:
    m = Machine.create(home=tmp_path, platform="linux", env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert by_key("chromium").user_manifest_dir(m) == tmp_path / "xdg" / "chromium" / "NativeMessagingHosts"
    relative = Machine.create(home=tmp_path, platform="linux", env={"XDG_CONFIG_HOME": "rel"})
    assert by_key("chromium").user_data_dir(relative) == tmp_path / ".config" / "chromium"


@pytest.mark.parametrize(
    ("key", "user", "system"),
    [
        ("chrome", "Google/Chrome", "Library/Google/Chrome/NativeMessagingHosts"),
        ("edge", "Microsoft Edge", "Library/Microsoft/Edge/NativeMessagingHosts"),
        ("chromium", "Chromium", "Library/Application Support/Chromium/NativeMessagingHosts"),
        (
            "brave",
            "BraveSoftware/Brave-Browser",
            "Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        ),
    ],
)
def test_macos_folders(tmp_path: Path, key: str, user: str, system: str) -> None:
    m = FakeMachine.create(tmp_path, "darwin").machine
    browser = by_key(key)
    support = m.home / "Library" / "Application Support"
    assert browser.user_manifest_dir(m) == support / user / "NativeMessagingHosts"
    assert browser.system_manifest_dir(m) == m.system_root / system


@pytest.mark.parametrize(
    ("key", "registry"),
    [
        ("chrome", "Software\\Google\\Chrome\\NativeMessagingHosts"),
        ("edge", "Software\\Microsoft\\Edge\\NativeMessagingHosts"),
        ("chromium", "Software\\Chromium\\NativeMessagingHosts"),
        ("brave", "Software\\BraveSoftware\\Brave-Browser\\NativeMessagingHosts"),
    ],
)
def test_windows_registry_keys_and_no_folders(tmp_path: Path, key: str, registry: str) -> None:
    m = FakeMachine.create(tmp_path, "win32").machine
    browser = by_key(key)
    assert browser.registry_key(meta.HOST_NAME) == f"{registry}\\{meta.HOST_NAME}"
    assert browser.user_manifest_dir(m) is None
    assert browser.system_manifest_dir(m) is None
    assert browser.manifest_dirs(m) == []
    assert str(browser.user_data_dir(m)).startswith(str(m.home / "AppData" / "Local"))


def test_empty_fake_home_detects_nothing(tmp_path: Path) -> None:
    for platform in ("linux", "darwin", "win32"):
        assert detected(FakeMachine.create(tmp_path / platform, platform).machine) == []


def test_detect_by_user_data_folder(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "darwin")
    fake.add_browser("brave")
    assert [b.key for b in detected(fake.machine)] == ["brave"]


def test_detect_by_executable_on_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "google-chrome").write_text("#!/bin/sh\n")
    m = Machine.create(
        home=tmp_path / "home", platform="linux", env={"PATH": str(bin_dir)}, system_root=tmp_path
    )
    assert [b.key for b in detected(m)] == ["chrome"]


def test_detect_by_usual_install_place(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "linux")
    place = fake.system_root / "opt" / "microsoft" / "msedge" / "msedge"
    place.parent.mkdir(parents=True)
    place.write_text("")
    assert detect(by_key("edge"), fake.machine)

    mac = FakeMachine.create(tmp_path / "mac", "darwin")
    (mac.system_root / "Applications" / "Chromium.app").mkdir(parents=True)
    assert [b.key for b in detected(mac.machine)] == ["chromium"]

    win = FakeMachine.create(tmp_path / "win", "win32")
    exe = win.system_root / "Program Files" / "Google" / "Chrome" / "Application" / "chrome.exe"
    exe.parent.mkdir(parents=True)
    exe.write_text("")
    assert [b.key for b in detected(win.machine)] == ["chrome"]


def test_normalize_platform() -> None:
    assert normalize_platform("linux") == "linux"
    assert normalize_platform("freebsd14") == "linux"
    assert normalize_platform("darwin") == "darwin"
    assert normalize_platform("win32") == "win32"
    assert len(BROWSERS) == 4
