"""The launcher the host manifest points at: a few lines that start ``python -m webbridge.relay``.

Why a launcher and not the ``webbridge-host`` console script: the manifest needs one absolute path that keeps
working whatever PATH the browser was started with, and it must pin the interpreter (the venv's python) and
the settings chosen at install time (``WEBBRIDGE_HOME``, extra extension ids), because the browser starts
the host with *its* environment, not the user's shell's.

- POSIX: ``webbridge-host``, ``#!/bin/sh``, mode 0755, ends in ``exec <python> -m webbridge.relay "$@"``.
- Windows: ``webbridge-host.bat``. Chrome starts ``.bat`` hosts through ``cmd.exe`` and passes the origin and
  ``--parent-window=N``; ``%*`` forwards them.

The launcher sets ``WEBBRIDGE_EXTENSION_IDS`` to exactly the extra ids chosen at install time (and clears it
when there are none), so the relay's allow-list always matches the manifest's ``allowed_origins`` whatever
the browser's environment holds.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from webbridge import meta, paths
from webbridge.install._fs import atomic_write

__all__ = ["LauncherSpec", "interpreter_of", "launcher_path", "render", "resolve_python", "write"]

POSIX_NAME = "webbridge-host"
WINDOWS_NAME = "webbridge-host.bat"
RELAY_MODULE = "webbridge.relay"


@dataclass(frozen=True)
class LauncherSpec:
    """What a launcher pins: the interpreter, ``WEBBRIDGE_HOME`` (if any) and the extra extension ids."""

    python: Path
    webbridge_home: str | None = None
    extra_ids: tuple[str, ...] = ()

    @classmethod
    def for_ids(cls, python: Path, extension_ids: Sequence[str], webbridge_home: str | None) -> LauncherSpec:
        """``extension_ids`` minus the built-in :data:`meta.EXTENSION_ID` become the extra ids."""
        extra = tuple(i for i in dict.fromkeys(extension_ids) if i != meta.EXTENSION_ID)
        return cls(python, webbridge_home or None, extra)


def launcher_path(launcher_dir: Path, platform: str) -> Path:
    return launcher_dir / (WINDOWS_NAME if platform == "win32" else POSIX_NAME)


def resolve_python(executable: str | Path) -> Path:
    """An absolute interpreter path fit for stdio: ``pythonw.exe`` has no console streams, so use
    ``python.exe`` beside it. Symlinks are kept: resolving a venv's ``python`` would leave the venv."""
    path = Path(executable).absolute()
    if path.name.lower() == "pythonw.exe" and (path.parent / "python.exe").exists():
        return path.parent / "python.exe"
    return path


def render(spec: LauncherSpec, platform: str) -> str:
    """The launcher's text (``\\n`` line ends; :func:`write` uses CRLF for ``.bat``)."""
    ids = ",".join(spec.extra_ids)
    if platform == "win32":
        lines = [
            "@echo off",
            "rem WebBridge native-messaging host launcher, written by `webbridge install`.",
            "rem The browser runs it through cmd.exe with the caller's origin and --parent-window=N.",
        ]
        if spec.webbridge_home:
            lines.append(f'set "{paths.HOME_ENV}={_bat_escape(spec.webbridge_home)}"')
        lines.append(f'set "{meta.ALLOWED_IDS_ENV}={ids}"')
        lines.append(f'"{_bat_escape(str(spec.python))}" -m {RELAY_MODULE} %*')
        return "\n".join(lines) + "\n"
    lines = [
        "#!/bin/sh",
        "# WebBridge native-messaging host launcher, written by `webbridge install`.",
        "# The browser runs it with argv[1] = the calling extension's origin (chrome-extension://<id>/).",
    ]
    if spec.webbridge_home:
        lines.append(f"export {paths.HOME_ENV}={shlex.quote(spec.webbridge_home)}")
    if ids:
        lines.append(f"export {meta.ALLOWED_IDS_ENV}={shlex.quote(ids)}")
    else:
        lines.append(f"unset {meta.ALLOWED_IDS_ENV}")
    lines.append(f'exec {shlex.quote(str(spec.python))} -m {RELAY_MODULE} "$@"')
    return "\n".join(lines) + "\n"


def write(path: Path, spec: LauncherSpec, platform: str) -> bool:
    """Write the launcher atomically (0755 on POSIX). Returns ``False`` when it was already exactly so.

    The parent folder must exist. Raises ``OSError``.
    """
    if platform == "win32":
        return atomic_write(path, render(spec, platform), mode=0o644, newline="\r\n")
    return atomic_write(path, render(spec, platform), mode=0o755)


_BAT_EXEC_RE = re.compile(r'^"([^"]+)" -m ' + re.escape(RELAY_MODULE) + r"\b")


def interpreter_of(text: str, platform: str) -> Path | None:
    """The interpreter a launcher's text runs, or ``None`` when it is not one of ours."""
    for raw in reversed(text.splitlines()):
        line = raw.strip()
        if platform == "win32":
            match = _BAT_EXEC_RE.match(line)
            if match:
                return Path(match.group(1).replace("%%", "%"))
        elif line.startswith("exec "):
            try:
                words = shlex.split(line)
            except ValueError:
                return None
            if len(words) >= 4 and words[2:4] == ["-m", RELAY_MODULE]:
                return Path(words[1])
    return None


def _bat_escape(value: str) -> str:
    # Inside a .bat file "%" starts a variable reference even within quotes; "%%" is a literal "%".
    return value.replace("%", "%%")
