"""install/uninstall/doctor sub-commands (parsers, handlers, exit codes, JSON) and installer/install.sh."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from webbridge import meta
from webbridge.errors import DaemonUnavailable
from webbridge.install.cli import Context, add_parsers
from webbridge.install.testing import FakeMachine

ROOT = Path(__file__).resolve().parents[2]
OTHER_ID = "abcdefghijklmnopabcdefghijklmnop"
NAME = "com.webbridge.host.json"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="webbridge")
    add_parsers(p.add_subparsers(dest="command", required=True))
    return p


def context(fake: FakeMachine, *, daemon_up: bool = True) -> Context:
    def probe() -> dict[str, object]:
        if not daemon_up:
            raise DaemonUnavailable("daemon not reachable")
        return {"version": "0.1.0", "pairings": 1, "bridges": []}

    return Context(
        home=fake.home,
        platform=fake.platform,
        env=fake.env,
        paths=fake.paths,
        registry=fake.registry,
        system_root=fake.system_root,
        probe_daemon=probe,
        start_daemon=lambda: None,
        python=Path(sys.executable),
        out=io.StringIO(),
        err=io.StringIO(),
    )


def run(ctx: Context, *argv: str) -> int:
    args = parser().parse_args(argv)
    code: int = args.func(args, ctx)
    return code


def out(ctx: Context) -> str:
    assert isinstance(ctx.out, io.StringIO)
    return ctx.out.getvalue()


def test_parsers() -> None:
    args = parser().parse_args(
        ["install", "--browser", "chrome", "--browser", "edge", "--extension-id", OTHER_ID, "--json"]
    )
    assert (args.browsers, args.extension_ids, args.json, args.system) == (
        ["chrome", "edge"],
        [OTHER_ID],
        True,
        False,
    )
    args = parser().parse_args(["doctor", "--fix", "--user-data-dir", "/a", "--user-data-dir", "/b"])
    assert args.fix and args.user_data_dirs == [Path("/a"), Path("/b")]
    assert parser().parse_args(["uninstall"]).func.__name__ == "cmd_uninstall"


@pytest.mark.parametrize(
    "argv",
    [["install", "--extension-id", "short"], ["install", "--browser", "firefox"], ["doctor", "--nope"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parser().parse_args(argv)
    assert exc.value.code == 2


def test_install_defaults_to_detected_browsers_then_chromium(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path / "a", "linux")
    ctx = context(fake)
    assert run(ctx, "install") == 0
    assert (fake.home / ".config/chromium/NativeMessagingHosts" / NAME).is_file()
    assert "created   manifest" in out(ctx)

    fake = FakeMachine.create(tmp_path / "b", "linux")
    fake.add_browser("brave")
    assert run(context(fake), "install") == 0
    assert (fake.home / ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts" / NAME).is_file()
    assert not (fake.home / ".config/chromium").exists()


def test_install_all_json_and_uninstall(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "darwin")
    ctx = context(fake)
    assert run(ctx, "install", "--browser", "all", "--extension-id", OTHER_ID, "--json") == 0
    report = json.loads(out(ctx))
    assert report["ok"] is True and len(report["manifests"]) == 4
    assert {a["verb"] for a in report["actions"]} == {"created"}
    assert all(
        meta.origin_of(OTHER_ID) in json.loads(Path(m).read_text())["allowed_origins"]
        for m in report["manifests"]
    )

    ctx = context(fake)
    assert run(ctx, "uninstall", "--json") == 0
    assert {a["verb"] for a in json.loads(out(ctx))["actions"]} <= {"removed", "rmdir"}
    assert fake.files() == []
    ctx = context(fake)
    assert run(ctx, "uninstall") == 0
    assert "nothing to uninstall" in out(ctx)


def test_install_user_data_dir_only(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "linux")
    profile = tmp_path / "profile"
    ctx = context(fake)
    assert run(ctx, "install", "--user-data-dir", str(profile)) == 0
    assert (profile / "NativeMessagingHosts" / NAME).is_file()
    assert not (fake.home / ".config").exists()


def test_install_reports_os_specific_misuse_as_usage(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "win32")
    ctx = context(fake)
    assert run(ctx, "install", "--user-data-dir", str(tmp_path / "p")) == 2
    assert "not used on Windows" in ctx.err.getvalue()  # type: ignore[attr-defined]


def test_install_write_failure_exits_1(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "linux")
    (fake.system_root / "etc").mkdir(parents=True)
    (fake.system_root / "etc" / "opt").write_text("not a folder")
    ctx = context(fake)
    assert run(ctx, "install", "--system", "--browser", "chrome") == 1
    assert "--system" in ctx.err.getvalue()  # type: ignore[attr-defined]


def test_doctor_exit_codes_text_json_and_fix(tmp_path: Path) -> None:
    fake = FakeMachine.create(tmp_path, "linux")
    fake.add_browser("chromium")
    assert run(context(fake), "install") == 0

    ctx = context(fake)
    assert run(ctx, "doctor") == 0
    assert "all good" in out(ctx)

    (fake.home / ".config/chromium/NativeMessagingHosts" / NAME).unlink()
    ctx = context(fake, daemon_up=False)
    assert run(ctx, "doctor", "--json") == 1
    report = json.loads(out(ctx))
    assert report["ok"] is False
    failing = {(c["id"], c["browser"]) for c in report["checks"] if c["status"] == "fail"}
    assert failing == {("manifest.present", "chromium"), ("daemon", None)}

    ctx = context(fake)  # its start_daemon "starts" it: the probe in this context answers
    assert run(ctx, "doctor", "--fix") == 0
    text = out(ctx)
    assert "repairs:" in text and "created   manifest" in text and "all good" in text


def test_lead_cli_registers_our_commands() -> None:
    main = pytest.importorskip("webbridge.cli.main")
    args = main.build_parser().parse_args(["doctor", "--json"])
    assert args.func.__name__ == "cmd_doctor"


@pytest.mark.skipif(os.name != "posix", reason="POSIX installer script")
def test_install_sh_with_the_current_interpreter(tmp_path: Path) -> None:
    import webbridge

    if not Path(webbridge.__file__).resolve().is_relative_to(ROOT / "host"):
        pytest.skip("webbridge is not an editable install of this checkout; the script would pip-install it")
    home = tmp_path / "home"
    home.mkdir()
    profile = tmp_path / "profile"
    env = {
        "HOME": str(home),
        "WEBBRIDGE_HOME": str(tmp_path / "wb"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "LANG": "C.UTF-8",
    }
    script = ROOT / "installer" / "install.sh"
    proc = subprocess.run(
        ["sh", str(script), "--no-venv", "--python", sys.executable, "--user-data-dir", str(profile)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "already installed" in proc.stdout  # the editable install from this checkout: no pip run
    manifest = profile / "NativeMessagingHosts" / NAME
    launcher = json.loads(manifest.read_text())["path"]
    assert launcher == str(tmp_path / "wb" / "data" / "bin" / "webbridge-host")
    assert f"exec {sys.executable} -m webbridge.relay" in Path(launcher).read_text()
    assert "launcher.relay" in proc.stdout  # doctor ran
    assert not list(home.iterdir())  # nothing in the (fake) home: only the profile was asked for

    bad = subprocess.run(
        ["sh", str(script), "--no-venv", "--python", sys.executable, "--browser", "firefox"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert bad.returncode != 0

    helped = subprocess.run(
        ["sh", str(script), "--help"], capture_output=True, text=True, env=env, check=False
    )
    assert helped.returncode == 0 and "--no-venv" in helped.stdout
