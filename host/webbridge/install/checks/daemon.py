"""Doctor, the daemon: is it running, does it accept its key store, and is any browser paired."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from webbridge.errors import DaemonUnavailable, WebBridgeError
from webbridge.install.checks import FIX_HINT, Check
from webbridge.paths import Paths

__all__ = ["ProbeDaemon", "daemon_checks"]

#: Returns the daemon's status (``{"version", "pairings", "bridges", ...}``) or raises DaemonUnavailable.
ProbeDaemon = Callable[[], Mapping[str, Any]]

PAIR_HINT = "run `webbridge pair` and click Pair in the extension popup"
PAIR_RESET_HINT = "run `webbridge pair --reset` (the bad file is kept aside), then pair your browsers again"


def _default_probe(paths: Paths) -> ProbeDaemon:
    from webbridge.daemon import client  # lazy: doctor must work without the daemon's dependencies

    return lambda: client.probe(paths)


def daemon_checks(probe_daemon: ProbeDaemon | None, paths: Paths) -> list[Check]:
    """The daemon as ``probe_daemon`` (default ``webbridge.daemon.client.probe(paths)``) finds it, then its
    key store and pairings as it reports them."""
    if probe_daemon is None:
        try:
            probe_daemon = _default_probe(paths)
        except ImportError as exc:
            return [
                Check(
                    "daemon",
                    None,
                    "fail",
                    f"daemon client unavailable ({exc})",
                    "reinstall WebBridge (installer/install.sh)",
                )
            ]
    try:
        status = probe_daemon()
    except (WebBridgeError, OSError) as exc:
        message = exc.message if isinstance(exc, WebBridgeError) else str(exc)
        if not isinstance(exc, DaemonUnavailable):
            message = f"daemon not reachable: {message}"
        return [
            Check(
                "daemon",
                None,
                "fail",
                message,
                "`webbridge daemon start` (the relay also starts it when the browser connects), "
                f"or {FIX_HINT}",
                True,
            )
        ]
    bridges = status.get("bridges") or []
    out = [
        Check(
            "daemon",
            None,
            "ok",
            f"daemon {status.get('version', '?')} running, {len(bridges)} browser connection(s)",
        )
    ]
    problem = status.get("keystore_problem")
    if problem:  # C13: the daemon refuses its key file until the user resets it and pairs again
        out.append(Check("keystore", None, "fail", str(problem), PAIR_RESET_HINT))
    pairings = status.get("pairings")
    count = pairings if isinstance(pairings, int) else len(pairings) if isinstance(pairings, list) else 0
    if count >= 1:
        out.append(Check("pairing", None, "ok", f"{count} paired browser(s)"))
    else:
        out.append(Check("pairing", None, "warn", "no browser is paired yet", PAIR_HINT))
    return out
