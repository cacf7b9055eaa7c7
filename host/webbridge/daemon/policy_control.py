"""Control-socket op for the policy file (docs/PROTOCOL.md §7): ``webbridge policy set`` writes the file and
then tells the daemon, so the change is in force — and announced to the browsers — at once rather than at
the next decision.

- ``policy.reload {}`` → ``{changed, mode}``: the runtime's file check (one ``stat``; a changed file is
  loaded and ``policy.changed`` sent to every connected browser). An invalid file is logged and the policy
  in force stays (``changed: false``). Errors: RunError when this daemon runs no policy, InvalidMessage for
  arguments.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..errors import InvalidMessage, RunError

if TYPE_CHECKING:
    from .server import DaemonState

Op = Callable[[dict[str, Any]], Awaitable[Any]]


def ops(state: DaemonState) -> dict[str, Op]:
    async def policy_reload(args: dict[str, Any]) -> dict[str, Any]:
        if args:
            raise InvalidMessage(f"policy.reload takes no arguments (got {sorted(args)[0]!r})")
        runtime = state.policy
        if runtime is None:
            raise RunError("the policy is not loaded in this daemon (see its log)")
        changed = await runtime.refresh_and_announce()
        return {"changed": changed, "mode": runtime.policy.mode}

    return {"policy.reload": policy_reload}


__all__ = ["ops"]
