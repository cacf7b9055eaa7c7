"""Stuck-run detection: the same tool call over and over, and steps where every call fails.

Each guard first *warns* (the loop shows a Notice and tells the model, once) and, if the pattern goes on,
*stops* the run with a typed error (:class:`~webbridge.errors.RepeatedAction`,
:class:`~webbridge.errors.NoProgress`). Both look only at tool names, argument text and error flags: what
the model says about its progress never counts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..errors import NoProgress, RepeatedAction, RunError
from .chat import ToolCall


@dataclass(frozen=True)
class Verdict:
    """What a guard says after a step: ``warn`` carries the nudge for the model and the user's notice."""

    action: Literal["warn", "stop"]
    notice: str
    nudge: str = ""
    error: RunError | None = None


def call_key(call: ToolCall) -> str:
    """The identity of a call: its name and its arguments (JSON normalised when they parse)."""
    try:
        args = json.dumps(json.loads(call.arguments or "{}"), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        args = call.arguments
    return f"{call.name}\x00{args}"


class RepeatGuard:
    """Counts identical calls in a row, across steps. Warns at ``warn_after`` repeats and stops at
    ``stop_after`` (the count restarts at any different call)."""

    def __init__(self, warn_after: int = 3, stop_after: int = 5) -> None:
        if not 1 <= warn_after < stop_after:
            raise ValueError("need 1 <= warn_after < stop_after")
        self.warn_after = warn_after
        self.stop_after = stop_after
        self._last: str | None = None
        self._count = 0
        self._warned = False

    def observe(self, calls: Sequence[ToolCall]) -> Verdict | None:
        verdict: Verdict | None = None
        for call in calls:
            key = call_key(call)
            if key == self._last:
                self._count += 1
            else:
                self._last, self._count, self._warned = key, 1, False
            if self._count >= self.stop_after:
                msg = (
                    f"Stopped: the agent called {call.name} with the same arguments {self._count} times in a "
                    "row without getting anywhere. Rephrase the task or do this step yourself."
                )
                return Verdict("stop", msg, error=RepeatedAction(msg, tool=call.name))
            if self._count >= self.warn_after and not self._warned:
                self._warned = True
                verdict = Verdict(
                    "warn",
                    f"The agent repeats {call.name} with the same arguments ({self._count} times).",
                    nudge=(
                        f"You have called {call.name} with exactly the same arguments {self._count} times in "
                        "a row. Repeating it will not change the result. Try a different approach, or finish "
                        "and explain what blocks you."
                    ),
                )
        return verdict


class ProgressGuard:
    """Counts steps in a row whose tool calls all failed. Warns at ``warn_after`` such steps and stops at
    ``stop_after``; any step with a successful call resets it."""

    def __init__(self, warn_after: int = 3, stop_after: int = 6) -> None:
        if not 1 <= warn_after < stop_after:
            raise ValueError("need 1 <= warn_after < stop_after")
        self.warn_after = warn_after
        self.stop_after = stop_after
        self._failed_steps = 0
        self._warned = False

    def observe(self, errors: Sequence[bool]) -> Verdict | None:
        """``errors``: one flag per tool call of the step (True = the call failed)."""
        if not errors:
            return None
        if not all(errors):
            self._failed_steps, self._warned = 0, False
            return None
        self._failed_steps += 1
        if self._failed_steps >= self.stop_after:
            msg = (
                f"Stopped: every tool call failed in {self._failed_steps} steps in a row. "
                "Check that the page is reachable and the task is possible, then try again."
            )
            return Verdict("stop", msg, error=NoProgress(msg))
        if self._failed_steps >= self.warn_after and not self._warned:
            self._warned = True
            return Verdict(
                "warn",
                f"No progress: every tool call failed in the last {self._failed_steps} steps.",
                nudge=(
                    f"Every tool call in your last {self._failed_steps} steps failed. Read the errors, "
                    "change your approach (another element, another page, fewer steps at once), or finish "
                    "and tell the user what is in the way."
                ),
            )
        return None


__all__ = ["ProgressGuard", "RepeatGuard", "Verdict", "call_key"]
