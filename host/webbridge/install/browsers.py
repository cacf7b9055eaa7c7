"""Where each supported browser looks for native-messaging host manifests, per OS, and whether it is here.

Sources (checked when this table was written):

- Chrome and Chromium: developer.chrome.com "Native messaging", section "Native messaging host location".
  Linux user: ``~/.config/google-chrome`` or ``~/.config/chromium``, then ``NativeMessagingHosts``.
  Linux system: ``/etc/opt/chrome/native-messaging-hosts``, ``/etc/chromium/native-messaging-hosts``.
  macOS user: ``~/Library/Application Support/Google/Chrome`` (or ``.../Chromium``), then the same.
  macOS system: ``/Library/Google/Chrome/NativeMessagingHosts``,
  ``/Library/Application Support/Chromium/NativeMessagingHosts``.
  Windows: the default value of ``HKCU|HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts\\<name>``
  (``Software\\Chromium\\...`` for Chromium) holds the manifest's path.
- Edge: learn.microsoft.com "Native messaging" (Edge extensions). Linux ``~/.config/microsoft-edge`` and
  ``/etc/opt/edge/native-messaging-hosts``; macOS ``~/Library/Application Support/Microsoft Edge`` and
  ``/Library/Microsoft/Edge/NativeMessagingHosts``; Windows
  ``Software\\Microsoft\\Edge\\NativeMessagingHosts``.
- Brave documents none of this; what other hosts ship and what Brave reads in practice:
  ``~/.config/BraveSoftware/Brave-Browser`` and ``/etc/opt/brave/native-messaging-hosts`` on Linux,
  ``~/Library/Application Support/BraveSoftware/Brave-Browser`` (user) and the same under ``/Library`` on
  macOS, ``Software\\BraveSoftware\\Brave-Browser\\NativeMessagingHosts`` on Windows.

In every Chromium-family browser on Linux and macOS the *user* folder is
``<user data dir>/NativeMessagingHosts``: a browser started with ``--user-data-dir=DIR`` reads
``DIR/NativeMessagingHosts`` instead (see ``BROWSER-TESTING.md``). Windows has no such per-profile folder:
the registry serves every profile.

Nothing here reads the real machine unless asked to: every function takes a :class:`Machine` (home,
platform, environment, system root), so tests lay out a fake Linux, macOS or Windows home on any OS.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = [
    "ALL",
    "BROWSERS",
    "OS",
    "Browser",
    "Machine",
    "by_key",
    "detect",
    "detected",
    "normalize_platform",
]

OS = Literal["linux", "darwin", "win32"]

NMH_DIR = "NativeMessagingHosts"


def normalize_platform(platform: str) -> OS:
    """Map ``sys.platform`` values onto the three layouts we know (BSDs use the Linux layout)."""
    if platform == "win32" or platform == "cygwin":
        return "win32"
    if platform == "darwin":
        return "darwin"
    return "linux"


@dataclass(frozen=True)
class Machine:
    """The facts about this computer the installer needs, all injectable.

    ``system_root`` prefixes every system-wide location (``/etc/...``, ``/Library/...``, ``C:\\ProgramData``)
    so tests can exercise ``--system`` in a temporary folder. ``env`` replaces ``os.environ`` (PATH,
    XDG_CONFIG_HOME, LOCALAPPDATA, ProgramFiles, WEBBRIDGE_HOME ...).
    """

    home: Path
    platform: OS
    env: Mapping[str, str] = field(default_factory=dict)
    system_root: Path = Path("/")

    @classmethod
    def create(
        cls,
        *,
        home: Path | None = None,
        platform: str | None = None,
        env: Mapping[str, str] | None = None,
        system_root: Path | None = None,
    ) -> Machine:
        """Fill whatever is not given from the running process."""
        os_name = normalize_platform(platform or sys.platform)
        environ = dict(os.environ) if env is None else dict(env)
        if system_root is None:
            system_root = Path(environ.get("SystemDrive", "C:") + "\\") if os_name == "win32" else Path("/")
        return cls(Path(home) if home is not None else Path.home(), os_name, environ, system_root)

    # --- well-known folders ----------------------------------------------------------------------------

    def config_home(self) -> Path:
        """Linux: ``$XDG_CONFIG_HOME`` (when absolute) else ``~/.config``; Chrome uses the same rule."""
        xdg = self.env.get("XDG_CONFIG_HOME", "")
        return Path(xdg) if xdg and Path(xdg).is_absolute() else self.home / ".config"

    def app_support(self) -> Path:
        return self.home / "Library" / "Application Support"

    def local_appdata(self) -> Path:
        value = self.env.get("LOCALAPPDATA")
        return Path(value) if value else self.home / "AppData" / "Local"

    def program_dirs(self) -> list[Path]:
        """Windows: where browsers install themselves (machine-wide and per-user)."""
        found: list[Path] = []
        for name, default in (
            ("ProgramFiles", "Program Files"),
            ("ProgramFiles(x86)", "Program Files (x86)"),
        ):
            value = self.env.get(name)
            found.append(Path(value) if value else self.system_root / default)
        found.append(self.local_appdata())
        return found

    def sys_path(self, posix: str) -> Path:
        """A system-wide POSIX path (``/etc/...``) under :attr:`system_root`."""
        return self.system_root / posix.lstrip("/")

    def search_path(self) -> list[Path]:
        sep = ";" if self.platform == "win32" else ":"
        return [Path(p) for p in self.env.get("PATH", "").split(sep) if p]


@dataclass(frozen=True)
class Browser:
    """One Chromium-family browser. Paths are relative to the roots :class:`Machine` computes."""

    key: str
    label: str
    linux_config: str  # under $XDG_CONFIG_HOME (or ~/.config): the default user data dir
    linux_system: str  # absolute POSIX path, re-rooted at Machine.system_root
    darwin_config: str  # under ~/Library/Application Support
    darwin_system: str  # absolute POSIX path, re-rooted at Machine.system_root
    win_user_data: str  # under %LOCALAPPDATA%
    win_registry: str  # HKCU/HKLM key holding one subkey per host name
    linux_executables: tuple[str, ...]  # names looked up on PATH
    linux_places: tuple[str, ...]  # absolute paths, re-rooted at Machine.system_root
    darwin_apps: tuple[str, ...]  # bundle names in /Applications or ~/Applications
    win_executables: tuple[str, ...]  # relative to Program Files, Program Files (x86), %LOCALAPPDATA%

    # --- locations -------------------------------------------------------------------------------------

    def user_data_dir(self, machine: Machine) -> Path:
        """The browser's default user data folder (its profiles live inside)."""
        if machine.platform == "linux":
            return machine.config_home() / self.linux_config
        if machine.platform == "darwin":
            return machine.app_support() / self.darwin_config
        return machine.local_appdata() / Path(*self.win_user_data.split("/"))

    def user_manifest_dir(self, machine: Machine) -> Path | None:
        """Per-user manifest folder on Linux/macOS; ``None`` on Windows (the registry points at the file)."""
        if machine.platform == "win32":
            return None
        return self.user_data_dir(machine) / NMH_DIR

    def system_manifest_dir(self, machine: Machine) -> Path | None:
        """System-wide manifest folder on Linux/macOS (needs root); ``None`` on Windows (HKLM instead)."""
        if machine.platform == "linux":
            return machine.sys_path(self.linux_system)
        if machine.platform == "darwin":
            return machine.sys_path(self.darwin_system)
        return None

    def registry_key(self, host_name: str) -> str:
        """``Software\\...\\NativeMessagingHosts\\<host_name>``; its default value is the manifest's path."""
        return f"{self.win_registry}\\{host_name}"

    def manifest_dirs(self, machine: Machine) -> list[Path]:
        """Every folder this browser reads manifests from here (user first, as the browser looks)."""
        return [d for d in (self.user_manifest_dir(machine), self.system_manifest_dir(machine)) if d]

    # --- detection -------------------------------------------------------------------------------------

    def executables(self, machine: Machine) -> list[Path]:
        """The usual install locations of the browser binary on this OS (existing or not)."""
        if machine.platform == "linux":
            return [machine.sys_path(p) for p in self.linux_places]
        if machine.platform == "darwin":
            roots = [machine.sys_path("/Applications"), machine.home / "Applications"]
            return [root / app for root in roots for app in self.darwin_apps]
        roots = machine.program_dirs()
        return [root / Path(*rel.split("/")) for root in roots for rel in self.win_executables]

    def find_executable(self, machine: Machine) -> Path | None:
        for candidate in self.executables(machine):
            if candidate.exists():
                return candidate
        if machine.platform == "linux":
            for folder in machine.search_path():
                for name in self.linux_executables:
                    if (folder / name).is_file():
                        return folder / name
        return None


BROWSERS: tuple[Browser, ...] = (
    Browser(
        key="chrome",
        label="Google Chrome",
        linux_config="google-chrome",
        linux_system="/etc/opt/chrome/native-messaging-hosts",
        darwin_config="Google/Chrome",
        darwin_system="/Library/Google/Chrome/NativeMessagingHosts",
        win_user_data="Google/Chrome/User Data",
        win_registry="Software\\Google\\Chrome\\NativeMessagingHosts",
        linux_executables=("google-chrome", "google-chrome-stable"),
        linux_places=("/opt/google/chrome/chrome",),
        darwin_apps=("Google Chrome.app",),
        win_executables=("Google/Chrome/Application/chrome.exe",),
    ),
    Browser(
        key="edge",
        label="Microsoft Edge",
        linux_config="microsoft-edge",
        linux_system="/etc/opt/edge/native-messaging-hosts",
        darwin_config="Microsoft Edge",
        darwin_system="/Library/Microsoft/Edge/NativeMessagingHosts",
        win_user_data="Microsoft/Edge/User Data",
        win_registry="Software\\Microsoft\\Edge\\NativeMessagingHosts",
        linux_executables=("microsoft-edge", "microsoft-edge-stable"),
        linux_places=("/opt/microsoft/msedge/msedge",),
        darwin_apps=("Microsoft Edge.app",),
        win_executables=("Microsoft/Edge/Application/msedge.exe",),
    ),
    Browser(
        key="chromium",
        label="Chromium",
        linux_config="chromium",
        linux_system="/etc/chromium/native-messaging-hosts",
        darwin_config="Chromium",
        darwin_system="/Library/Application Support/Chromium/NativeMessagingHosts",
        win_user_data="Chromium/User Data",
        win_registry="Software\\Chromium\\NativeMessagingHosts",
        linux_executables=("chromium", "chromium-browser"),
        linux_places=("/usr/lib/chromium/chromium", "/usr/lib64/chromium-browser/chromium-browser"),
        darwin_apps=("Chromium.app",),
        win_executables=("Chromium/Application/chrome.exe",),
    ),
    Browser(
        key="brave",
        label="Brave",
        linux_config="BraveSoftware/Brave-Browser",
        linux_system="/etc/opt/brave/native-messaging-hosts",
        darwin_config="BraveSoftware/Brave-Browser",
        darwin_system="/Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        win_user_data="BraveSoftware/Brave-Browser/User Data",
        win_registry="Software\\BraveSoftware\\Brave-Browser\\NativeMessagingHosts",
        linux_executables=("brave-browser", "brave", "brave-browser-stable"),
        linux_places=("/opt/brave.com/brave/brave",),
        darwin_apps=("Brave Browser.app",),
        win_executables=("BraveSoftware/Brave-Browser/Application/brave.exe",),
    ),
)

#: Browser keys in table order; also the valid values of ``--browser`` (besides ``all``).
ALL: tuple[str, ...] = tuple(b.key for b in BROWSERS)


def by_key(key: str) -> Browser:
    """Raises ``KeyError`` for an unknown browser key."""
    for browser in BROWSERS:
        if browser.key == key:
            return browser
    raise KeyError(key)


def detect(browser: Browser, machine: Machine) -> bool:
    """True when the browser's user data folder exists or its executable is on PATH / in the usual place."""
    return browser.user_data_dir(machine).is_dir() or browser.find_executable(machine) is not None


def detected(machine: Machine, among: Sequence[Browser] = BROWSERS) -> list[Browser]:
    return [b for b in among if detect(b, machine)]
