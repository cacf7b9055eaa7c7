"""Where the running daemon's local API listens and whether its token file is safe (standard library only,
for ``webbridge daemon status`` and for scripts that want the URL without importing aiohttp)."""

from __future__ import annotations

import json
from typing import Any

from ..paths import Paths
from .auth import token_problem


def read_api_info(paths: Paths) -> dict[str, Any] | None:
    """``{"url", "port", "pid", "token_file"}`` from ``api.json``, or None when it is missing or does not
    parse (no daemon, or the API is off or could not listen)."""
    try:
        data = json.loads(paths.api_port_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def api_status(paths: Paths, daemon_pid: int | None) -> dict[str, Any]:
    """``{"url", "token_file", "port_file", "token_problem"}``. ``url`` is None unless ``api.json`` was
    written by the daemon ``daemon_pid`` (a file a crashed daemon left behind is not believed);
    ``token_problem`` is :func:`.auth.token_problem`'s finding (L7) or None."""
    info = read_api_info(paths)
    url = info.get("url") if info is not None and info.get("pid") == daemon_pid else None
    return {
        "url": url if isinstance(url, str) else None,
        "token_file": str(paths.api_token),
        "port_file": str(paths.api_port_file),
        "token_problem": token_problem(paths.api_token),
    }


__all__ = ["api_status", "read_api_info"]
