"""Text and JSON renderings of doctor checks and installer actions (for people and for scripts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from webbridge.install.doctor import Check
from webbridge.install.installer import Action

__all__ = ["actions_json", "checks_json", "format_actions", "format_checks", "symbols_for"]

_UNICODE = {"ok": "✓", "warn": "!", "fail": "✗"}
_ASCII = {"ok": "ok", "warn": "!!", "fail": "XX"}


def symbols_for(encoding: str | None) -> dict[str, str]:
    """✓/!/✗ when the stream can encode them (a Windows console may not), else ASCII stand-ins."""
    try:
        "".join(_UNICODE.values()).encode(encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return _ASCII
    return _UNICODE


def format_checks(checks: Sequence[Check], *, symbols: dict[str, str] = _UNICODE) -> str:
    """One line per check (``✓ browser  id  message``), with ``fix: ...`` under each one that is not ok."""
    width = max((len(c.id) for c in checks), default=0)
    lines: list[str] = []
    for check in checks:
        browser = check.browser or "-"
        lines.append(f"{symbols[check.status]:<2} {browser:<8} {check.id:<{width}}  {check.message}")
        if check.status != "ok" and check.fix:
            auto = " (doctor --fix can do this)" if check.fixable and "--fix" not in check.fix else ""
            lines.append(f"{'':<{12 + width}}  fix: {check.fix}{auto}")
    fails = sum(c.status == "fail" for c in checks)
    warns = sum(c.status == "warn" for c in checks)
    if fails or warns:
        lines.append(f"\n{fails} problem(s), {warns} warning(s)")
    else:
        lines.append("\nall good")
    return "\n".join(lines)


def format_actions(actions: Sequence[Action]) -> str:
    return "\n".join(str(a) for a in actions) if actions else "nothing to do"


def actions_json(actions: Sequence[Action]) -> list[dict[str, Any]]:
    return [asdict(a) for a in actions]


def checks_json(checks: Sequence[Check]) -> list[dict[str, Any]]:
    return [c.to_json() for c in checks]
