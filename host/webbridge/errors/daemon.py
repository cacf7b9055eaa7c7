"""Daemon-level failures the user must act on (5xxx): no bridge, no daemon, a wrong setting or file."""

from __future__ import annotations

from .base import WebBridgeError

# --- bridge and daemon: the user must act --------------------------------------------------------------


class BridgeError(WebBridgeError):
    """A daemon-level failure the user must act on."""


class BridgeNotFound(BridgeError):
    code, name = 5001, "bridge_not_found"


class DaemonUnavailable(BridgeError):
    code, name = 5002, "daemon_unavailable"


class ConfigError(WebBridgeError):
    """A setting or file is wrong; the message names the field or path."""

    code, name = 5004, "config_error"
