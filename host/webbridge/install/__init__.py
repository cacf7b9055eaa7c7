"""Register the native-messaging host with Chrome, Edge, Chromium and Brave on Linux, macOS and Windows,
and check (``doctor``) that the whole chain from the browser to the daemon works.

Modules: :mod:`.browsers` (where each browser looks, and is it here), :mod:`.registry` (Windows registry,
real and fake), :mod:`.launcher` (the script the manifest points at), :mod:`.manifest` (build and validate),
:mod:`.record` (what install wrote), :mod:`.targets` (where each file goes), :mod:`.installer`
(install/uninstall), :mod:`.doctor` (runs the checks in :mod:`.checks`, one module per area; :mod:`.repair`
fixes what they find), :mod:`.conflicts` (other manifests that claim us), :mod:`.report` (text/JSON output),
:mod:`.cli` (the sub-commands) and :mod:`.testing` (a fake Linux/macOS/Windows home for tests).
"""

from __future__ import annotations

from webbridge.install.doctor import Check, fix, run_checks
from webbridge.install.installer import Action, InstallResult, UninstallResult, UsageError, install, uninstall
from webbridge.install.registry import FakeRegistry, Registry, WinRegistry

__all__ = [
    "Action",
    "Check",
    "FakeRegistry",
    "InstallResult",
    "Registry",
    "UninstallResult",
    "UsageError",
    "WinRegistry",
    "fix",
    "install",
    "run_checks",
    "uninstall",
]
