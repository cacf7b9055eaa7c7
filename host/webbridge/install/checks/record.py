"""Doctor, the install record: is WebBridge installed, and can its record be read."""

from __future__ import annotations

from webbridge.errors import ConfigError
from webbridge.install.checks import Check
from webbridge.install.record import InstallRecord
from webbridge.paths import Paths

__all__ = ["record_check"]


def record_check(paths: Paths) -> tuple[InstallRecord | None, Check]:
    """The install record (``None`` when missing or unreadable) and the finding about it."""
    where = str(paths.install_record)
    try:
        record = InstallRecord.load(paths.install_record)
    except ConfigError as exc:
        fix = f"move {where} aside and run `webbridge install`"
        return None, Check("install.record", None, "fail", exc.message, fix, path=where)
    if record is None:
        fix = "run `webbridge install` (or `webbridge doctor --fix`)"
        return None, Check(
            "install.record", None, "warn", "not installed (no install record)", fix, path=where
        )
    return record, Check("install.record", None, "ok", f"install record {where}", path=where)
