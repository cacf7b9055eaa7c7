"""Which addresses the local API may bind and which ``Host`` headers name it (L1, L2). Standard library only.

The API binds one loopback address, never a wildcard or a routable one, whatever the configuration says: a
daemon that acts in the user's logged-in browser must not be reachable from the network. A request must
name the address it reached (``127.0.0.1:PORT``, ``localhost:PORT`` or ``[::1]:PORT``): a DNS rebinding
page reaches the same socket under its own name (``evil.test:PORT``) and is refused by that check alone.
"""

from __future__ import annotations

import ipaddress

from ..errors import ConfigError

#: The addresses the API may bind.
BINDABLE = ("127.0.0.1", "::1")


def loopback_host(value: str, where: str = "api_host") -> str:
    """``value`` if it is ``127.0.0.1`` or ``::1`` (``localhost`` means ``127.0.0.1``).

    Raises :class:`~webbridge.errors.ConfigError` naming ``where`` (the field and where it came from) for
    anything else: ``0.0.0.0``, ``::``, a LAN or public address, another host name, other 127/8 addresses
    (one bind address keeps the Host check exact).
    """
    text = value.strip()
    if text.lower() == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        raise ConfigError(
            f"{where} = {value!r} is not an IP address; the local API binds 127.0.0.1 or ::1 only"
        ) from None
    if str(address) not in BINDABLE:
        raise ConfigError(
            f"{where} = {value!r} is not allowed: the local API binds 127.0.0.1 or ::1 only, never a "
            "wildcard (0.0.0.0, ::) or a network address"
        )
    return str(address)


def port_number(value: object, where: str = "api_port") -> int:
    """A TCP port 0..65535 (0: the OS picks a free one). Raises ConfigError naming ``where``."""
    if isinstance(value, bool):
        raise ConfigError(f"{where} = {value!r} is not a port number (0-65535; 0 lets the OS pick)")
    try:
        port = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ConfigError(f"{where} = {value!r} is not a port number (0-65535; 0 lets the OS pick)") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"{where} = {value!r} is not a port number (0-65535; 0 lets the OS pick)")
    return port


def allowed_hosts(port: int) -> frozenset[str]:
    """The exact ``Host`` header values that name the API listening on ``port`` (lower case)."""
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"})


def host_allowed(header: str | None, port: int) -> bool:
    """Whether a ``Host`` header names this API. A missing header (HTTP/1.0), a name other than the
    loopback ones, a missing or different port: False."""
    if header is None:
        return False
    return header.strip().lower() in allowed_hosts(port)


__all__ = ["BINDABLE", "allowed_hosts", "host_allowed", "loopback_host", "port_number"]
