"""The printed table of ``bench.snapshot``."""

from __future__ import annotations

import statistics
from typing import Any


def _mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def render(result: dict[str, Any]) -> str:
    """The table of a run: the parts it has (``--only`` leaves some out), then a line naming those not run."""
    m = result["meta"]
    quick = " — QUICK (smoke-test counts: the numbers are noise)" if result["config"]["quick"] else ""
    out = [
        f"WebBridge snapshot benchmark — {m['date_utc']} — {m.get('browser') or m['chromium']}, "
        f"{m['cpus']} CPU ({m['cpu']}), Python {m['python']}{quick}",
    ]
    missing = []
    if "b1" in result:
        out += _b1(result)
    else:
        missing.append("B1")
    if "fidelity" in result:
        out += _fidelity(result)
    else:
        missing.append("B2, B3, B5 re-snapshots")
    if "b4" in result:
        out += _actions(result)
    else:
        missing.append("B4, B5 re-render, B7")
    if missing:
        out += ["", f"not run (--only / --skip-actions): {'; '.join(missing)}"]
    return "\n".join(out)


def _b1(result: dict[str, Any]) -> list[str]:
    v = result["verdicts"]
    out = [
        "",
        "B1 snapshot latency (ms): ours = page.snapshot full via the daemon; "
        "peer = Playwright aria_snapshot ai",
        "| page | elements | ours p50 | p95 | p99 | Playwright p50 | p95 | speed-up (p50) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in result["b1"]:
        o, p = row["ours_ms"], row["playwright_ms"]
        out.append(
            f"| {row['kind']} {row['n']} | {row['elements']} | {o['p50']:.1f} | {o['p95']:.1f} | "
            f"{o['p99']:.1f} | "
            f"{p['p50']:.1f} | {p['p95']:.1f} | {row['speedup_p50']:.1f}× |"
        )
    at10k = (
        f"≥ 5× → {_mark(v['b1_speedup_10k_met'])} (worst {v['b1_speedup_10k']}×)"
        if v["b1_speedup_10k"] is not None
        else "not measured (--sizes)"
    )
    at25k = (
        f"≤ 400 ms → {_mark(v['b1_25k_met'])} ({v['b1_25k_p50_ms']} ms)"
        if v["b1_25k_p50_ms"] is not None
        else "not measured (--sizes)"
    )
    out.append(f"(n = {result['config']['samples']} per cell) 10k: {at10k}; 25k: {at25k}")
    return out


def _fidelity(result: dict[str, Any]) -> list[str]:
    v = result["verdicts"]
    out = [
        "",
        "B2 fidelity and B3 tokens (chars/4; ours = full view)",
        "| page | PW interactive refs | sampled | recall | role+name | tokens ours | PW | ratio "
        "| floor | default view |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    fid = result["fidelity"]
    for row in fid["synthetic"] + fid["corpus"]:
        ratio = f"{row['ratio'] * 100:.0f}%" if row["ratio"] is not None else "—"
        floor = f"{row['floor_ratio'] * 100:.0f}%" if row.get("floor_ratio") is not None else "—"
        out.append(
            f"| {row['page']} | {row['pw_interactive_refs']} | {row['sampled']} | "
            f"{row['recall'] * 100:.1f}% | {row['agreement'] * 100:.1f}% | {row['tokens_ours']:.0f} | "
            f"{row['tokens_playwright']:.0f} | {ratio} | {floor} | "
            f"{row['tokens_default']:.0f} |"
        )
    corpus_ratios = [r["ratio"] for r in fid["corpus"] if r["ratio"] is not None]
    median = f"{statistics.median(corpus_ratios) * 100:.0f}%" if corpus_ratios else "—"
    out += [
        f"recall {v['b2_recall']} (≥ 0.99 → {_mark(v['b2_recall_met'])}); role+name {v['b2_agreement']} "
        f"(≥ 0.98 → {_mark(v['b2_agreement_met'])})",
        f"tokens: synthetic {v['b3_ratio_synthetic']}, corpus {v['b3_ratio_corpus']} of Playwright's "
        f"(per-page median {median}; ≤ 0.35 → {_mark(v['b3_ratio_met'])}); floor on the synthetic pages "
        f'{v.get("b3_floor_ratio_synthetic")} (floor: one `role "name" ref` line per interactive element '
        "Playwright refs, nothing else); default view p95 "
        f"{v['b3_default_p95_tokens']:.0f} tokens (≤ 5000 → {_mark(v['b3_default_met'])})",
        "",
        f"B5 ref stability: unchanged re-snapshot min {v['b5_unchanged_min'] * 100:.1f}% "
        f"({_mark(v['b5_unchanged_met'])}); after unrelated mutations min "
        f"{v['b5_mutated_min'] * 100:.1f}% ({_mark(v['b5_mutated_met'])})",
    ]
    return out


def _actions(result: dict[str, Any]) -> list[str]:
    v = result["verdicts"]
    out = [
        "",
        "B4 delta after a local action (chars)",
        "| action | delta | full (ours) | delta/full | delta / Playwright full |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in result["b4"]["rows"]:
        out.append(
            f"| {row['action']} | {row['delta_chars']} | {row['full_chars']} | {row['ratio'] * 100:.1f}% | "
            f"{row['ratio_vs_playwright_full'] * 100:.1f}% |"
        )
    out += [
        f"≤ 10% → {_mark(v['b4_met'])}",
        "",
        f"B5 ref stability: refs of a re-rendered list → 6001: "
        f"{result['b5_rerender']['errors']} ({_mark(v['b5_rerender_stale_met'])})",
        "",
        "B7 action round trip (ms, request → reply via the daemon; no delta unless said)",
        "| action | p50 | p95 | p99 | target |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    b7 = result["b7"]
    for key, label, target in [
        ("dom_click_ms", "click (DOM)", "≤ 5"),
        ("dom_type20_ms", "type 20 chars (DOM)", "≤ 5"),
        ("dom_select_ms", "select (DOM)", "≤ 5"),
        ("trusted_click_ms", "click (trusted, CDP)", "≤ 60"),
        ("click_with_settle_and_delta_ms", "click + settle + delta", "≤ 150"),
        ("playwright_locator_click_ms", "Playwright locator.click()", "peer"),
        ("noop_ping_ms", "no-op `ping` on the same path", "baseline"),
    ]:
        st = b7[key]
        out.append(f"| {label} | {st['p50']:.2f} | {st['p95']:.2f} | {st['p99']:.2f} | {target} |")
    out.append(
        f"DOM ≤ 5 ms → {_mark(v['b7_dom_met'])}; trusted ≤ 60 ms → {_mark(v['b7_trusted_met'])}; "
        f"settle ≤ 150 ms → {_mark(v['b7_settle_met'])}"
    )
    return out
