"""The registry interface: the in-memory fake behaves like the real one; the real one refuses off Windows."""

from __future__ import annotations

import sys

import pytest

from webbridge.install.registry import FakeRegistry, WinRegistry, default_registry

KEY = "Software\\Google\\Chrome\\NativeMessagingHosts"


def test_fake_registry_set_read_list_delete() -> None:
    reg = FakeRegistry()
    assert reg.get_default("HKCU", f"{KEY}\\com.webbridge.host") is None
    reg.set_default("HKCU", f"{KEY}\\com.webbridge.host", "C:\\wb\\m.json")
    reg.set_default("HKCU", f"{KEY}\\org.other", "C:\\o.json")
    assert (
        reg.get_default("HKCU", f"{KEY.upper()}\\COM.WEBBRIDGE.HOST") == "C:\\wb\\m.json"
    )  # case-insensitive
    assert reg.get_default("HKLM", f"{KEY}\\com.webbridge.host") is None  # hives are separate
    assert reg.get_default("HKCU", KEY) is None  # parents exist but hold no value
    assert reg.subkeys("HKCU", KEY) == ["com.webbridge.host", "org.other"]
    assert reg.keys() == [("HKCU", f"{KEY}\\com.webbridge.host"), ("HKCU", f"{KEY}\\org.other")]
    with pytest.raises(OSError, match="subkeys"):
        reg.delete_key("HKCU", KEY)
    assert reg.delete_key("HKCU", f"{KEY}\\com.webbridge.host") is True
    assert reg.delete_key("HKCU", f"{KEY}\\com.webbridge.host") is False
    assert reg.subkeys("HKCU", KEY) == ["org.other"]
    assert reg.subkeys("HKCU", "Software\\Nothing") == []


@pytest.mark.skipif(sys.platform == "win32", reason="checks the behaviour off Windows")
def test_real_registry_refuses_off_windows() -> None:
    reg = WinRegistry()
    with pytest.raises(OSError, match="only available on Windows"):
        reg.get_default("HKCU", KEY)
    with pytest.raises(OSError):
        reg.set_default("HKCU", KEY, "x")
    assert default_registry("linux") is None
    assert (
        default_registry("win32") is None
    )  # asked for Windows layout on a non-Windows host: no real registry
