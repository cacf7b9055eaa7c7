"""The daemon's local socket server and the state every connection shares.

Each accepted connection starts with a preamble frame (PROTOCOL.md §2): a relay's, naming the browser
origin, becomes a :class:`RelayConnection`; the CLI's becomes a :class:`ControlConnection`. Anything else is
closed. Connections are independent: a bad one never disturbs a good one.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import secrets
import sys
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from ..atomic import write_atomic
from ..config import Settings
from ..errors import BridgeNotFound, ProtocolError, RemoteError, RunError
from ..paths import ensure_private_dir
from ..protocol import framing, jsonstrict, messages
from ..protocol.pairing import RotationInitiator
from .bridges import BridgeRegistry
from .connection import RelayConnection
from .control import ControlConnection
from .keystore import KeyStore
from .pairing import PairingManager

if TYPE_CHECKING:
    from ..agent.runs import RunManager
    from ..policy.approvals import ApprovalBroker
    from ..policy.runtime import PolicyRuntime

log = logging.getLogger("webbridge.daemon.server")

PREAMBLE_TIMEOUT = 10.0
MAX_PREAMBLE = 4096


class DaemonState:
    def __init__(self, settings: Settings, keystore: KeyStore) -> None:
        self.settings = settings
        self.keystore = keystore
        self.bridges = BridgeRegistry(settings.max_bridges)
        self.pairings = PairingManager(keystore, settings.pairing_timeout)
        self.rejected: Counter[str] = Counter()
        self.pid = os.getpid()
        self.started = time.monotonic()
        self.stop_event = asyncio.Event()
        self.connections: set[RelayConnection] = set()
        self.token = secrets.token_urlsafe(32)
        self._bridges_changed = asyncio.Condition()
        self._runs: RunManager | None = None
        #: The policy (grants, audit, hook) and the approval broker; set by the composition root, ``None``
        #: in a daemon serving without runs.
        self.policy: PolicyRuntime | None = None
        self.approvals: ApprovalBroker | None = None

    @property
    def runs(self) -> RunManager:
        """The run manager (set by the composition root). Raises RunError before it is set."""
        if self._runs is None:
            raise RunError("runs are not available in this daemon (no run manager)")
        return self._runs

    @runs.setter
    def runs(self, manager: RunManager) -> None:
        self._runs = manager

    def uptime(self) -> float:
        return time.monotonic() - self.started

    def request_stop(self) -> None:
        self.stop_event.set()

    async def notify_bridges_changed(self) -> None:
        async with self._bridges_changed:
            self._bridges_changed.notify_all()

    async def close_bridges_of(self, pairing_id: str) -> int:
        closing = [c for c in self.connections if c._pairing_id == pairing_id]
        for conn in closing:
            await conn.aclose()
        return len(closing)

    async def rotate(self, pairing_id: str) -> dict[str, Any]:
        """Replace a pairing's long-term secret through a connected bridge (PROTOCOL.md §4, C8)."""
        bridge = next((b for b in self.bridges.list() if b.pairing_id == pairing_id), None)
        if bridge is None:
            raise BridgeNotFound(f"pairing {pairing_id} has no connected browser; open it and try again")
        rotation = RotationInitiator()
        reply = await bridge.channel.request("key.rotate", rotation.request())
        if not isinstance(reply, messages.KeyRotated):
            raise RemoteError(f"unexpected reply {reply.kind} to key.rotate")
        self.keystore.replace_secret(pairing_id, rotation.finish(reply))
        log.info("rotated the key of pairing %s", pairing_id)
        return {"pairing_id": pairing_id, "rotated": True}


class Server:
    """Listens on the local socket. ``start()`` then ``aclose()``; ``aclose()`` may be called twice."""

    def __init__(self, state: DaemonState) -> None:
        self.state = state
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        paths = self.state.settings.paths
        ensure_private_dir(paths.runtime)
        if sys.platform == "win32":  # pragma: no cover - Windows only
            self._server = await asyncio.start_server(self._accept, host="127.0.0.1", port=0)
            port = self._server.sockets[0].getsockname()[1]
            write_atomic(paths.port_file, json.dumps({"port": port, "token": self.state.token}), mode=0o600)
        else:
            # We hold the instance lock, so a leftover socket file is from a dead daemon.
            try:
                paths.socket.unlink()
            except FileNotFoundError:
                pass
            # The default stream limit (64 KiB) on purpose: readexactly() is not bound by it (a 32 MiB frame
            # still reads), but it is what pauses the socket while a connection is busy, so a flooding
            # peer is held back by the kernel instead of filling our memory (2 x limit per connection).
            self._server = await asyncio.start_unix_server(self._accept, path=str(paths.socket))
            os.chmod(paths.socket, 0o600)
        log.info("listening on %s", paths.socket if sys.platform != "win32" else paths.port_file)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Every connection task is owned here and cancelled in aclose().
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(PREAMBLE_TIMEOUT):
                payload = await framing.read_frame(reader, MAX_PREAMBLE)
            if payload is None:
                writer.close()
                return
            preamble = jsonstrict.loads(payload)
        except (ProtocolError, TimeoutError, ConnectionError) as exc:
            log.info("dropping a connection with a bad preamble: %s", exc)
            writer.close()
            return
        if not self._token_ok(preamble):
            log.warning("dropping a connection with a wrong token")
            writer.close()
            return
        relay = preamble.get("relay")
        if isinstance(relay, dict) and isinstance(relay.get("origin"), str):
            conn = RelayConnection(self.state, reader, writer, relay["origin"][:200])
            self.state.connections.add(conn)
            try:
                await conn.run()
            finally:
                self.state.connections.discard(conn)
        elif isinstance(preamble.get("control"), dict):
            await ControlConnection(self.state, reader, writer).run()
        else:
            log.info("dropping a connection with an unknown preamble")
            writer.close()

    def _token_ok(self, preamble: dict[str, Any]) -> bool:
        if sys.platform != "win32":
            return True  # the 0700 folder is the guard on POSIX
        section = preamble.get("relay") or preamble.get("control") or {}
        token = section.get("token") if isinstance(section, dict) else None
        return isinstance(token, str) and hmac.compare_digest(token, self.state.token)

    async def aclose(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        # Together: each may wait up to CLOSE_GRACE for a peer that does not read.
        await asyncio.gather(*(conn.aclose() for conn in list(self.state.connections)))
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if server is not None:
            await server.wait_closed()
        paths = self.state.settings.paths
        for leftover in (paths.socket, paths.port_file):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass


