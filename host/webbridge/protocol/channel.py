"""Requests, replies and events over one authenticated session (``docs/PROTOCOL.md`` §3 step 7, §5).

A :class:`Channel` sits between a :class:`~webbridge.protocol.session.Session` and an abstract async
``send(frame)`` (the connection owner frames, chunks and writes it). The owner feeds every received sealed
frame to :meth:`Channel.feed`; callers use :meth:`Channel.request` and :meth:`Channel.notify`; incoming
requests and events go to the handler table.

Fates: every request has an id, a deadline (:class:`~webbridge.errors.RequestTimeout`) and a fate on
disconnect (:meth:`Channel.aclose` fails it with :class:`~webbridge.errors.ChannelClosed`). An ``error``
reply raises :class:`~webbridge.errors.RemoteError`. A reply to no open request is dropped, logged and
counted as ``unsolicited_reply`` (C7). Handler tasks belong to the channel and are cancelled by
:meth:`Channel.aclose`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from webbridge import errors
from webbridge.errors import (
    Busy,
    ChannelClosed,
    InternalError,
    MessageError,
    RequestTimeout,
    UnexpectedKind,
    UnknownKind,
    WebBridgeError,
)
from webbridge.protocol.messages import CATALOGUE, Error, Message, body_of, parse_body
from webbridge.protocol.session import Envelope, Session

__all__ = ["DEFAULT_TIMEOUT", "Channel", "Handler", "Send"]

log = logging.getLogger("webbridge.protocol.channel")

#: Default request deadline in seconds.
DEFAULT_TIMEOUT = 30.0

#: Writes one outer frame to the peer (the connection owner serialises, chunks and frames it).
Send = Callable[[dict[str, Any]], Awaitable[None]]
#: Serves one incoming request (returns its reply) or event (returns ``None``). A raised
#: :class:`~webbridge.errors.WebBridgeError` is sent back as an ``error`` reply; any other exception is
#: logged and answered with ``internal``.
Handler = Callable[[Message], Awaitable[Message | None]]


@dataclass(slots=True)
class _Pending:
    future: asyncio.Future[Message]
    reply_kind: str | None


def _as_message(kind: str, body: Mapping[str, Any] | Message | None) -> Message:
    if isinstance(body, Message):
        if body.kind != kind:
            raise UnexpectedKind(f"message of kind {body.kind} passed as {kind}")
        return body
    return parse_body(kind, dict(body or {}))


class Channel:
    """Request/reply and events over one session. Use as ``async with`` or call :meth:`aclose`."""

    def __init__(
        self,
        session: Session,
        send: Send,
        *,
        handlers: Mapping[str, Handler] | None = None,
        max_in_flight: int = 1024,
        max_handlers: int = 1024,
        default_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if default_timeout <= 0:
            raise ValueError("default_timeout must be positive")
        self.session = session
        self.default_timeout = default_timeout
        self._send = send
        self._handlers: dict[str, Handler] = dict(handlers or {})
        self._max_in_flight = max_in_flight
        self._max_handlers = max_handlers
        self._pending: dict[str, _Pending] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._send_lock = asyncio.Lock()
        self._closed = False
        #: Events worth watching: ``unsolicited_reply``, ``unhandled_event``, ``handler_error``,
        #: ``reply_failed``, ``busy``, ``refused`` (step-6 failures answered with an error).
        self.counters: Counter[str] = Counter()

    # --- state -------------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def in_flight(self) -> int:
        """Requests sent and not yet answered."""
        return len(self._pending)

    def set_handler(self, kind: str, handler: Handler | None) -> None:
        """Serve ``kind`` with ``handler`` (``None`` removes it)."""
        if kind not in CATALOGUE:
            raise UnknownKind(f"unknown kind {kind!r}")
        if handler is None:
            self._handlers.pop(kind, None)
        else:
            self._handlers[kind] = handler

    async def __aenter__(self) -> Channel:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- outgoing ----------------------------------------------------------------------------------------

    async def _send_sealed(
        self, msg: Message, *, msg_id: str | None = None, reply_to: str | None = None
    ) -> None:
        # Seal and send under one lock: sequence numbers must reach the wire in the order they were assigned.
        async with self._send_lock:
            if self._closed:
                raise ChannelClosed("channel is closed")
            frame = self.session.seal_message(msg, msg_id=msg_id, reply_to=reply_to)
            try:
                await self._send(frame)
            except OSError as exc:
                raise ChannelClosed(f"send failed: {exc.__class__.__name__}") from exc

    async def request(
        self,
        kind: str,
        body: Mapping[str, Any] | Message | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the deadline is part of the request (PROTOCOL.md §5)
    ) -> Message:
        """Send a request and return its reply message.

        Raises :class:`~webbridge.errors.UnknownKind`/:class:`~webbridge.errors.UnexpectedKind` when ``kind``
        is not a sealed request kind, :class:`~webbridge.errors.InvalidMessage` when ``body`` does not fit it,
        :class:`~webbridge.errors.Busy` when too many requests are in flight,
        :class:`~webbridge.errors.RequestTimeout` after ``timeout`` seconds (``None``: the channel's
        ``default_timeout``; every request has a deadline),
        :class:`~webbridge.errors.RemoteError` when the peer answers ``error``,
        :class:`~webbridge.errors.UnexpectedKind` for a reply of the wrong kind and
        :class:`~webbridge.errors.ChannelClosed` when the channel closes first. Cancelling the caller
        forgets the request; a late reply is then dropped as unsolicited.
        """
        info = CATALOGUE.get(kind)
        if info is None:
            raise UnknownKind(f"unknown kind {kind!r}")
        if info.role != "request" or not info.sealed:
            raise UnexpectedKind(f"{kind} is not a request that travels sealed")
        msg = _as_message(kind, body)
        if self._closed:
            raise ChannelClosed("channel is closed")
        if len(self._pending) >= self._max_in_flight:
            self.counters["busy"] += 1
            raise Busy(f"{len(self._pending)} requests in flight")
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        msg_id = self.session.next_id()
        self._pending[msg_id] = _Pending(future, info.reply)
        if timeout is None:
            timeout = self.default_timeout
        deadline = asyncio.timeout(timeout)
        try:
            async with deadline:
                await self._send_sealed(msg, msg_id=msg_id)
                return await future
        except TimeoutError:
            if deadline.expired():
                raise RequestTimeout(f"{kind} got no reply within {timeout} s") from None
            raise
        finally:
            self._pending.pop(msg_id, None)
            if future.done() and not future.cancelled():
                future.exception()  # mark retrieved: a reply racing a cancellation must not log noise
            else:
                future.cancel()

    async def notify(self, kind: str, body: Mapping[str, Any] | Message | None = None) -> None:
        """Send an event (no reply expected). Raises like :meth:`request` for a wrong kind or body."""
        info = CATALOGUE.get(kind)
        if info is None:
            raise UnknownKind(f"unknown kind {kind!r}")
        if info.role != "event" or not info.sealed:
            raise UnexpectedKind(f"{kind} is not an event that travels sealed")
        await self._send_sealed(_as_message(kind, body))

    async def _reply(self, msg: Message, reply_to: str) -> None:
        try:
            await self._send_sealed(msg, reply_to=reply_to)
        except ChannelClosed:
            self.counters["reply_failed"] += 1
            log.debug("reply %s to %s not sent: channel closed", msg.kind, reply_to)

    async def _reply_error(self, exc: WebBridgeError, reply_to: str) -> None:
        wire = exc.to_wire()
        error = Error(code=wire["code"], name=wire["name"][:64], message=wire["message"][:4096])
        await self._reply(error, reply_to)

    # --- incoming ----------------------------------------------------------------------------------------

    async def feed(self, frame: dict[str, Any]) -> None:
        """Handle one received sealed frame.

        Raises :class:`~webbridge.errors.SessionError` (steps 1–5 of §3): the caller must end the
        connection (and then :meth:`aclose`). Step-6 failures are answered with an ``error`` reply (or fail
        the request they answer); replies resolve their request; requests and events are dispatched to
        handler tasks owned by the channel. Frames fed after :meth:`aclose` are ignored.
        """
        if self._closed:
            return
        try:
            env = self.session.open(frame)
        except MessageError as exc:
            await self._refuse(exc)
            return
        if env.reply_to is not None:
            self._resolve(env)
            return
        info = CATALOGUE[env.kind]
        if info.role == "reply":
            self._unsolicited(env.kind, None)
            return
        handler = self._handlers.get(env.kind)
        if info.role == "event":
            if handler is None:
                self.counters["unhandled_event"] += 1
                log.info("event %s dropped: no handler", env.kind)
            else:
                self._spawn(env, handler, None)
            return
        if handler is None:
            self.counters["refused"] += 1
            await self._reply_error(UnexpectedKind(f"{env.kind} is not served here"), env.id)
        elif len(self._tasks) >= self._max_handlers:
            self.counters["busy"] += 1
            await self._reply_error(Busy(f"{len(self._tasks)} requests being served"), env.id)
        else:
            self._spawn(env, handler, info.reply)

    async def _refuse(self, exc: MessageError) -> None:
        msg_id, reply_to = exc.detail.get("id"), exc.detail.get("reply_to")
        if isinstance(reply_to, str):
            # A malformed reply: fail the request it answers (never reply to a reply).
            pending = self._pending.pop(reply_to, None)
            if pending is None or pending.future.done():
                self._unsolicited(str(exc.detail.get("kind")), reply_to)
            else:
                pending.future.set_exception(exc)
            return
        self.counters["refused"] += 1
        log.info("refused %s: %s", exc.detail.get("kind"), exc.name)
        if isinstance(msg_id, str):
            await self._reply_error(exc, msg_id)

    def _resolve(self, env: Envelope) -> None:
        assert env.reply_to is not None
        pending = self._pending.pop(env.reply_to, None)
        if pending is None or pending.future.done():
            self._unsolicited(env.kind, env.reply_to)
            return
        if env.kind == "error":
            pending.future.set_exception(errors.from_wire(body_of(env.message)))
        elif env.kind != pending.reply_kind:
            wrong = UnexpectedKind(f"expected {pending.reply_kind} in reply, got {env.kind}")
            pending.future.set_exception(wrong)
        else:
            pending.future.set_result(env.message)

    def _unsolicited(self, kind: str, reply_to: str | None) -> None:
        self.counters["unsolicited_reply"] += 1
        shown = (reply_to or "null")[:64]
        log.warning("dropped %s answering no open request (reply_to=%s)", kind[:64], shown)

    def _spawn(self, env: Envelope, handler: Handler, reply_kind: str | None) -> None:
        task = asyncio.get_running_loop().create_task(
            self._serve(env, handler, reply_kind), name=f"webbridge-handler-{env.kind}-{env.id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, env: Envelope, handler: Handler, reply_kind: str | None) -> None:
        try:
            result = await handler(env.message)
        except WebBridgeError as exc:
            error: WebBridgeError = exc
        except Exception:  # a bug in a handler must not take the channel down
            log.exception("handler for %s failed", env.kind)
            error = InternalError(f"handler for {env.kind} failed")
        else:
            if reply_kind is None:
                return
            if result is not None and result.kind == reply_kind:
                await self._reply(result, env.id)
                return
            log.error("handler for %s returned %s, not %s", env.kind, type(result).__name__, reply_kind)
            error = InternalError(f"handler for {env.kind} returned no {reply_kind}")
        self.counters["handler_error"] += 1
        if reply_kind is not None:
            await self._reply_error(error, env.id)

    # --- closing -----------------------------------------------------------------------------------------

    async def aclose(self, exc: BaseException | None = None) -> None:
        """Fail every pending request with :class:`~webbridge.errors.ChannelClosed` (caused by ``exc``),
        cancel the handler tasks and wait for them. Idempotent; safe to call from a handler."""
        if self._closed:
            return
        self._closed = True
        reason = f"channel closed: {exc}" if exc is not None else "channel closed"
        pending, self._pending = self._pending, {}
        for entry in pending.values():
            if not entry.future.done():
                closed = ChannelClosed(reason)
                closed.__cause__ = exc
                entry.future.set_exception(closed)
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
