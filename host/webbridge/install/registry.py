"""A tiny interface over the Windows registry: what the installer needs and no more.

Chrome, Edge, Chromium and Brave on Windows find a host through the *default value* of
``HKCU|HKLM\\Software\\<vendor>\\NativeMessagingHosts\\<host name>``, which holds the manifest's path. The
installer sets and deletes such keys; doctor reads them and lists sibling keys to find conflicting hosts.

:class:`WinRegistry` is the real thing (``winreg`` is imported only when a method runs, so this module imports
on every OS). :class:`FakeRegistry` keeps keys in a dict, for tests on any OS.
"""

from __future__ import annotations

import sys
from typing import Literal, Protocol

__all__ = ["FakeRegistry", "Hive", "Registry", "WinRegistry", "default_registry"]

Hive = Literal["HKCU", "HKLM"]


class Registry(Protocol):
    def set_default(self, hive: Hive, key: str, value: str) -> None:
        """Create ``key`` (and parents) if needed and set its default value. Raises ``OSError``."""

    def get_default(self, hive: Hive, key: str) -> str | None:
        """The key's default value, or ``None`` when the key or the value does not exist."""

    def delete_key(self, hive: Hive, key: str) -> bool:
        """Delete ``key`` (which must have no subkeys). Returns ``False`` if it did not exist."""

    def subkeys(self, hive: Hive, key: str) -> list[str]:
        """Names of the direct subkeys of ``key``; empty when it does not exist."""


def _norm(key: str) -> str:
    # The registry is case-insensitive and we always use backslashes.
    return key.replace("/", "\\").strip("\\").lower()


class FakeRegistry:
    """In-memory :class:`Registry`; keys compare case-insensitively like the real one."""

    def __init__(self) -> None:
        self.values: dict[tuple[Hive, str], str | None] = {}
        self._names: dict[tuple[Hive, str], str] = {}

    def set_default(self, hive: Hive, key: str, value: str) -> None:
        parts = key.replace("/", "\\").strip("\\").split("\\")
        for depth in range(1, len(parts) + 1):  # parents exist implicitly, like CreateKeyEx makes them
            partial = "\\".join(parts[:depth])
            self._names.setdefault((hive, _norm(partial)), partial)
            self.values.setdefault((hive, _norm(partial)), None)
        self.values[(hive, _norm(key))] = value

    def get_default(self, hive: Hive, key: str) -> str | None:
        return self.values.get((hive, _norm(key)))

    def delete_key(self, hive: Hive, key: str) -> bool:
        k = (hive, _norm(key))
        if k not in self.values:
            return False
        if self.subkeys(hive, key):
            raise OSError(f"key {key!r} has subkeys")
        del self.values[k]
        self._names.pop(k, None)
        return True

    def subkeys(self, hive: Hive, key: str) -> list[str]:
        prefix = _norm(key) + "\\"
        found: list[str] = []
        for h, name in self.values:
            if h == hive and name.startswith(prefix) and "\\" not in name[len(prefix) :]:
                found.append(self._names[(h, name)].split("\\")[-1])
        return sorted(found)

    def keys(self) -> list[tuple[Hive, str]]:
        """Every key that holds a default value (what tests assert on)."""
        return sorted((h, self._names[(h, k)]) for (h, k), v in self.values.items() if v is not None)


class WinRegistry:
    """The real registry through ``winreg``. Every method raises ``OSError`` off Windows."""

    def set_default(self, hive: Hive, key: str, value: str) -> None:
        if sys.platform != "win32":
            raise OSError("the Windows registry is only available on Windows")
        import winreg

        root = winreg.HKEY_CURRENT_USER if hive == "HKCU" else winreg.HKEY_LOCAL_MACHINE
        with winreg.CreateKeyEx(root, key, 0, winreg.KEY_WRITE) as handle:
            winreg.SetValueEx(handle, "", 0, winreg.REG_SZ, value)

    def get_default(self, hive: Hive, key: str) -> str | None:
        if sys.platform != "win32":
            raise OSError("the Windows registry is only available on Windows")
        import winreg

        root = winreg.HKEY_CURRENT_USER if hive == "HKCU" else winreg.HKEY_LOCAL_MACHINE
        try:
            with winreg.OpenKey(root, key, 0, winreg.KEY_READ) as handle:
                value, kind = winreg.QueryValueEx(handle, "")
        except FileNotFoundError:
            return None
        return value if kind in (winreg.REG_SZ, winreg.REG_EXPAND_SZ) and isinstance(value, str) else None

    def delete_key(self, hive: Hive, key: str) -> bool:
        if sys.platform != "win32":
            raise OSError("the Windows registry is only available on Windows")
        import winreg

        root = winreg.HKEY_CURRENT_USER if hive == "HKCU" else winreg.HKEY_LOCAL_MACHINE
        try:
            winreg.DeleteKey(root, key)
        except FileNotFoundError:
            return False
        return True

    def subkeys(self, hive: Hive, key: str) -> list[str]:
        if sys.platform != "win32":
            raise OSError("the Windows registry is only available on Windows")
        import winreg

        root = winreg.HKEY_CURRENT_USER if hive == "HKCU" else winreg.HKEY_LOCAL_MACHINE
        names: list[str] = []
        try:
            with winreg.OpenKey(root, key, 0, winreg.KEY_READ) as handle:
                index = 0
                while True:
                    try:
                        names.append(winreg.EnumKey(handle, index))
                    except OSError:  # ERROR_NO_MORE_ITEMS
                        return names
                    index += 1
        except FileNotFoundError:
            return []


def default_registry(platform: str) -> Registry | None:
    """The real registry on Windows; ``None`` elsewhere (nothing to write)."""
    return WinRegistry() if platform == "win32" and sys.platform == "win32" else None
