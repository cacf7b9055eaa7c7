"""The launcher: POSIX shell script and Windows .bat, atomic, and it really runs the relay's interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from webbridge import meta
from webbridge.install import launcher as L

OTHER_ID = "abcdefghijklmnopabcdefghijklmnop"


def test_posix_launcher_text_and_mode(tmp_path: Path) -> None:
    spec = L.LauncherSpec.for_ids(Path("/opt/py 3/bin/python"), [meta.EXTENSION_ID, OTHER_ID], "/srv/wb home")
    assert spec.extra_ids == (OTHER_ID,)
    path = L.launcher_path(tmp_path, "linux")
    assert path.name == "webbridge-host"
    assert L.write(path, spec, "linux") is True
    text = path.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert "export WEBBRIDGE_HOME='/srv/wb home'\n" in text
    assert f"export {meta.ALLOWED_IDS_ENV}={OTHER_ID}\n" in text
    assert text.rstrip().endswith("""exec '/opt/py 3/bin/python' -m webbridge.relay "$@\"""")
    assert path.stat().st_mode & 0o777 == 0o755
    assert L.interpreter_of(text, "linux") == Path("/opt/py 3/bin/python")
    assert L.write(path, spec, "linux") is False  # identical: untouched
    assert list(tmp_path.iterdir()) == [path]  # no temp files left behind


def test_posix_launcher_without_extras_clears_the_variable(tmp_path: Path) -> None:
    spec = L.LauncherSpec.for_ids(Path("/usr/bin/python3"), [meta.EXTENSION_ID], None)
    text = L.render(spec, "linux")
    assert f"unset {meta.ALLOWED_IDS_ENV}\n" in text
    assert "WEBBRIDGE_HOME" not in text


def test_windows_launcher_is_a_bat_with_crlf(tmp_path: Path) -> None:
    spec = L.LauncherSpec.for_ids(Path("C:/Py 100%/python.exe"), [OTHER_ID], "D:\\wb")
    path = L.launcher_path(tmp_path, "win32")
    assert path.name == "webbridge-host.bat"
    L.write(path, spec, "win32")
    raw = path.read_bytes()
    assert raw.startswith(b"@echo off\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    text = raw.decode()
    assert 'set "WEBBRIDGE_HOME=D:\\wb"' in text
    assert f'set "{meta.ALLOWED_IDS_ENV}={OTHER_ID}"' in text
    assert '"C:/Py 100%%/python.exe" -m webbridge.relay %*' in text
    assert L.interpreter_of(text, "win32") == Path("C:/Py 100%/python.exe")


def test_interpreter_of_a_foreign_script() -> None:
    assert L.interpreter_of("#!/bin/sh\nexec node host.js\n", "linux") is None
    assert L.interpreter_of("@echo off\nnode host.js %*\n", "win32") is None


def test_resolve_python_prefers_console_python(tmp_path: Path) -> None:
    (tmp_path / "python.exe").write_text("")
    assert L.resolve_python(tmp_path / "pythonw.exe") == tmp_path / "python.exe"
    assert L.resolve_python(tmp_path / "python3") == tmp_path / "python3"


@pytest.mark.skipif(os.name != "posix", reason="runs the /bin/sh launcher")
def test_posix_launcher_execs_the_interpreter_with_the_browser_arguments(tmp_path: Path) -> None:
    # A stand-in "python" that reports how it was called: the launcher must pass `-m webbridge.relay`, the
    # browser's arguments unchanged, and the pinned environment.
    fake_python = tmp_path / "python"
    fake_python.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"print(json.dumps([sys.argv[1:], os.environ.get('WEBBRIDGE_HOME'), "
        f"os.environ.get('{meta.ALLOWED_IDS_ENV}')]))\n"
    )
    fake_python.chmod(0o755)
    path = L.launcher_path(tmp_path, "linux")
    L.write(path, L.LauncherSpec.for_ids(fake_python, [meta.EXTENSION_ID], str(tmp_path / "wb")), "linux")
    origin = meta.origin_of(meta.EXTENSION_ID)
    env = {"PATH": "/usr/bin:/bin", meta.ALLOWED_IDS_ENV: "smuggled"}
    out = subprocess.run(
        [str(path), origin, "--parent-window=0"], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == (
        f'[["-m", "webbridge.relay", "{origin}", "--parent-window=0"], "{tmp_path / "wb"}", null]'
    )
