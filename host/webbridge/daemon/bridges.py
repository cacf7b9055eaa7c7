"""The browsers and profiles connected right now: one :class:`Bridge` per authenticated connection."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import BridgeNotFound, Busy

if TYPE_CHECKING:
    from ..protocol.channel import Channel


@dataclass
class Bridge:
    bridge_id: str
    label: str
    browser: str
    profile: str
    origin: str
    pairing_id: str
    ext_version: str
    channel: Channel = field(repr=False)
    connected_at: float = field(default_factory=time.time)

    def public(self) -> dict[str, Any]:
        return {
            "bridge_id": self.bridge_id,
            "label": self.label,
            "browser": self.browser,
            "profile": self.profile,
            "origin": self.origin,
            "pairing_id": self.pairing_id,
            "ext_version": self.ext_version,
            "connected_at": self.connected_at,
        }


class BridgeRegistry:
    def __init__(self, max_bridges: int) -> None:
        self._bridges: dict[str, Bridge] = {}
        self.max_bridges = max_bridges

    @staticmethod
    def new_id() -> str:
        return "b-" + secrets.token_hex(4)

    def add(self, bridge: Bridge) -> None:
        if len(self._bridges) >= self.max_bridges:
            raise Busy(f"{self.max_bridges} bridges are connected already")
        self._bridges[bridge.bridge_id] = bridge

    def remove(self, bridge_id: str) -> None:
        self._bridges.pop(bridge_id, None)

    def list(self) -> list[Bridge]:
        return sorted(self._bridges.values(), key=lambda b: b.connected_at)

    def find(self, name: str | None) -> Bridge:
        """By id, then by label; ``None`` means the only (or most recent) bridge. Raises BridgeNotFound."""
        bridges = self.list()
        if not bridges:
            raise BridgeNotFound("no browser is connected: open Chromium with the WebBridge extension")
        if name is None:
            return bridges[-1]
        if name in self._bridges:
            return self._bridges[name]
        matches = [b for b in bridges if b.label == name or b.pairing_id == name]
        if not matches:
            known = ", ".join(f"{b.bridge_id} ({b.label})" for b in bridges)
            raise BridgeNotFound(f"no bridge named {name!r}; connected: {known}")
        return matches[-1]
