"""The agent loop: model turn, tool calls, repeat, until the model answers or something stops it.

One :class:`AgentLoop` drives one run (a sub-agent is just another loop with its own context). Each step:

1. check the budgets; compact the context when it has grown past the threshold (``Compacted``);
2. ask the model with the tool specs, streaming its text as ``ModelText`` pieces;
3. no tool calls: that text is the final answer and the run ends ``done``;
4. otherwise run the calls (several at once, bounded, results kept in call order), each framed by
   ``ToolStarted``/``ToolFinished``; results go back as ``tool`` messages, marked untrusted when the tool
   read a page or a file;
5. ``StepFinished``; the stuck-run guards look at the step (warn first, then stop).

Every way out ends with exactly one ``RunFinished``: ``done``; ``budget_exhausted``; ``failed`` (a model error
that escaped the adapter's retries, a run failure raised by a tool such as ``ChannelClosed``, a stuck run, a
bug); ``cancelled`` or ``interrupted`` when the run's task is cancelled. On cancellation every tool call in
flight is cancelled and gets its ``ToolFinished(ok=False)`` and a "cancelled" tool message, so neither the
events nor the transcript are left half done; then ``CancelledError`` propagates to the run's owner.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..errors import (
    BudgetExhausted,
    InternalError,
    ModelContextTooLong,
    NeedsYou,
    RunCancelled,
    RunError,
    RunInterrupted,
    WebBridgeError,
)
from ..tools.registry import ToolContext, ToolResult
from .budget import Budget, BudgetTracker
from .chat import ChatMessage, Model, TextDelta, ToolCall, ToolSpec, Usage
from .compaction import Compactor
from .emitter import Emitter
from .events import (
    Compacted,
    ModelText,
    Notice,
    RunFinished,
    RunOutcome,
    StepFinished,
    ToolFinished,
    ToolStarted,
)
from .guards import ProgressGuard, RepeatGuard, Verdict
from .injection import find_instructions

log = logging.getLogger("webbridge.agent.loop")

#: Streamed text is passed on in pieces of at least this many characters (or at a newline).
PIECE_CHARS = 64
#: A ToolFinished summary shows at most this much of the result.
SUMMARY_CHARS = 160
#: ToolStarted shows argument text up to this size.
ARGS_CHARS = 10_000
#: At most this many distinct "instructions found in page content" notices per run.
MAX_SHOWN_INSTRUCTIONS = 20


class ToolRunner(Protocol):
    """What the loop needs of a tool registry (``webbridge.tools.registry.ToolRegistry`` is one)."""

    def specs(self) -> list[ToolSpec]: ...

    async def call(self, call: ToolCall, ctx: ToolContext) -> ToolResult: ...


MessageSink = Callable[[ChatMessage], None]
StopOutcome = Literal["cancelled", "interrupted"]


@dataclass(frozen=True)
class LoopConfig:
    budget: Budget = field(default_factory=Budget)
    #: At most this many tool calls of one step run at once.
    max_parallel_tools: int = 8
    repeat_warn: int = 3
    repeat_stop: int = 5
    no_progress_warn: int = 3
    no_progress_stop: int = 6
    compact_at_tokens: int = 60_000
    keep_recent: int = 8
    max_output_tokens: int | None = None


class AgentLoop:
    """Runs one task to its end. Not reusable: one instance per run."""

    def __init__(
        self,
        *,
        model: Model,
        tools: ToolRunner,
        ctx: ToolContext,
        emitter: Emitter,
        config: LoopConfig | None = None,
        on_message: MessageSink | None = None,
        stop_outcome: Callable[[], StopOutcome] = lambda: "cancelled",
    ) -> None:
        self.model = model
        self.tools = tools
        self.ctx = ctx
        self.emitter = emitter
        self.config = config or LoopConfig()
        self._on_message = on_message or (lambda _m: None)
        self._stop_outcome = stop_outcome
        self.budget = BudgetTracker(self.config.budget)
        self._compactor = Compactor(
            threshold_tokens=self.config.compact_at_tokens, keep_recent=self.config.keep_recent
        )
        self._repeat = RepeatGuard(self.config.repeat_warn, self.config.repeat_stop)
        self._progress = ProgressGuard(self.config.no_progress_warn, self.config.no_progress_stop)
        self.messages: list[ChatMessage] = []
        self._pinned = 0
        self._usage_mark = Usage()
        #: Passages already shown to the user as "instructions found in page content" (W9), bounded.
        self._instructions_shown: set[str] = set()

    async def run(self, opening: Sequence[ChatMessage]) -> RunFinished:
        """Run from the ``opening`` messages (system prompt, task, attached context: kept through every
        compaction) to the end, and return the ``RunFinished`` it emitted.

        Never raises for how the run went (that is the outcome), except ``CancelledError``: cancelling the
        task that awaits this emits ``RunFinished(cancelled)`` (or ``interrupted``, as ``stop_outcome``
        says) after closing the calls in flight, then re-raises.
        """
        self.messages = list(opening)
        self._pinned = len(self.messages)
        for m in self.messages:
            self._on_message(m)
        seconds = self.config.budget.max_seconds
        deadline = None if seconds is None else asyncio.get_running_loop().time() + seconds
        try:
            try:
                async with asyncio.timeout_at(deadline) as scope:
                    answer = await self._steps()
            except TimeoutError:
                if not scope.expired():
                    raise
                raise self.budget.time_exhausted() from None
        except asyncio.CancelledError:
            outcome = self._stop_outcome()
            stop: RunError
            if outcome == "cancelled":
                stop = RunCancelled("Stopped by the user.")
            else:
                stop = RunInterrupted("The daemon stopped while the run was going.")
            self._finish(outcome, stop.message, stop.code)
            raise
        except BudgetExhausted as exc:
            return self._finish("budget_exhausted", exc.message, exc.code)
        except NeedsYou as exc:  # an unattended run met an action outside its grants: it parks
            return self._finish("needs_you", exc.message, exc.code)
        except WebBridgeError as exc:
            return self._finish("failed", exc.message, exc.code)
        except Exception as exc:
            log.exception("run %s failed on a bug", self.emitter.run_id)
            err = InternalError(f"internal error: {type(exc).__name__}: {exc}")
            return self._finish("failed", err.message, err.code)
        return self._finish("done", answer, None)

    # --- steps ------------------------------------------------------------------------------------------

    async def _steps(self) -> str:
        specs = self.tools.specs()
        while True:
            self.budget.check()
            step = self.budget.steps + 1
            if self._compactor.needed(self.messages):
                self._compact(step)
            reply_msg = await self._ask(step, specs)
            calls = reply_msg.tool_calls
            if not calls:
                self._end_step(step)
                return reply_msg.content.strip() or "(The model ended without an answer.)"
            results = await self._run_calls(step, calls)
            self._end_step(step)
            self._guard(self._repeat.observe(calls))
            self._guard(self._progress.observe([r.is_error for r in results]))

    async def _ask(self, step: int, specs: Sequence[ToolSpec]) -> ChatMessage:
        stream = _TextStream(self.emitter, step)
        try:
            reply = await self.model.complete(
                self.messages, specs, on_delta=stream.feed, max_tokens=self.config.max_output_tokens
            )
        except ModelContextTooLong:
            # The adapter says the provider refused the size: compact now, ask once more.
            if not self._compact(step):
                raise
            stream = _TextStream(self.emitter, step)
            reply = await self.model.complete(
                self.messages, specs, on_delta=stream.feed, max_tokens=self.config.max_output_tokens
            )
        self.budget.add_usage(reply.usage)
        message = reply.message
        if message.role != "assistant":
            message = message.model_copy(update={"role": "assistant"})
        self._add(message)
        stream.close(message.content)
        return message

    def _end_step(self, step: int) -> None:
        total, mark = self.budget.usage, self._usage_mark
        step_cost = None if total.cost_usd is None else total.cost_usd - (mark.cost_usd or 0.0)
        usage = Usage(
            input_tokens=total.input_tokens - mark.input_tokens,
            output_tokens=total.output_tokens - mark.output_tokens,
            cost_usd=step_cost,
        )
        self._usage_mark = total
        self.budget.end_step()
        self.emitter.emit(StepFinished, step=step, usage=usage, total_usage=total)
        for warning in self.budget.warnings():
            self.emitter.emit(Notice, level="warning", message=warning)

    def _guard(self, verdict: Verdict | None) -> None:
        if verdict is None:
            return
        if verdict.action == "stop":
            assert verdict.error is not None
            raise verdict.error
        self.emitter.emit(Notice, level="warning", message=verdict.notice)
        self._add(ChatMessage(role="user", content=verdict.nudge))

    def _compact(self, step: int) -> bool:
        """Compact the context if that makes it smaller; emits ``Compacted``. False when it cannot."""
        result = self._compactor.compact(self.messages, pinned=self._pinned)
        if result.after_tokens >= result.before_tokens:
            return False
        self.messages = result.messages
        self.emitter.emit(
            Compacted, step=step, before_tokens=result.before_tokens, after_tokens=result.after_tokens
        )
        return True

    def _add(self, message: ChatMessage) -> None:
        self.messages.append(message)
        self._on_message(message)

    # --- tool calls ---------------------------------------------------------------------------------------

    async def _run_calls(self, step: int, calls: Sequence[ToolCall]) -> list[ToolResult]:
        """Run the step's calls, at most ``max_parallel_tools`` at once; results in call order.

        A call that raises a run failure cancels its siblings and the error propagates; so does
        cancellation. Either way every call left without a result gets a ``ToolFinished(ok=False)`` and a
        tool message saying so, before the exception leaves.
        """
        results: list[ToolResult | None] = [None] * len(calls)
        started: dict[int, float] = {}
        gate = asyncio.Semaphore(self.config.max_parallel_tools)

        async def one(i: int, call: ToolCall) -> None:
            async with gate:
                started[i] = time.perf_counter()
                self.emitter.emit(
                    ToolStarted,
                    step=step,
                    call_id=call.id,
                    tool=call.name,
                    arguments=_shown_arguments(call.arguments),
                )
                result = await self.tools.call(call, self.ctx)
                results[i] = result
                self.emitter.emit(
                    ToolFinished,
                    step=step,
                    call_id=call.id,
                    tool=call.name,
                    ok=not result.is_error,
                    summary=_summary(result),
                    duration_ms=_ms_since(started[i]),
                    artifacts=tuple(result.artifacts),
                    error_code=result.error_code,
                )
                if result.untrusted and not result.is_error:
                    self._show_instructions(call.name, result.content)

        try:
            if len(calls) == 1:
                await one(0, calls[0])  # the common case without a task hop
            else:
                async with asyncio.TaskGroup() as group:
                    for i, call in enumerate(calls):
                        group.create_task(one(i, call))
        except BaseException as exc:
            cause = _unwrap(exc)
            if isinstance(cause, asyncio.CancelledError):
                reason, code = "cancelled", RunCancelled.code
            elif isinstance(cause, WebBridgeError):
                reason, code = f"failed, the run ends: {cause.message}", cause.code
            else:
                reason, code = f"failed, the run ends: {type(cause).__name__}", InternalError.code
            for i, call in enumerate(calls):
                if results[i] is None and i in started:
                    self.emitter.emit(
                        ToolFinished,
                        step=step,
                        call_id=call.id,
                        tool=call.name,
                        ok=False,
                        summary=_clip(reason),
                        duration_ms=_ms_since(started[i]),
                        error_code=code,
                    )
            for i, call in enumerate(calls):
                result = results[i]
                if result is None:
                    result = ToolResult(f"Not done: {reason}.", is_error=True)
                self._add(_tool_message(call, result))
            raise cause from None
        done = [r for r in results if r is not None]
        for call, result in zip(calls, done, strict=True):
            self._add(_tool_message(call, result))
        return done

    def _show_instructions(self, tool: str, text: str) -> None:
        """Show the user passages of page content that read like orders to the agent (W9). They change
        nothing: the model already sees the text as untrusted data and the policy decides every action."""
        for passage in find_instructions(text):
            if passage in self._instructions_shown or len(self._instructions_shown) >= MAX_SHOWN_INSTRUCTIONS:
                continue
            self._instructions_shown.add(passage)
            self.emitter.emit(
                Notice,
                level="warning",
                message=f"What {tool} read contains text addressed to the agent; it is only shown to you, "
                f"not followed on its own, and it grants nothing: “{passage}”",
            )

    # --- the end ------------------------------------------------------------------------------------------

    def _finish(self, outcome: RunOutcome, message: str, code: int | None) -> RunFinished:
        return self.emitter.emit(
            RunFinished,
            outcome=outcome,
            message=message,
            total_usage=self.budget.usage,
            steps=self.budget.steps,
            error_code=code,
        )


class _TextStream:
    """Turns streamed deltas into ``ModelText`` pieces, then one final event with the whole text."""

    def __init__(self, emitter: Emitter, step: int) -> None:
        self._emitter = emitter
        self._step = step
        self._buffer: list[str] = []
        self._size = 0

    async def feed(self, delta: TextDelta) -> None:
        self._buffer.append(delta.text)
        self._size += len(delta.text)
        if self._size >= PIECE_CHARS or "\n" in delta.text:
            self._flush()

    def _flush(self) -> None:
        if self._size:
            self._emitter.emit(ModelText, step=self._step, text="".join(self._buffer))
            self._buffer, self._size = [], 0

    def close(self, whole: str) -> None:
        self._flush()
        if whole:
            self._emitter.emit(ModelText, step=self._step, text=whole, final=True)


def _tool_message(call: ToolCall, result: ToolResult) -> ChatMessage:
    return ChatMessage(
        role="tool",
        content=result.content,
        tool_call_id=call.id,
        name=call.name,
        untrusted=result.untrusted,
        is_error=result.is_error,
    )


def _shown_arguments(text: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text or "{}")
    except (ValueError, RecursionError):
        parsed = None
    if isinstance(parsed, dict) and len(text) <= ARGS_CHARS:
        return parsed
    return {"_raw": text[:ARGS_CHARS]}


def _summary(result: ToolResult) -> str:
    return _clip(" ".join(result.content.split()))


def _clip(line: str) -> str:
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1] + "…"


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


def _unwrap(exc: BaseException) -> BaseException:
    """The run failure inside a TaskGroup's group (the first one that is not a cancellation)."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            if not isinstance(inner, asyncio.CancelledError):
                return _unwrap(inner)
        return asyncio.CancelledError()
    return exc


__all__ = ["AgentLoop", "LoopConfig", "MessageSink", "StopOutcome", "ToolRunner"]
