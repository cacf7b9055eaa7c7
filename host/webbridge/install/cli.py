"""The ``install``, ``uninstall`` and ``doctor`` sub-commands, registered into the ``webbridge`` CLI.

:func:`add_parsers` adds them to the main parser's sub-parsers; each sets ``func`` to a handler
``(args) -> int``. Exit codes: 0 done / all good, 1 a problem (a write failed, doctor found a failure),
2 usage (argparse's own errors, or a request this OS cannot honour).

Handlers take an optional :class:`Context` so tests can run them against a fake home, registry and daemon.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from webbridge import meta
from webbridge import paths as paths_mod
from webbridge.errors import ConfigError
from webbridge.install import doctor, installer, report
from webbridge.install.browsers import ALL, Machine
from webbridge.install.registry import Registry, default_registry

__all__ = ["Context", "add_parsers", "cmd_doctor", "cmd_install", "cmd_uninstall"]


@dataclass
class Context:
    """Everything a handler would otherwise take from the running process."""

    home: Path
    platform: str
    env: Mapping[str, str]
    paths: paths_mod.Paths
    registry: Registry | None = None
    system_root: Path | None = None
    probe_daemon: doctor.ProbeDaemon | None = None
    start_daemon: doctor.StartDaemon | None = None
    python: Path | None = None
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)

    @classmethod
    def from_process(cls) -> Context:
        env = dict(os.environ)
        return cls(
            home=Path.home(),
            platform=sys.platform,
            env=env,
            paths=paths_mod.resolve(env),
            registry=default_registry(sys.platform),
        )

    def machine_kwargs(self) -> dict[str, Any]:
        return {
            "home": self.home,
            "platform": self.platform,
            "paths": self.paths,
            "registry": self.registry,
            "env": self.env,
            "system_root": self.system_root,
        }


def _extension_id(value: str) -> str:
    if not meta.is_extension_id(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an extension id (32 letters a-p)")
    return value


def add_parsers(subparsers: Any) -> None:
    """Add ``install``, ``uninstall`` and ``doctor`` to an ``argparse`` sub-parsers object."""
    p = subparsers.add_parser(
        "install",
        help="register the native-messaging host with your browsers",
        description="Write the launcher and a host manifest for each browser (registry keys on Windows).",
    )
    p.add_argument(
        "--browser",
        dest="browsers",
        action="append",
        choices=[*ALL, "all"],
        help="repeatable; default: every browser found (Chromium if none), or only --user-data-dir if given",
    )
    p.add_argument("--system", action="store_true", help="install for all users (needs root/administrator)")
    p.add_argument(
        "--extension-id",
        dest="extension_ids",
        action="append",
        default=[],
        type=_extension_id,
        metavar="ID",
        help=f"also allow this extension id (repeatable; {meta.EXTENSION_ID} is always allowed)",
    )
    p.add_argument(
        "--user-data-dir",
        type=Path,
        metavar="DIR",
        help="a browser started with --user-data-dir=DIR reads DIR/NativeMessagingHosts (Linux, macOS)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_install)

    p = subparsers.add_parser(
        "uninstall",
        help="remove exactly what `webbridge install` wrote",
        description="Remove the manifests, registry keys and launcher listed in the install record.",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_uninstall)

    p = subparsers.add_parser(
        "doctor",
        help="check the browser-to-daemon chain and say how to fix it",
        description="Check manifests, launcher, conflicting hosts, the daemon and pairing.",
    )
    p.add_argument("--fix", action="store_true", help="repair what can be repaired, then check again")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--user-data-dir",
        dest="user_data_dirs",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="also check DIR/NativeMessagingHosts (repeatable)",
    )
    p.set_defaults(func=cmd_doctor)


def _choose_browsers(requested: Sequence[str] | None, user_data_dir: Path | None, ctx: Context) -> list[str]:
    if requested:
        return list(ALL) if "all" in requested else list(dict.fromkeys(requested))
    if user_data_dir is not None:
        return []
    machine = Machine.create(home=ctx.home, platform=ctx.platform, env=ctx.env, system_root=ctx.system_root)
    return installer.default_browsers(machine)


def _dump(ctx: Context, value: Any) -> None:
    print(json.dumps(value, indent=2), file=ctx.out)


def cmd_install(args: argparse.Namespace, ctx: Context | None = None) -> int:
    ctx = ctx or Context.from_process()
    browsers = _choose_browsers(args.browsers, args.user_data_dir, ctx)
    try:
        result = installer.install(
            browsers,
            system=args.system,
            extension_ids=args.extension_ids,
            user_data_dir=args.user_data_dir,
            python=ctx.python,
            **ctx.machine_kwargs(),
        )
    except installer.UsageError as exc:
        print(f"webbridge install: {exc}", file=ctx.err)
        return 2
    except ConfigError as exc:
        print(f"webbridge install: {exc.message}", file=ctx.err)
        return 1
    except OSError as exc:
        hint = " (use sudo / an administrator shell for --system)" if args.system else ""
        print(f"webbridge install: {exc}{hint}", file=ctx.err)
        return 1
    if args.json:
        _dump(
            ctx,
            {
                "ok": True,
                "actions": report.actions_json(result.actions),
                "launcher": str(result.launcher),
                "manifests": [str(t.manifest) for t in result.targets],
                "record": str(result.record),
                "notes": result.notes,
            },
        )
        return 0
    print(report.format_actions(result.actions), file=ctx.out)
    print(f"install record: {result.record}", file=ctx.out)
    for note in result.notes:
        print(f"note: {note}", file=ctx.out)
    print(
        "next: load the extension, then run `webbridge pair` (and `webbridge doctor` if it cannot connect)",
        file=ctx.out,
    )
    return 0


def cmd_uninstall(args: argparse.Namespace, ctx: Context | None = None) -> int:
    ctx = ctx or Context.from_process()
    try:
        result = installer.uninstall(**ctx.machine_kwargs())
    except (installer.UsageError, ConfigError, OSError) as exc:
        print(f"webbridge uninstall: {exc}", file=ctx.err)
        return 1
    if args.json:
        _dump(ctx, {"ok": True, "actions": report.actions_json(result.actions), "notes": result.notes})
        return 0
    if result.actions:
        print(report.format_actions(result.actions), file=ctx.out)
    for note in result.notes:
        print(note, file=ctx.out)
    return 0


def cmd_doctor(args: argparse.Namespace, ctx: Context | None = None) -> int:
    ctx = ctx or Context.from_process()
    kwargs = ctx.machine_kwargs()
    checks = doctor.run_checks(user_data_dirs=args.user_data_dirs, probe_daemon=ctx.probe_daemon, **kwargs)
    actions = []
    if args.fix:
        actions = doctor.fix(checks, start_daemon=ctx.start_daemon, python=ctx.python, **kwargs)
        if actions:
            checks = doctor.run_checks(
                user_data_dirs=args.user_data_dirs, probe_daemon=ctx.probe_daemon, **kwargs
            )
    failed = any(c.status == "fail" for c in checks)
    if args.json:
        _dump(
            ctx,
            {
                "ok": not failed,
                "checks": report.checks_json(checks),
                "fixed": report.actions_json(actions),
            },
        )
        return 1 if failed else 0
    if args.fix:
        print("repairs:", file=ctx.out)
        for line in report.format_actions(actions).splitlines():
            print(f"  {line}", file=ctx.out)
        print(file=ctx.out)
    symbols = report.symbols_for(getattr(ctx.out, "encoding", None))
    print(report.format_checks(checks, symbols=symbols), file=ctx.out)
    return 1 if failed else 0
