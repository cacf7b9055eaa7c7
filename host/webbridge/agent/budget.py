"""Run budgets: steps, tokens (input + output), wall time and cost, and the tracker that spends them.

The tracker is plain bookkeeping, checked by the loop between steps; the wall-time budget is also enforced
by the loop as a deadline around the whole run, so it stops a model call or a tool call that is in flight.
Exhaustion is a :class:`~webbridge.errors.BudgetExhausted` whose message names the budget and how to raise it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BudgetExhausted
from .chat import Usage

#: Warn once (a Notice) when this share of a budget is spent.
WARN_AT = 0.8


@dataclass(frozen=True)
class Budget:
    """Limits of one run; ``None`` means no limit. ``max_cost_usd`` applies only when the model's price is
    known (the adapter reports ``Usage.cost_usd``)."""

    max_steps: int | None = 50
    max_tokens: int | None = 2_000_000
    max_seconds: float | None = 1800.0
    max_cost_usd: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_steps", "max_tokens", "max_seconds", "max_cost_usd"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or value <= 0):
                raise ValueError(f"budget {name} must be a positive number or None, not {value!r}")


# How a user raises each budget, named in the exhaustion message.
_HOW = {
    "steps": "raise max_steps (`webbridge run --max-steps N`, or daemon.max_steps in config.toml)",
    "tokens": "raise daemon.max_run_tokens in config.toml",
    "time": "raise daemon.max_run_seconds in config.toml",
    "cost": "raise daemon.max_run_cost_usd in config.toml",
}


class BudgetTracker:
    """Spends a :class:`Budget`. Not thread-safe; one per run."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.steps = 0
        self.usage = Usage()
        self._warned: set[str] = set()

    def add_usage(self, usage: Usage) -> None:
        """Count a model call's tokens and cost (as soon as the reply is in, so a cancelled step counts)."""
        self.usage = self.usage + usage

    def end_step(self) -> None:
        self.steps += 1

    @property
    def tokens(self) -> int:
        return self.usage.input_tokens + self.usage.output_tokens

    def check(self) -> None:
        """Raise :class:`BudgetExhausted` if the step, token or cost budget is spent (time is the
        loop's deadline; see :meth:`time_exhausted`)."""
        b = self.budget
        if b.max_steps is not None and self.steps >= b.max_steps:
            raise self._exhausted("steps", f"the step budget of {b.max_steps} steps is used up")
        if b.max_tokens is not None and self.tokens >= b.max_tokens:
            raise self._exhausted(
                "tokens", f"the token budget of {b.max_tokens} tokens is used up ({self.tokens} used)"
            )
        cost = self.usage.cost_usd
        if b.max_cost_usd is not None and cost is not None and cost >= b.max_cost_usd:
            spent = f"the cost budget of ${b.max_cost_usd:.2f} is used up (${cost:.4f})"
            raise self._exhausted("cost", spent)

    def time_exhausted(self) -> BudgetExhausted:
        return self._exhausted("time", f"the time budget of {self.budget.max_seconds:g} s is used up")

    def warnings(self) -> list[str]:
        """Budgets that just passed :data:`WARN_AT` of their limit (each reported once)."""
        b = self.budget
        shares = {
            "steps": (self.steps / b.max_steps) if b.max_steps else 0.0,
            "tokens": (self.tokens / b.max_tokens) if b.max_tokens else 0.0,
            "cost": ((self.usage.cost_usd or 0.0) / b.max_cost_usd) if b.max_cost_usd else 0.0,
        }
        out = []
        for name, share in shares.items():
            if WARN_AT <= share < 1.0 and name not in self._warned:
                self._warned.add(name)
                out.append(f"{int(share * 100)}% of the {name} budget is spent")
        return out

    @staticmethod
    def _exhausted(which: str, what: str) -> BudgetExhausted:
        return BudgetExhausted(f"Stopped: {what}. To allow more, {_HOW[which]}.", budget=which)


__all__ = ["WARN_AT", "Budget", "BudgetTracker"]
