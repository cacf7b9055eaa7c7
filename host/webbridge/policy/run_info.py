"""What the policy needs to know about the run a tool call belongs to, kept in ``ToolContext.state``.

The run manager puts a :class:`RunInfo` under :data:`RUN_INFO` when it builds a run's context: where the
run came from (a ``schedule`` run is unattended: it never waits on a prompt), the task the user typed
(text the user gave is never a data flow to guard), the task id grants of lifetime ``task`` are scoped to,
and the run's event emitter (approval events go into the run's own event stream, in ``seq`` order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: ``ToolContext.state`` key of the run's :class:`RunInfo`.
RUN_INFO = "policy.run_info"

#: ``emit(EventClass, **fields)``: the run's ``Emitter.emit``.
EmitFn = Callable[..., Any]


@dataclass(frozen=True)
class RunInfo:
    source: str = "api"
    #: The user's own task text (trusted).
    task: str = ""
    #: Task grants are scoped to this id (a run is its own task unless a scheduler names one).
    task_id: str | None = None
    emit: EmitFn | None = None

    @property
    def unattended(self) -> bool:
        """A scheduled run: nobody is there to answer, so it parks as ``needs_you`` instead of waiting."""
        return self.source == "schedule"


def run_info_of(ctx: object) -> RunInfo:
    """The :class:`RunInfo` in ``ctx.state``, or a default one (attended, no emitter)."""
    state = getattr(ctx, "state", None)
    info = state.get(RUN_INFO) if isinstance(state, dict) else None
    return info if isinstance(info, RunInfo) else RunInfo()


__all__ = ["RUN_INFO", "EmitFn", "RunInfo", "run_info_of"]
