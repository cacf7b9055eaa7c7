"""What the CLI commands that talk to the daemon share: where the daemon is, and how a failed call ends.

A command catches :class:`~webbridge.errors.WebBridgeError` around its control calls and returns
:func:`failed`'s exit code: 7 when the daemon is unavailable, 1 for any other error it reported.
"""

from __future__ import annotations

from typing import TextIO

from ..errors import DaemonUnavailable, WebBridgeError
from ..paths import Paths

__all__ = ["EXIT_FAILED", "EXIT_UNAVAILABLE", "configured_paths", "failed"]

EXIT_FAILED = 1
EXIT_UNAVAILABLE = 7


def configured_paths() -> Paths:
    """The paths of the configured install (``config.load().paths``). Raises what ``config.load`` raises."""
    from .. import config

    return config.load().paths


def failed(exc: WebBridgeError, err: TextIO) -> int:
    """Write ``webbridge: <error>`` to ``err``; the exit code: 7 if the daemon is unavailable, else 1."""
    err.write(f"webbridge: {exc}\n")
    return EXIT_UNAVAILABLE if isinstance(exc, DaemonUnavailable) else EXIT_FAILED
