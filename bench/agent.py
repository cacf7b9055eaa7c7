"""Agent-loop benchmark (B6, daemon side): the loop's own cost per no-op tool call, and memory of a long run.

    python -m bench.agent [--quick] [--steps N] [--runs N] [--out bench/results/agent.json]

Everything runs in one process: the real :class:`~webbridge.agent.runs.RunManager` with the real SQLite run
store (WAL, batched writer) in a temporary folder, the real tool registry with one no-op tool, and an
in-process model that answers at once (one no-op tool call per step, then a final answer), so what is
measured is the daemon, not a provider. Rows:

- ``step_ms``: the time between two consecutive model calls of a run, i.e. everything the daemon does per
  step with one tool call: reply bookkeeping, budgets and guards, ``ToolStarted``/``ToolFinished``/
  ``StepFinished``/``ModelText`` events into the store buffer and the live fan-out (one watcher attached),
  the registry call, the tool message, the transcript. Target **≤ 0.5 ms p50** (BENCHMARKS.md B6);
- ``registry_call_ms``: the floor, ``ToolRegistry.call`` of the same no-op alone;
- ``rss_growth_mb``: resident memory growth of the process from before the first run to after the last
  (``--runs`` + 1 runs of ``--steps`` steps, 200 by default; target for one run ≤ 50 MB), measured after
  the store writes are flushed.

Each step sample is timed with ``perf_counter_ns`` inside the model; the first run is a warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench._support import machine_notes, proc_status_kb, summary, write_results
from webbridge.agent.budget import Budget
from webbridge.agent.chat import ChatMessage, DeltaSink, ModelReply, ToolCall, ToolSpec, Usage
from webbridge.agent.events import RunRequest
from webbridge.agent.loop import LoopConfig
from webbridge.agent.runs import RunManager
from webbridge.daemon.bridges import BridgeRegistry
from webbridge.policy.actions import ActionClass
from webbridge.store.runs import RunStore
from webbridge.tools.registry import ToolContext, ToolRegistry, tool

TARGET_STEP_P50_MS = 0.5
TARGET_RSS_MB = 50.0


@tool(action=ActionClass.NONE)
async def noop(n: int) -> str:
    """Do nothing."""
    return "ok"


class InstantModel:
    """Calls ``noop`` (with a new argument each time, so no guard fires) for ``steps`` steps, then answers;
    records the time of each call."""

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.calls = 0
        self.stamps: list[int] = []

    @property
    def name(self) -> str:
        return "instant"

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec] = (),
        *,
        on_delta: DeltaSink | None = None,
        max_tokens: int | None = None,
    ) -> ModelReply:
        self.stamps.append(time.perf_counter_ns())
        self.calls += 1
        usage = Usage(input_tokens=50, output_tokens=5)
        if self.calls > self.steps:
            return ModelReply(message=ChatMessage(role="assistant", content="done"), stop_reason="end_turn",
                              usage=usage)  # fmt: skip
        call = ToolCall(id=f"c{self.calls}", name="noop", arguments=f'{{"n": {self.calls}}}')
        message = ChatMessage(role="assistant", content="", tool_calls=(call,))
        return ModelReply(message=message, stop_reason="tool_calls", usage=usage)


async def one_run(runs: RunManager, models: list[InstantModel]) -> tuple[list[float], str]:
    run_id = await runs.start(RunRequest(task="Call noop until told otherwise."))
    watched = 0
    async for _ in runs.events(run_id):  # a live watcher, as the side panel would be
        watched += 1
    summary_ = await runs.wait(run_id)
    stamps = models[-1].stamps
    deltas = [(b - a) / 1e6 for a, b in itertools.pairwise(stamps)]
    return deltas, summary_.status


async def bench_steps(work: Path, steps: int, runs_n: int) -> dict[str, Any]:
    store = await RunStore.open(work / "runs.db")
    models: list[InstantModel] = []

    def factory(_name: str | None) -> InstantModel:
        models.append(InstantModel(steps))
        return models[-1]

    runs = RunManager(
        store=store, model_factory=factory, registry=ToolRegistry([noop]), bridges=BridgeRegistry(1),
        workspace_root=work / "ws", config=LoopConfig(budget=Budget(max_steps=steps + 10)),
    )  # fmt: skip
    samples: list[float] = []
    statuses = []
    try:
        gc.collect()
        before = proc_status_kb(os.getpid()) or 0
        await one_run(runs, models)  # warm-up (its memory counts in the growth)
        for _ in range(runs_n):
            deltas, status = await one_run(runs, models)
            samples.extend(deltas)
            statuses.append(status)
        await store.flush()
        gc.collect()
        after = proc_status_kb(os.getpid()) or 0
    finally:
        await runs.aclose()
        await store.aclose()
    step = summary(samples, digits=4)
    growth = round((after - before) / 1024, 2)
    return {
        "step_ms": step,
        "statuses": sorted(set(statuses)),
        "rss_growth_mb": growth,
        "step_met": step["p50"] <= TARGET_STEP_P50_MS,
        "rss_met": growth <= TARGET_RSS_MB,
    }


async def bench_registry(calls: int, work: Path) -> dict[str, float]:
    registry = ToolRegistry([noop])
    ctx = ToolContext(run_id="bench", bridge=None, tab_id=None, workspace=work)
    call = ToolCall(id="c", name="noop", arguments='{"n": 1}')
    for _ in range(min(500, calls)):
        await registry.call(call, ctx)
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter_ns()
        await registry.call(call, ctx)
        samples.append((time.perf_counter_ns() - t0) / 1e6)
    return summary(samples, digits=4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes for the CI smoke test")
    parser.add_argument("--steps", type=int, help="steps per run (default 200; quick 20)")
    parser.add_argument("--runs", type=int, help="measured runs (default 10; quick 2)")
    parser.add_argument("--out", default="bench/results/agent.json")
    args = parser.parse_args(argv)
    steps = args.steps or (20 if args.quick else 200)
    runs_n = args.runs or (2 if args.quick else 10)
    work = Path(tempfile.mkdtemp(prefix="wb-bench-agent-"))
    try:
        loop_rows = asyncio.run(bench_steps(work, steps, runs_n))
        floor = asyncio.run(bench_registry(steps * runs_n, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {
        "meta": machine_notes(),
        "config": {"quick": args.quick, "steps": steps, "runs": runs_n},
        **loop_rows,
        "registry_call_ms": floor,
    }
    s, f = loop_rows["step_ms"], floor
    print("Agent loop, daemon side (ms per step with one no-op tool call)")
    print(f"{'row':<16}{'n':>7}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    for name, row in (("step", s), ("registry_call", f)):
        print(f"{name:<16}{row['n']:>7}{row['p50']:>9.4f}{row['p95']:>9.4f}{row['p99']:>9.4f}{row['max']:>9.4f}")
    print(f"step p50 {s['p50']:.4f} ms vs target ≤ {TARGET_STEP_P50_MS} ms: "
          f"{'met' if loop_rows['step_met'] else 'MISSED'}")  # fmt: skip
    print(f"RSS growth over {runs_n + 1} runs of {steps} steps: {loop_rows['rss_growth_mb']} MB "
          f"vs target ≤ {TARGET_RSS_MB} MB for one: "
          f"{'met' if loop_rows['rss_met'] else 'MISSED'}")  # fmt: skip
    print(f"\nwrote {write_results(args.out, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
