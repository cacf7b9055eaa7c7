"""Requests over a channel that did not complete (4xxx), and :func:`from_wire` for error replies."""

from __future__ import annotations

from typing import Any

from .base import WebBridgeError

# --- channel: a request could not complete ------------------------------------------------------------


class ChannelError(WebBridgeError):
    """A request over a channel did not complete."""


class RequestTimeout(ChannelError):
    code, name = 4001, "timeout"


class ChannelClosed(ChannelError):
    code, name = 4002, "channel_closed"


class RemoteError(ChannelError):
    """The peer answered a request with an error; ``remote_code``/``remote_name`` say which."""

    code, name = 4003, "remote_error"

    def __init__(self, message: str = "", *, remote_code: int = 5003, remote_name: str = "internal") -> None:
        super().__init__(message, remote_code=remote_code, remote_name=remote_name)
        self.remote_code = remote_code
        self.remote_name = remote_name

    def __str__(self) -> str:
        return f"[{self.remote_code} {self.remote_name}] {self.message}"


class Busy(ChannelError):
    code, name = 4004, "busy"


def from_wire(data: dict[str, Any]) -> RemoteError:
    """Turn an ``error`` body received from a peer into a :class:`RemoteError`."""
    code = data.get("code")
    name = data.get("name")
    message = data.get("message")
    return RemoteError(
        str(message)[:500] if isinstance(message, str) else "remote error",
        remote_code=code if isinstance(code, int) else 5003,
        remote_name=name if isinstance(name, str) else "internal",
    )
