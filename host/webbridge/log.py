"""Logging for the daemon and CLI: named loggers to stderr and a rotating file, never stdout.

Message bodies, page content and keys are not logged unless ``log_content`` is on.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup(level: str, log_dir: Path | None, *, stderr: bool = True) -> None:
    """Configure the ``webbridge`` logger tree. Idempotent: replaces handlers it installed before."""
    root = logging.getLogger("webbridge")
    for handler in list(root.handlers):
        if getattr(handler, "_webbridge", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    root.propagate = False
    formatter = logging.Formatter(FORMAT)
    handlers: list[logging.Handler] = []
    if stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_dir / "daemon.log", maxBytes=5_000_000, backupCount=3, encoding="utf-8"
            )
        )
    for handler in handlers:
        handler.setFormatter(formatter)
        handler._webbridge = True  # type: ignore[attr-defined]
        root.addHandler(handler)
