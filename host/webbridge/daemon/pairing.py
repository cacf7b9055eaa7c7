"""Pending pairings: the daemon's half of the numeric-comparison pairing (docs/PROTOCOL.md §4).

A pairing completes only when both the extension (``pair.confirm`` with a valid key-confirmation MAC) and
the user at the CLI (``webbridge pair``, which shows the same six-digit code) have confirmed. Either side
may cancel; an unconfirmed pairing expires after ``timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import PairingExpired, PairingFailed
from ..protocol.messages import Message, PairBegin, PairCancel, PairConfirm, PairKey, PairReveal
from ..protocol.pairing import PairingResponder
from .keystore import KeyStore, Pairing

log = logging.getLogger("webbridge.daemon.pairing")

#: Sends ``pair.done`` (or ``pair.cancel``) back to the extension that asked, with its ``reply_to``.
Notify = Callable[[Message, str | None], Awaitable[None]]


@dataclass
class Pending:
    pair_id: str
    responder: PairingResponder
    label: str
    browser: str
    profile: str
    origin: str
    notify: Notify
    created: float = field(default_factory=time.monotonic)
    sas: str | None = None
    confirm_id: str | None = None
    extension_confirmed: bool = False
    user_confirmed: bool = False

    def public(self) -> dict[str, Any]:
        return {
            "pair_id": self.pair_id,
            "code": self.sas,
            "label": self.label,
            "browser": self.browser,
            "profile": self.profile,
            "origin": self.origin,
            "extension_confirmed": self.extension_confirmed,
            "user_confirmed": self.user_confirmed,
            "age": round(time.monotonic() - self.created, 1),
        }


class PairingManager:
    def __init__(self, keystore: KeyStore, timeout: float = 300.0, max_pending: int = 8) -> None:
        self.keystore = keystore
        self.timeout = timeout
        self.max_pending = max_pending
        self._pending: dict[str, Pending] = {}
        self._changed = asyncio.Condition()
        #: pair_id -> pairing_id of pairings completed in this daemon's life, for `webbridge pair` to report.
        self._completed: dict[str, str] = {}

    # --- extension side -------------------------------------------------------------------------------

    def begin(self, msg: PairBegin, *, origin: str, notify: Notify) -> PairKey:
        """Start a pairing; returns the ``pair.key`` reply."""
        self._expire()
        if len(self._pending) >= self.max_pending:
            oldest = min(self._pending.values(), key=lambda p: p.created)
            self._pending.pop(oldest.pair_id, None)
        responder = PairingResponder(msg)
        self._pending[responder.pair_id] = Pending(
            responder.pair_id, responder, msg.label, msg.browser.name, msg.profile, origin, notify
        )
        return responder.key_message()

    async def reveal(self, msg: PairReveal) -> str:
        """Check the commitment and compute the code both sides show. Raises PairingFailed."""
        pending = self._get(msg.pair_id)
        try:
            pending.sas = pending.responder.reveal(msg)
        except PairingFailed:
            self._pending.pop(msg.pair_id, None)
            raise
        await self._notify_changed()
        return pending.sas

    async def extension_confirm(self, msg: PairConfirm, msg_id: str) -> None:
        """The user clicked "Codes match" in the extension. Raises PairingFailed on a bad MAC."""
        pending = self._get(msg.pair_id)
        try:
            pending.responder.check_confirm(msg)
        except PairingFailed:
            self._pending.pop(msg.pair_id, None)
            raise
        pending.extension_confirmed = True
        pending.confirm_id = msg_id
        await self._maybe_complete(pending)

    async def cancel(self, pair_id: str, reason: str, *, tell_extension: bool) -> bool:
        pending = self._pending.pop(pair_id, None)
        if pending is None:
            return False
        if tell_extension:
            await pending.notify(PairCancel(pair_id=pair_id, reason=reason[:200]), None)
        await self._notify_changed()
        return True

    def drop_for(self, notify: Notify) -> None:
        """The extension's connection closed: its pending pairings can never complete."""
        for pair_id in [p.pair_id for p in self._pending.values() if p.notify == notify]:
            self._pending.pop(pair_id, None)

    # --- user side (CLI) ------------------------------------------------------------------------------

    def pending(self) -> list[dict[str, Any]]:
        """Pending pairings that show a code, for ``webbridge pair``."""
        self._expire()
        return [p.public() for p in self._pending.values() if p.sas is not None]

    async def wait_pending(self) -> list[dict[str, Any]]:
        """Wait until a pending pairing shows a code; the caller bounds the wait with ``asyncio.timeout``."""
        async with self._changed:
            await self._changed.wait_for(lambda: bool(self.pending()))
        return self.pending()

    async def user_confirm(self, *, pair_id: str | None = None, code: str | None = None) -> dict[str, Any]:
        """Confirm by id or by the code the user read in the popup. Raises PairingFailed."""
        self._expire()
        candidates = [p for p in self._pending.values() if p.sas is not None]
        if pair_id is not None:
            candidates = [p for p in candidates if p.pair_id == pair_id]
        if code is not None:
            wanted = "".join(ch for ch in code if ch.isdigit())
            candidates = [p for p in candidates if p.sas == wanted]
        if len(candidates) != 1:
            what = "that code" if code is not None else "that id"
            raise PairingFailed(
                f"no pending pairing with {what}: click “Pair this browser” in the extension popup first"
                if not candidates
                else "several pairings match; name one by its id"
            )
        pending = candidates[0]
        pending.user_confirmed = True
        await self._maybe_complete(pending)
        return pending.public()

    async def wait_done(self, pair_id: str) -> bool:
        """Wait until the pairing left the pending set; True if it completed. Bound by the caller."""
        async with self._changed:
            await self._changed.wait_for(lambda: pair_id not in self._pending)
        return pair_id in self._completed

    def completed(self, pair_id: str) -> str | None:
        return self._completed.get(pair_id)

    # --- internals ------------------------------------------------------------------------------------

    def _get(self, pair_id: str) -> Pending:
        self._expire()
        pending = self._pending.get(pair_id)
        if pending is None:
            raise PairingExpired("no such pending pairing (it expired or was cancelled); start again")
        return pending

    def _expire(self) -> None:
        now = time.monotonic()
        for pair_id in [p.pair_id for p in self._pending.values() if now - p.created > self.timeout]:
            log.info("pairing %s expired unconfirmed", pair_id)
            self._pending.pop(pair_id, None)

    async def _maybe_complete(self, pending: Pending) -> None:
        if pending.extension_confirmed and pending.user_confirmed:
            pairing_id = "p-" + secrets.token_hex(6)
            done = pending.responder.done(pairing_id)
            pairing = Pairing(
                pairing_id=pairing_id,
                secret=pending.responder.secret,
                label=pending.label,
                browser=pending.browser,
                profile=pending.profile,
                origin=pending.origin,
                created=time.time(),
            )
            self.keystore.add(pairing)
            self._pending.pop(pending.pair_id, None)
            self._completed[pending.pair_id] = pairing.pairing_id
            log.info("paired %s (%s, %s)", pairing.pairing_id, pairing.browser, pairing.profile)
            await pending.notify(done, pending.confirm_id)
        await self._notify_changed()

    async def _notify_changed(self) -> None:
        async with self._changed:
            self._changed.notify_all()
