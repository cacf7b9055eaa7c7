"""Doctor, the launcher: present, executable, its interpreter exists and can import the relay, and it is what
``webbridge install`` would write now."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from webbridge.install import launcher as launcher_mod
from webbridge.install.browsers import Machine
from webbridge.install.checks import FIX_HINT, Check, Status
from webbridge.install.record import InstallRecord, Scope

__all__ = ["launcher_checks"]


def launcher_checks(
    launcher: Path, scope: Scope, record: InstallRecord | None, machine: Machine
) -> list[Check]:
    """The findings about the ``scope`` launcher at ``launcher``; stops at the first link that is broken."""

    def check(cid: str, status: Status, message: str, fix: str = "", fixable: bool = False) -> Check:
        return Check(cid, None, status, message, fix, fixable, str(launcher), scope=scope)

    if not launcher.is_file():
        return [check("launcher.present", "fail", f"launcher {launcher} is missing", FIX_HINT, True)]
    out = [check("launcher.present", "ok", f"launcher {launcher}")]
    if machine.platform != "win32":
        if launcher.stat().st_mode & 0o111 == 0:
            out.append(
                check(
                    "launcher.executable",
                    "fail",
                    f"launcher {launcher} is not executable",
                    f"chmod 755 {launcher} (or {FIX_HINT})",
                    True,
                )
            )
        else:
            out.append(check("launcher.executable", "ok", "launcher is executable"))
    try:
        text = launcher.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [*out, check("launcher.interpreter", "fail", f"cannot read {launcher}: {exc}", FIX_HINT, True)]
    interpreter = launcher_mod.interpreter_of(text, machine.platform)
    if interpreter is None:
        out.append(
            check(
                "launcher.interpreter", "fail", f"{launcher} does not start webbridge.relay", FIX_HINT, True
            )
        )
        return out
    if not interpreter.is_file():
        out.append(
            check(
                "launcher.interpreter",
                "fail",
                f"the launcher's Python {interpreter} does not exist",
                f"{FIX_HINT} (points it at {sys.executable})",
                True,
            )
        )
        return out
    out.append(check("launcher.interpreter", "ok", f"runs {interpreter}"))
    problem = _relay_import_problem(interpreter)
    if problem:
        out.append(
            check(
                "launcher.relay",
                "fail",
                f"{interpreter} cannot import webbridge.relay: {problem}",
                "reinstall WebBridge into that Python (installer/install.sh), then `webbridge install`",
            )
        )
    else:
        out.append(check("launcher.relay", "ok", "it can import webbridge.relay"))
    if record is not None and record.python:
        spec = launcher_mod.LauncherSpec.for_ids(
            Path(record.python), record.extension_ids, record.webbridge_home
        )
        if text.replace("\r\n", "\n") != launcher_mod.render(spec, machine.platform):
            out.append(
                check(
                    "launcher.current",
                    "warn",
                    "the launcher differs from what `webbridge install` "
                    "wrote (other Python, home or extension ids)",
                    FIX_HINT,
                    True,
                )
            )
    return out


def _relay_import_problem(interpreter: Path) -> str | None:
    """Whether ``interpreter`` can import the relay, which is what the browser will ask of it."""
    try:
        proc = subprocess.run(
            [str(interpreter), "-c", "import webbridge.relay"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if proc.returncode == 0:
        return None
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit code {proc.returncode}"
