"""The control protocol: how the user's own CLI talks to the daemon over the local socket (PROTOCOL.md §7).

The socket lives in a 0700 folder (a 0600 token file on Windows), so only this OS user reaches it; see
SECURITY.md for why that is the right boundary for confirming pairings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import BY_CODE, InvalidMessage, ProtocolError, RemoteError, UnknownKind, WebBridgeError
from ..protocol import framing, jsonstrict, messages
from . import approval_control, policy_control, run_control, workflow_control

if TYPE_CHECKING:
    from .server import DaemonState

log = logging.getLogger("webbridge.daemon.control")

MAX_CONTROL_FRAME = 4_194_304
Op = Callable[[dict[str, Any]], Awaitable[Any]]


class ControlConnection:
    def __init__(
        self, state: DaemonState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.state = state
        self.reader = reader
        self.writer = writer
        self._req_id: Any = None
        self.ops: dict[str, Op] = {
            "status": self.status,
            "bridges.list": self.bridges_list,
            "bridge.call": self.bridge_call,
            "pairs.list": self.pairs_list,
            "pairs.pending": self.pairs_pending,
            "pairs.confirm": self.pairs_confirm,
            "pairs.reject": self.pairs_reject,
            "pairs.revoke": self.pairs_revoke,
            "pairs.rotate": self.pairs_rotate,
            "pairs.reset": self.pairs_reset,
            "shutdown": self.shutdown,
            **run_control.ops(state, self._emit_event),
            **approval_control.ops(state),
            **policy_control.ops(state),
            **workflow_control.ops(state),
        }

    async def run(self) -> None:
        try:
            while True:
                payload = await framing.read_frame(self.reader, MAX_CONTROL_FRAME)
                if payload is None:
                    return
                reply = await self._answer(payload)
                self.writer.write(framing.encode(jsonstrict.dumps(reply).encode()))
                await self.writer.drain()
        except ProtocolError as exc:
            log.info("control connection closed: %s", exc)
        except ConnectionError:
            pass
        finally:
            self.writer.close()

    async def _answer(self, payload: bytes) -> dict[str, Any]:
        req_id: Any = None
        try:
            request = jsonstrict.loads(payload)
            req_id = self._req_id = request.get("id")
            op, args = request.get("op"), request.get("args", {})
            if not isinstance(op, str) or not isinstance(args, dict):
                raise InvalidMessage("a control request needs a string op and an object args")
            handler = self.ops.get(op)
            if handler is None:
                raise UnknownKind(f"unknown control op {op!r}")
            return {"v": 1, "id": req_id, "ok": True, "result": await handler(args)}
        except WebBridgeError as exc:
            return {"v": 1, "id": req_id, "ok": False, "error": exc.to_wire()}

    async def _emit_event(self, event: dict[str, Any]) -> None:
        """An event frame of a streaming op (``run.watch``), before its reply. Raises ConnectionError."""
        frame = {"v": 1, "id": self._req_id, "event": event}
        self.writer.write(framing.encode(jsonstrict.dumps(frame).encode()))
        await self.writer.drain()

    # --- ops ------------------------------------------------------------------------------------------

    async def status(self, _args: dict[str, Any]) -> dict[str, Any]:
        store = self.state.keystore
        store.refresh()
        return {
            "version": __version__,
            "pid": self.state.pid,
            "uptime": round(self.state.uptime(), 3),
            "socket": str(self.state.settings.paths.socket),
            "pairings": len(store.list()),
            "keystore_problem": store.problem.message if store.problem else None,
            "bridges": [b.public() for b in self.state.bridges.list()],
            "pending_pairings": self.state.pairings.pending(),
            "rejected": dict(self.state.rejected),
        }

    async def bridges_list(self, _args: dict[str, Any]) -> list[dict[str, Any]]:
        return [b.public() for b in self.state.bridges.list()]

    async def bridge_call(self, args: dict[str, Any]) -> dict[str, Any]:
        bridge = self.state.bridges.find(_opt_str(args, "bridge"))
        kind = args.get("kind")
        body = args.get("body", {})
        timeout = args.get("timeout", self.state.settings.request_timeout)
        if not isinstance(kind, str) or not isinstance(body, dict):
            raise InvalidMessage("bridge.call needs kind (string) and body (object)")
        if not isinstance(timeout, int | float) or not 0 < timeout <= 600:
            raise InvalidMessage("timeout must be a number of seconds in (0, 600]")
        try:
            reply = await bridge.channel.request(kind, body, timeout=float(timeout))
        except RemoteError as exc:
            # The caller must see the browser's own code (6004 url_blocked, 2002 …), not 4003: the control
            # wire carries only code, name and message.
            cls = BY_CODE.get(exc.remote_code)
            if cls is None or cls is RemoteError:
                raise
            raise cls(exc.message) from exc
        return {"bridge_id": bridge.bridge_id, "kind": reply.kind, "body": messages.body_of(reply)}

    async def pairs_list(self, _args: dict[str, Any]) -> list[dict[str, Any]]:
        return [p.public() for p in self.state.keystore.list()]

    async def pairs_pending(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        wait = args.get("wait", 0)
        if not isinstance(wait, int | float) or not 0 <= wait <= 600:
            raise InvalidMessage("wait must be a number of seconds in [0, 600]")
        if wait:
            try:
                async with asyncio.timeout(float(wait)):
                    return await self.state.pairings.wait_pending()
            except TimeoutError:
                pass
        return self.state.pairings.pending()

    async def pairs_confirm(self, args: dict[str, Any]) -> dict[str, Any]:
        pending = await self.state.pairings.user_confirm(
            pair_id=_opt_str(args, "pair_id"), code=_opt_str(args, "code")
        )
        wait = args.get("wait", 0)
        if isinstance(wait, int | float) and wait > 0:
            try:
                async with asyncio.timeout(float(wait)):
                    done = await self.state.pairings.wait_done(pending["pair_id"])
            except TimeoutError:
                done = False
            pending["completed"] = done
            pending["pairing_id"] = self.state.pairings.completed(pending["pair_id"])
        return pending

    async def pairs_reject(self, args: dict[str, Any]) -> dict[str, Any]:
        pair_id = _opt_str(args, "pair_id")
        if pair_id is None:
            raise InvalidMessage("pairs.reject needs pair_id")
        return {
            "cancelled": await self.state.pairings.cancel(
                pair_id, "rejected by the user", tell_extension=True
            )
        }

    async def pairs_revoke(self, args: dict[str, Any]) -> dict[str, Any]:
        pairing_id = _opt_str(args, "pairing_id")
        if pairing_id is None:
            raise InvalidMessage("pairs.revoke needs pairing_id")
        revoked = self.state.keystore.revoke(pairing_id)
        closed = await self.state.close_bridges_of(pairing_id)
        return {"revoked": revoked, "bridges_closed": closed}

    async def pairs_rotate(self, args: dict[str, Any]) -> dict[str, Any]:
        pairing_id = _opt_str(args, "pairing_id")
        if pairing_id is None:
            raise InvalidMessage("pairs.rotate needs pairing_id")
        return await self.state.rotate(pairing_id)

    async def pairs_reset(self, _args: dict[str, Any]) -> dict[str, Any]:
        moved = self.state.keystore.reset()
        for bridge in self.state.bridges.list():
            await self.state.close_bridges_of(bridge.pairing_id)
        return {"moved_to": str(moved) if moved else None}

    async def shutdown(self, _args: dict[str, Any]) -> dict[str, Any]:
        self.state.request_stop()
        return {"stopping": True}


def _opt_str(args: dict[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 200:
        raise InvalidMessage(f"{name} must be a non-empty string")
    return value
