"""Control-socket ops for runs (docs/PROTOCOL.md §7): what ``webbridge run`` and ``webbridge runs`` use.

``run.watch`` is the one streaming op: before its reply it writes one ``{"v":1,"id":ID,"event":{…}}`` frame
per event (stored events after ``after_seq``, then live ones) and replies once ``run.finished`` has been
written. Its pump runs inside the connection's request, so a client that disconnects ends it at the next
event, and the daemon's shutdown cancels it with the connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..agent.events import RunRequest
from ..errors import InvalidMessage
from ..protocol.fields import MAX_SAFE_INT
from .run_api import detail_message, event_json, run_info, runs_of

if TYPE_CHECKING:
    from .server import DaemonState

#: Writes one event frame for the request being answered.
EmitEvent = Callable[[dict[str, Any]], Awaitable[None]]
Op = Callable[[dict[str, Any]], Awaitable[Any]]

_START_FIELDS = {"task", "bridge", "tab", "tab_id", "model", "max_steps", "context", "params"}


def _run_id(args: dict[str, Any]) -> str:
    value = args.get("run_id")
    if not isinstance(value, str) or not value or len(value) > 64:
        raise InvalidMessage("run_id must be a run id (a non-empty string)")
    return value


def _int(args: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = args.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidMessage(f"{name} must be an integer in [{low}, {high}]")
    return value


def ops(state: DaemonState, emit: EmitEvent) -> dict[str, Op]:
    """The run ops of one control connection; ``emit`` writes an event frame for the current request."""

    async def run_start(args: dict[str, Any]) -> dict[str, Any]:
        unknown = set(args) - _START_FIELDS
        if unknown:
            raise InvalidMessage(f"run.start: unknown argument {sorted(unknown)[0]!r}")
        bridge = args.get("bridge")
        bridge_id = None
        if bridge is not None:
            if not isinstance(bridge, str):
                raise InvalidMessage("bridge must be a bridge id or label")
            bridge_id = state.bridges.find(bridge).bridge_id
        fields = {k: v for k, v in args.items() if k != "bridge"}
        try:
            req = RunRequest.model_validate({**fields, "bridge_id": bridge_id, "source": "cli"})
        except ValidationError as exc:
            err = exc.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(p) for p in err["loc"])
            raise InvalidMessage(f"run.start: {where}: {err['msg']}") from None
        return {"run_id": await runs_of(state).start(req)}

    async def run_stop(args: dict[str, Any]) -> dict[str, Any]:
        run_id = _run_id(args)
        return {"run_id": run_id, "stopped": await runs_of(state).stop(run_id)}

    async def runs_list(args: dict[str, Any]) -> list[dict[str, Any]]:
        limit = _int(args, "limit", 50, 1, 500)
        return [run_info(s).model_dump() for s in (await runs_of(state).list_runs(limit))[:limit]]

    async def run_get(args: dict[str, Any]) -> dict[str, Any]:
        detail = await runs_of(state).get(_run_id(args))
        reply = detail_message(detail, _int(args, "after_seq", 0, 0, MAX_SAFE_INT))
        return {"run": reply.run.model_dump(), "events": reply.events, "more": reply.more}

    async def run_watch(args: dict[str, Any]) -> dict[str, Any]:
        runs = runs_of(state)
        after = _int(args, "after_seq", 0, 0, MAX_SAFE_INT)
        if args.get("run_id") is None:
            source = runs.watch_all()
            run_id = None
        else:
            run_id = _run_id(args)
            await runs.get(run_id)  # RunNotFound as the reply
            source = runs.events(run_id, after)
        last = after
        outcome = None
        try:
            async for event in source:
                await emit(event_json(event))
                last = max(last, event.seq)
                if event.type == "run.finished" and run_id is not None:
                    outcome = event.outcome
        finally:
            closer = getattr(source, "aclose", None)
            if closer is not None:
                await closer()
        return {"run_id": run_id, "last_seq": last, "outcome": outcome}

    return {
        "run.start": run_start,
        "run.stop": run_stop,
        "runs.list": runs_list,
        "run.get": run_get,
        "run.watch": run_watch,
    }
