"""Policy benchmark: a decision plus its audit entry per tool call, and ``audit verify`` over 100 000 entries.

    python -m bench.policy [--quick] [--calls N] [--entries N] [--out bench/results/policy.json]

Everything runs in one process on real SQLite files in a temporary folder (removed at the end). Rows:

- ``decide``: :func:`webbridge.policy.decide.decide` alone (pure), per call;
- ``check``: :meth:`PolicyHook.check`: active grants (cached until the file changes) + decide + the audit
  append (one SQLite transaction, WAL, synchronous=NORMAL), per call — the target row, ≤ 0.2 ms p50;
- ``before_after``: the hook's ``before_call`` + ``after_call`` as the registry awaits them, i.e. describe,
  decide, audit the decision, audit the outcome (two appends);
- ``floor_append``: the physical floor of one audit write: a bare ``INSERT`` of a row of the same size in
  its own transaction plus one SHA-256, on a table with no index beyond the key;
- ``verify``: :meth:`AuditLog.verify` over ``--entries`` entries (100 000 by default; target < 5 s), and
  ``export`` of the same log to JSON lines.

The call mix cycles through a read, a navigation with a query, a click on a named button, typing, a click
that is irreversible (asks), a denied script and a local file read, on sites with and without rules, with
50 grants in the store. Each sample is timed with ``perf_counter_ns`` around one call, after a warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import io
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._support import machine_notes, summary, write_results
from webbridge.policy.actions import ActionClass
from webbridge.policy.audit import AuditLog
from webbridge.policy.decide import decide
from webbridge.policy.grants import Grant, GrantStore
from webbridge.policy.hook import PolicyHook
from webbridge.policy.proposed import DataOut, Element, ProposedAction
from webbridge.policy.rules import parse_policy

A = ActionClass
TARGET_CHECK_P50_MS = 0.2
TARGET_VERIFY_S = 5.0
POLICY_TEXT = """
[sites."github.com"]
all = "allow"
script = "deny"
[sites."*.docs.example"]
read = "allow"
type = "allow"
[sites."shop.test"]
interact = "allow"
"""


def actions() -> list[ProposedAction]:
    common = {"run_id": "run-bench", "task_id": "task-bench", "session_id": "s1"}
    return [
        ProposedAction("snapshot", A.READ, "https://github.com/org/repo", **common),
        ProposedAction(
            "navigate",
            A.NAVIGATE,
            "https://www.example.com/search?q=policy+engine",
            data_out=(DataOut("q=policy engine", "https://www.example.com/search"),),
            **common,
        ),
        ProposedAction(
            "click", A.INTERACT, "https://shop.test/cart", element=Element("button", "Continue"), **common
        ),
        ProposedAction(
            "type_text",
            A.TYPE,
            "https://api.docs.example/page",
            element=Element("textbox", "Search"),
            data_out=(DataOut("hello", "https://x"),),
            **common,
        ),
        ProposedAction(
            "click", A.INTERACT, "https://shop.test/cart", element=Element("button", "Place order"), **common
        ),
        ProposedAction("evaluate", A.SCRIPT, "https://github.com/", **common),
        ProposedAction("read_file", A.FILE_READ, None, **common),
    ]


def grants(now: float) -> list[Grant]:
    out = []
    for i in range(50):
        out.append(
            Grant.new(
                who="bench",
                domain=f"site{i}.example",
                classes=[A.TYPE, A.INTERACT],
                lifetime="always",
                now=now,
            )
        )
    return out


def timed(fn: Callable[[], Any], samples: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    gc.disable()
    try:
        for _ in range(samples):
            t0 = time.perf_counter_ns()
            fn()
            out.append((time.perf_counter_ns() - t0) / 1e6)
    finally:
        gc.enable()
    return out


async def timed_async(fn: Callable[[], Any], samples: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        await fn()
    out = []
    gc.disable()
    try:
        for _ in range(samples):
            t0 = time.perf_counter_ns()
            await fn()
            out.append((time.perf_counter_ns() - t0) / 1e6)
    finally:
        gc.enable()
    return out


class _Tool:
    def __init__(self, name: str, action: ActionClass) -> None:
        self.name, self.action = name, action


class _Ctx:
    run_id = "run-bench"
    tab_id = 1
    task_id = "task-bench"

    def __init__(self) -> None:
        self.state: dict[str, Any] = {"browser.seen_urls": {1: "https://shop.test/cart"}}

    def element_for(self, ref: str) -> tuple[str, str]:
        return ("button", "Continue")


def bench_calls(work: Path, calls: int, warmup: int) -> dict[str, Any]:
    now = time.time()
    policy = parse_policy(POLICY_TEXT, "bench-policy.toml")
    store = GrantStore(work / "grants.db")
    for g in grants(now):
        store.add(g)
    audit = AuditLog(work / "audit-calls.db")
    hook = PolicyHook(policy=policy, grants=store, audit=audit)
    mix = actions()
    active = store.active(now)
    i = 0

    def one_decide() -> None:
        nonlocal i
        decide(mix[i % len(mix)], policy, active, now)
        i += 1

    def one_check() -> None:
        nonlocal i
        hook.check(mix[i % len(mix)])
        i += 1

    floor = sqlite3.connect(work / "floor.db", isolation_level=None)
    floor.execute("PRAGMA journal_mode=WAL")
    floor.execute("PRAGMA synchronous=NORMAL")
    floor.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, hash TEXT NOT NULL)")
    body = json.dumps(
        [
            1,
            1_700_000_000_000,
            "agent",
            "run-bench",
            "decision",
            "click",
            "interact",
            "https://shop.test/cart",
            "allow",
            None,
            None,
            '{"reason":"interact on shop.test is allowed","rule":"sites.\\"shop.test\\".interact"}',
            "0" * 64,
        ],
        separators=(",", ":"),
    )

    def one_floor() -> None:
        floor.execute("BEGIN IMMEDIATE")
        floor.execute(
            "INSERT INTO t (body, hash) VALUES (?, ?)", (body, hashlib.sha256(body.encode()).hexdigest())
        )
        floor.execute("COMMIT")

    tool = _Tool("click", A.INTERACT)
    ctx = _Ctx()

    async def one_hook() -> None:
        args = {"ref": "f0e1"}
        await hook.before_call(tool, args, ctx)
        await hook.after_call(tool, args, ctx, None)

    result = {
        "decide_ms": summary(timed(one_decide, calls, warmup), 4),
        "check_ms": summary(timed(one_check, calls, warmup), 4),
        "floor_append_ms": summary(timed(one_floor, calls, warmup), 4),
        "before_after_ms": summary(asyncio.run(timed_async(one_hook, calls, warmup)), 4),
    }
    result["audit_ok"] = audit.verify().ok
    floor.close()
    audit.close()
    store.close()
    result["check_p50_target_ms"] = TARGET_CHECK_P50_MS
    result["check_met"] = result["check_ms"]["p50"] <= TARGET_CHECK_P50_MS
    result["mix"] = [f"{a.tool}:{a.action.value}" for a in mix]
    return result


def bench_verify(work: Path, entries: int, repeats: int) -> dict[str, Any]:
    path = work / "audit-verify.db"
    audit = AuditLog(path)
    detail = {
        "reason": "interact on shop.test is allowed",
        "rule": 'sites."shop.test".interact (p:3)',
        "domain": "shop.test",
        "element": {"role": "button", "name": "Continue"},
        "tab_id": 1,
    }
    t0 = time.perf_counter()
    for n in range(entries):
        audit.append(
            time=1_700_000_000_000 + n,
            actor="agent",
            kind="decision" if n % 2 == 0 else "outcome",
            run_id=f"run{n // 100}",
            tool="click",
            action="interact",
            target="https://shop.test/cart",
            decision="allow" if n % 2 == 0 else None,
            outcome=None if n % 2 == 0 else "ok",
            detail=detail,
        )
    fill_s = time.perf_counter() - t0
    audit.close()
    times, ok, count = [], True, 0
    for _ in range(repeats):
        reader = AuditLog(path, readonly=True)
        t0 = time.perf_counter()
        report = reader.verify()
        times.append(time.perf_counter() - t0)
        ok = ok and report.ok
        count = report.entries
        reader.close()
    reader = AuditLog(path, readonly=True)
    t0 = time.perf_counter()
    sink = io.StringIO()
    exported = reader.export(sink)
    export_s = time.perf_counter() - t0
    reader.close()
    best = min(times)
    median = sorted(times)[len(times) // 2]
    return {
        "entries": count,
        "verified_ok": ok,
        "verify_s": summary(times, 4),
        "verify_s_median": round(median, 4),
        "verify_s_best": round(best, 4),
        "verify_us_per_entry": round(median / max(count, 1) * 1e6, 3),
        "fill_s": round(fill_s, 3),
        "append_us_mean_while_filling": round(fill_s / max(entries, 1) * 1e6, 2),
        "export_s": round(export_s, 4),
        "exported": exported,
        "file_mb": round(path.stat().st_size / 1e6, 2),
        "target_s": TARGET_VERIFY_S,
        "met": median < TARGET_VERIFY_S and ok and count == entries,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes for the CI smoke test")
    parser.add_argument("--calls", type=int, help="samples per call row (default 20000; quick 200)")
    parser.add_argument("--entries", type=int, help="audit entries to verify (default 100000; quick 2000)")
    parser.add_argument("--repeats", type=int, help="verify runs (default 5; quick 2)")
    parser.add_argument("--out", default="bench/results/policy.json")
    args = parser.parse_args(argv)
    calls = args.calls or (200 if args.quick else 20_000)
    entries = args.entries or (2_000 if args.quick else 100_000)
    repeats = args.repeats or (2 if args.quick else 5)
    warmup = min(500, calls)
    work = Path(tempfile.mkdtemp(prefix="wb-bench-policy-"))
    try:
        result = {
            "meta": {**machine_notes(), "workdir": str(work)},
            "config": {
                "quick": args.quick,
                "calls": calls,
                "entries": entries,
                "repeats": repeats,
                "warmup": warmup,
            },
            "calls": bench_calls(work, calls, warmup),
            "verify": bench_verify(work, entries, repeats),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c, v = result["calls"], result["verify"]
    print("Policy decision + audit (ms per call)")
    print(f"{'row':<16}{'n':>7}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    for key in ("decide_ms", "check_ms", "before_after_ms", "floor_append_ms"):
        s = c[key]
        print(f"{key[:-3]:<16}{s['n']:>7}{s['p50']:>9.4f}{s['p95']:>9.4f}{s['p99']:>9.4f}{s['max']:>9.4f}")
    print(
        f"check p50 {c['check_ms']['p50']:.4f} ms vs target ≤ {TARGET_CHECK_P50_MS} ms: "
        f"{'met' if c['check_met'] else 'MISSED'}"
    )
    print(
        f"\nAudit verify: {v['entries']} entries in {v['verify_s_median']:.3f} s median "
        f"({v['verify_us_per_entry']} µs/entry; best {v['verify_s_best']:.3f} s) vs target < "
        f"{TARGET_VERIFY_S} s: {'met' if v['met'] else 'MISSED'}; export {v['export_s']:.3f} s; "
        f"file {v['file_mb']} MB"
    )
    print(f"\nwrote {write_results(args.out, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
