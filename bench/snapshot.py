"""B1–B5 and B7 (page snapshot and actions) against Playwright, in one run and one Chromium.

    python -m bench.snapshot [--quick] [--samples N] [--out bench/results/snapshot.json]

A throwaway world (as ``bench.bridge``): HOME, WEBBRIDGE_HOME and a Chromium profile in a temporary folder;
the daemon started, Chromium launched through Playwright with the extension, paired as a user would. The
pages come from a local static server (``bench/_pages.py``): synthetic pages and the real-page corpus of
``shared/corpus/pages``. Playwright drives the *same* tab of the *same* browser, so both sides see the same
DOM, layout and viewport (1280×800).

- B1 latency: ours = ``bridge.call page.snapshot {mode: full}`` over the daemon's control socket, timed in
  this process from request to the text (so: request into the daemon → extension → text back in the daemon
  → here); peer = ``page.aria_snapshot(mode="ai")``. Alternated sample by sample after warm-ups.
- B2 fidelity: Playwright's refs on interactive roles (sampled), resolved to DOM elements with its
  ``aria-ref=`` locator and marked; our ref of each marked element read in the isolated world. Recall =
  share of those elements that carry a ref of ours; agreement = same role and accessible name.
- B3 tokens: characters / 4 of our full snapshot vs Playwright's (and our default view), what each text
  spends its characters on, and the floor of the page (``_tokens.py``).
- B4 delta after local actions vs the full snapshot; B5 ref stability; B7 action round trips vs
  ``locator.click()``.

Never a timed test: nothing asserts a number; targets are compared and reported, met or missed.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from webbridge.daemon.client import ControlClient
from webbridge.errors import WebBridgeError
from webbridge.paths import resolve

from ._aria import INTERACTIVE, compare, parse_ours, parse_playwright
from ._pages import serve
from ._support import finite, machine_notes, summary
from ._tokens import floor_chars, our_composition, playwright_composition
from .bridge import pair, temporary_world

BENCH_DIR = Path(__file__).resolve().parent
CORPUS = BENCH_DIR.parent.parent / "shared" / "corpus" / "pages"
VIEWPORT: Any = {"width": 1280, "height": 800}
#: What a run can be limited to with ``--only``: B1; B2/B3/B5 per page; B4, B5's re-render and B7.
PARTS = ("b1", "fidelity", "actions")
KINDS = ("flat", "nested")

TARGETS = {
    "b1_speedup_10k_min": 5.0,
    "b1_25k_p50_ms_max": 400.0,
    "b2_recall_min": 0.99,
    "b2_agreement_min": 0.98,
    "b3_ratio_max": 0.35,
    "b3_default_p95_tokens_max": 5000,
    "b4_delta_ratio_max": 0.10,
    "b5_unchanged_min": 1.0,
    "b5_mutated_min": 0.99,
    "b7_dom_p50_ms_max": 5.0,
    "b7_trusted_click_p50_ms_max": 60.0,
    "b7_settle_p50_ms_max": 150.0,
}

MAP_JS = """async (tabId) => {
  const rs = await chrome.scripting.executeScript({target: {tabId, allFrames: true}, injectImmediately: true,
                                                   func: () => {
    const ns = globalThis.__webbridgeContent, out = {};
    const visit = (root) => {
      for (const el of root.querySelectorAll("*")) {
        const mark = el.getAttribute("data-wbbench");
        if (mark) out[mark] = ns && ns.refs ? ns.refs.peek(el) : null;
        let sr = el.shadowRoot;
        if (!sr && el.localName.includes("-") && chrome.dom) {
          try { sr = chrome.dom.openOrClosedShadowRoot(el); } catch {}
        }
        if (sr) visit(sr);
      }
    };
    visit(document);
    return out;
  }});
  return Object.assign({}, ...rs.map((r) => r.result || {}));
}"""


@dataclass
class Config:
    quick: bool = False
    samples: int = 30
    sizes: list[int] = field(default_factory=lambda: [1000, 5000, 10000, 25000])
    kinds: list[str] = field(default_factory=lambda: ["flat", "nested"])
    corpus_pages: int = 0  # 0: all
    fidelity_sample: int = 400  # per corpus page
    fidelity_sample_synthetic: int = 150  # per synthetic page (uniform content; aria-ref lookups are slow)
    b7_samples: int = 40
    actions: bool = True  # B4, B5 re-render and B7 (they act through page.act)
    parts: list[str] = field(default_factory=lambda: list(PARTS))  # which of PARTS run (--only)

    @classmethod
    def quick_config(cls) -> Config:
        return cls(
            quick=True, samples=3, sizes=[300], corpus_pages=2, fidelity_sample=40,
            fidelity_sample_synthetic=40, b7_samples=3,
        )


class Bridge:
    """Calls through the daemon's control socket (one connection), timed here."""

    def __init__(self, env: dict[str, str]) -> None:
        self.client = ControlClient.connect(resolve(env))

    def call(self, kind: str, body: dict[str, Any], timeout: float = 120) -> tuple[float, dict[str, Any]]:
        t0 = time.perf_counter()
        reply = self.client.call("bridge.call", deadline=timeout + 5, kind=kind, body=body, timeout=timeout)
        return (time.perf_counter() - t0) * 1000, dict(reply["body"])

    def error(self, kind: str, body: dict[str, Any]) -> int | None:
        try:
            self.call(kind, body)
        except WebBridgeError as exc:
            return exc.code
        return None

    def tab_for(self, url: str) -> int:
        _, info = self.call("browser.info", {})
        ids = [t["id"] for t in info["tabs"] if t["url"] == url]
        if len(ids) != 1:
            raise RuntimeError(f"expected one tab on {url}, found {ids}")
        return int(ids[0])

    def close(self) -> None:
        self.client.close()


def snapshot(bridge: Bridge, tab: int, mode: str = "full", **extra: Any) -> tuple[float, dict[str, Any]]:
    return bridge.call("page.snapshot", {"tab_id": tab, "mode": mode, **extra})


class Tabs:
    """Each page in a fresh tab (the previous one closed), as when an agent opens it: refs start at e1."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.page: Any = None

    def open(self, bridge: Bridge, url: str) -> tuple[Any, int]:
        if self.page is not None:
            self.page.close()
        self.page = self.context.new_page()
        self.page.set_viewport_size(VIEWPORT)
        self.page.goto(url, wait_until="load", timeout=60_000)
        return self.page, bridge.tab_for(self.page.url)


# --- B1 ---------------------------------------------------------------------------------------------------


def run_b1(tabs: Tabs, bridge: Bridge, base: str, cfg: Config) -> list[dict[str, Any]]:
    rows = []
    for kind in cfg.kinds:
        for n in cfg.sizes:
            page, tab = tabs.open(bridge, f"{base}/{kind}?n={n}")
            elements = page.evaluate("document.getElementsByTagName('*').length")
            for _ in range(2):
                snapshot(bridge, tab)
            page.aria_snapshot(mode="ai")
            ours: list[float] = []
            peer: list[float] = []
            for i in range(cfg.samples):
                order = ("ours", "pw") if i % 2 == 0 else ("pw", "ours")
                for who in order:
                    if who == "ours":
                        ours.append(snapshot(bridge, tab)[0])
                    else:
                        t0 = time.perf_counter()
                        page.aria_snapshot(mode="ai")
                        peer.append((time.perf_counter() - t0) * 1000)
            o, p = summary(ours, 2), summary(peer, 2)
            rows.append({"kind": kind, "n": n, "elements": elements, "ours_ms": o, "playwright_ms": p,
                         "speedup_p50": round(p["p50"] / o["p50"], 2)})  # fmt: skip
            print(f"  B1 {kind} {n}: ours p50 {o['p50']:.1f} ms, playwright {p['p50']:.1f} ms", flush=True)
    return rows


# --- B2 + B3 + B5 per page ----------------------------------------------------------------------------------


def page_fidelity(
    page: Any, worker: Any, bridge: Bridge, tab: int, label: str, sample_max: int
) -> dict[str, Any]:
    pw_text = page.aria_snapshot(mode="ai")
    pw = parse_playwright(pw_text)
    interactive = [r for r, node in pw.items() if node.role in INTERACTIVE]
    sample = random.Random(label).sample(interactive, min(len(interactive), sample_max))
    marked, unresolvable = [], 0
    for ref in sample:
        try:
            page.locator(f"aria-ref={ref}").evaluate("(el, r) => el.setAttribute('data-wbbench', r)", ref,
                                                     timeout=2000)  # fmt: skip
            marked.append(ref)
        except Exception:
            unresolvable += 1
    _, full = snapshot(bridge, tab)
    _, full2 = snapshot(bridge, tab)
    _, default = snapshot(bridge, tab, mode="default")
    ours = parse_ours(full["text"])
    ours2 = parse_ours(full2["text"], derive=False)
    mapping = worker.evaluate(MAP_JS, tab)
    fid = compare(pw, ours, {r: mapping.get(r) for r in marked})
    printed = parse_ours(full["text"], derive=False)
    stable = sum(1 for r, node in printed.items() if ours2.get(r) == node)
    return {
        "page": label,
        "pw_interactive_refs": len(interactive),
        "sampled": len(marked),
        "unresolvable": unresolvable,
        "found": fid.found,
        "agree": fid.agree,
        "unlabelled_reference": fid.unlabelled,
        "recall": round(fid.recall, 4),
        "agreement": round(fid.agreement, 4),
        "misses": fid.misses,
        "disagreements": fid.disagreements,
        "tokens_ours": len(full["text"]) / 4,
        "tokens_playwright": len(pw_text) / 4,
        "tokens_default": len(default["text"]) / 4,
        "tokens_floor": floor_chars(pw) / 4,
        "ratio": round(len(full["text"]) / max(len(pw_text), 1), 4) if pw_text else None,
        "floor_ratio": round(floor_chars(pw) / len(pw_text), 4) if pw_text else None,
        "chars_ours_by_kind": _top(our_composition(full["text"])),
        "chars_playwright_by_kind": _top(playwright_composition(pw_text)),
        "refs_ours": len(ours),
        "b5_unchanged": round(stable / len(printed), 4) if printed else 1.0,
        "frames": full["frames"],
    }


def _top(kinds: dict[str, int], n: int = 10) -> dict[str, int]:
    """The ``n`` largest kinds, in order."""
    return dict(list(kinds.items())[:n])


def b5_mutated(page: Any, bridge: Bridge, tab: int) -> tuple[float, list[str]]:
    """Share of refs with the same role and name after unrelated mutations (20 elements added at the top,
    the text of a paragraph outside any named element changed), and a few of those that changed."""
    before = parse_ours(snapshot(bridge, tab)[1]["text"], derive=False)
    page.evaluate("""() => {
      const box = document.createElement('div');
      box.innerHTML = Array.from({length: 20}, (_, i) => `<button>Added ${i}</button>`).join('');
      document.body.prepend(box);
      const named = 'a, button, label, summary, legend, caption, [role], [aria-label], h1, h2, h3, h4, h5, h6'
        .replace(/, /g, ',');
      const p = [...document.querySelectorAll('p')].find((x) => !x.closest(named) && !x.querySelector(named));
      if (p) p.textContent = 'changed text';
    }""")
    after = parse_ours(snapshot(bridge, tab)[1]["text"], derive=False)
    if not before:
        return 1.0, []  # nothing to keep stable (an empty page)
    same = sum(1 for r, node in before.items() if after.get(r) == node)
    changed = [
        f"{n.role} {n.name[:40]!r} → " + (repr(after[r].name[:40]) if r in after else "gone")
        for r, n in before.items()
        if after.get(r) != n
    ][:5]
    return same / len(before), changed


def run_fidelity(tabs: Tabs, worker: Any, bridge: Bridge, base: str, cfg: Config) -> dict[str, Any]:
    synthetic, corpus = [], []
    for kind in cfg.kinds:
        for n in cfg.sizes:
            page, tab = tabs.open(bridge, f"{base}/{kind}?n={n}&f=1")
            label = f"{kind}-{n}"
            synthetic.append(page_fidelity(page, worker, bridge, tab, label, cfg.fidelity_sample_synthetic))
    names = sorted(p.name for p in CORPUS.glob("*.html")) if CORPUS.is_dir() else []
    if cfg.corpus_pages:
        names = names[: cfg.corpus_pages]
    mutated = []
    for name in names:
        page, tab = tabs.open(bridge, f"{base}/pages/{name}")
        row = page_fidelity(page, worker, bridge, tab, name.removesuffix(".html"), cfg.fidelity_sample)
        share, changed = b5_mutated(page, bridge, tab)
        row["b5_mutated"], row["b5_mutated_changed"] = round(share, 4), changed
        corpus.append(row)
        mutated.append(share)
        print(f"  B2/B3 {name}: recall {row['recall']:.3f}, agreement {row['agreement']:.3f}, "
              f"tokens {row['tokens_ours']:.0f} vs {row['tokens_playwright']:.0f}", flush=True)  # fmt: skip
    page, tab = tabs.open(bridge, f"{base}/nested?n={cfg.sizes[0]}&m=1")
    mutated.append(b5_mutated(page, bridge, tab)[0])
    return {"synthetic": synthetic, "corpus": corpus, "b5_mutated": [round(m, 4) for m in mutated]}


# --- B4, B5 re-render, B7 -----------------------------------------------------------------------------------


def ref_of(text: str, role: str, name: str) -> str:
    for node in parse_ours(text).values():
        if node.role == role and node.name == name:
            return node.ref
    raise RuntimeError(f"{role} {name!r} not in the snapshot")


def run_b4(tabs: Tabs, bridge: Bridge, base: str) -> dict[str, Any]:
    page, tab = tabs.open(bridge, f"{base}/b4")
    _, full = snapshot(bridge, tab)
    pw_full = len(page.aria_snapshot(mode="ai"))
    text = full["text"]
    rows = []
    for label, body in [
        ("open menu", {"action": "click", "ref": ref_of(text, "button", "Menu")}),
        ("type 5 chars", {"action": "type", "ref": ref_of(text, "textbox", "Search"), "text": "hello"}),
        ("toggle checkbox", {"action": "check", "ref": ref_of(text, "checkbox", "Dark mode")}),
    ]:
        _, done = bridge.call("page.act", {"tab_id": tab, **body})
        delta = done.get("delta") or ""
        rows.append({"action": label, "delta_chars": len(delta), "full_chars": len(text),
                     "ratio": round(len(delta) / len(text), 4),
                     "ratio_vs_playwright_full": round(len(delta) / pw_full, 4),
                     "delta": delta[:400]})  # fmt: skip
    return {"rows": rows, "full_chars": len(text), "playwright_full_chars": pw_full}


def run_b5_rerender(tabs: Tabs, bridge: Bridge, base: str) -> dict[str, Any]:
    _, tab = tabs.open(bridge, f"{base}/b7?r=1")
    _, snap = snapshot(bridge, tab)
    old = [ref_of(snap["text"], "button", f"Pick {x}") for x in "abcde"]
    rerender = ref_of(snap["text"], "button", "Re-render")
    bridge.call("page.act", {"tab_id": tab, "action": "click", "ref": rerender, "delta": False})
    codes = [
        bridge.error("page.act", {"tab_id": tab, "action": "click", "ref": r, "delta": False}) for r in old
    ]
    return {"stale_refs": len(old), "errors": codes, "all_6001": all(c == 6001 for c in codes)}


def run_b7(tabs: Tabs, bridge: Bridge, base: str, cfg: Config) -> dict[str, Any]:
    page, tab = tabs.open(bridge, f"{base}/b7")
    _, snap = snapshot(bridge, tab)
    text = snap["text"]
    counter, name, colour = (ref_of(text, "button", "Count"), ref_of(text, "textbox", "Name"),
                             ref_of(text, "combobox", "Colour"))  # fmt: skip

    def act(body: dict[str, Any]) -> float:
        return bridge.call("page.act", {"tab_id": tab, "delta": False, **body})[0]

    for _ in range(3):
        act({"action": "click", "ref": counter, "input": "dom"})
        page.locator("#counter").click()
    click, pw_click, typing, select, trusted, settle, noop = [], [], [], [], [], [], []
    twenty = "abcdefghij0123456789"
    for i in range(cfg.b7_samples):
        noop.append(bridge.call("ping", {})[0])
        click.append(act({"action": "click", "ref": counter, "input": "dom"}))
        t0 = time.perf_counter()
        page.locator("#counter").click()
        pw_click.append((time.perf_counter() - t0) * 1000)
        act({"action": "fill", "ref": name, "text": "", "input": "dom"})
        typing.append(act({"action": "type", "ref": name, "text": twenty, "input": "dom"}))
        select.append(
            act({"action": "select", "ref": colour, "values": ["Green" if i % 2 else "Blue"], "input": "dom"})
        )
        trusted.append(act({"action": "click", "ref": counter, "input": "trusted"}))
        settle.append(
            bridge.call("page.act", {"tab_id": tab, "action": "click", "ref": counter, "input": "dom"})[0]
        )
    ok = page.input_value("#name") == twenty
    return {
        "dom_click_ms": summary(click, 2),
        "dom_type20_ms": summary(typing, 2),
        "dom_select_ms": summary(select, 2),
        "trusted_click_ms": summary(trusted, 2),
        "click_with_settle_and_delta_ms": summary(settle, 2),
        "playwright_locator_click_ms": summary(pw_click, 2),
        "noop_ping_ms": summary(noop, 2),
        "typed_text_arrived": ok,
    }


# --- run --------------------------------------------------------------------------------------------------


def verdicts(r: dict[str, Any]) -> dict[str, Any]:
    """Met/missed per target, for the parts the run has (``--only`` leaves some out)."""
    out: dict[str, Any] = {}
    if "b1" in r:
        out |= _b1_verdicts(r)
    if "fidelity" in r:
        out |= _fidelity_verdicts(r)
    if "b4" in r:
        out |= _action_verdicts(r)
    return out


def _b1_verdicts(r: dict[str, Any]) -> dict[str, Any]:
    t = TARGETS
    at10k = [row for row in r["b1"] if row["n"] == 10000]
    at25k = [row for row in r["b1"] if row["n"] == 25000]
    return {
        "b1_speedup_10k": min((row["speedup_p50"] for row in at10k), default=None),
        "b1_speedup_10k_met": bool(at10k)
        and all(row["speedup_p50"] >= t["b1_speedup_10k_min"] for row in at10k),
        "b1_25k_p50_ms": max((row["ours_ms"]["p50"] for row in at25k), default=None),
        "b1_25k_met": bool(at25k) and all(row["ours_ms"]["p50"] <= t["b1_25k_p50_ms_max"] for row in at25k),
    }


def _fidelity_verdicts(r: dict[str, Any]) -> dict[str, Any]:
    t = TARGETS
    pages = r["fidelity"]["synthetic"] + r["fidelity"]["corpus"]
    sampled = sum(p["sampled"] for p in pages)
    found = sum(p["found"] for p in pages)
    agree = sum(p["agree"] for p in pages)
    compared = found - sum(p["unlabelled_reference"] for p in pages)

    def ratio(rows: list[dict[str, Any]]) -> float | None:
        theirs = sum(p["tokens_playwright"] for p in rows)
        return round(sum(p["tokens_ours"] for p in rows) / theirs, 4) if theirs else None

    defaults = sorted(p["tokens_default"] for p in r["fidelity"]["corpus"]) or [0.0]
    p95_default = defaults[min(len(defaults) - 1, math.ceil(0.95 * len(defaults)) - 1)]
    syn_ratio, cor_ratio = ratio(r["fidelity"]["synthetic"]), ratio(r["fidelity"]["corpus"])
    syn_floor = sum(p["tokens_floor"] for p in r["fidelity"]["synthetic"])
    syn_pw = sum(p["tokens_playwright"] for p in r["fidelity"]["synthetic"])
    unchanged = min(p["b5_unchanged"] for p in pages) if pages else 1.0
    mutated = min(r["fidelity"]["b5_mutated"]) if r["fidelity"]["b5_mutated"] else 1.0
    return {
        "b2_recall": round(found / sampled, 4) if sampled else None,
        "b2_recall_met": sampled > 0 and found / sampled >= t["b2_recall_min"],
        "b2_agreement": round(agree / compared, 4) if compared else None,
        "b2_agreement_met": compared > 0 and agree / compared >= t["b2_agreement_min"],
        "b2_unlabelled_reference": found - compared,
        "b3_ratio_synthetic": syn_ratio,
        "b3_ratio_corpus": cor_ratio,
        # the least a text with one `role "name" ref` line per element of the B2 gate could reach (_tokens.py)
        "b3_floor_ratio_synthetic": round(syn_floor / syn_pw, 4) if syn_pw else None,
        "b3_ratio_met": all(x is not None and x <= t["b3_ratio_max"] for x in (syn_ratio, cor_ratio)),
        "b3_default_p95_tokens": p95_default,
        "b3_default_met": p95_default <= t["b3_default_p95_tokens_max"],
        "b5_unchanged_min": unchanged,
        "b5_unchanged_met": unchanged >= t["b5_unchanged_min"],
        "b5_mutated_min": round(mutated, 4),
        "b5_mutated_met": mutated >= t["b5_mutated_min"],
    }


def _action_verdicts(r: dict[str, Any]) -> dict[str, Any]:
    t = TARGETS
    b4_worst = max(row["ratio"] for row in r["b4"]["rows"])
    b7 = r["b7"]
    dom_p50 = max(b7["dom_click_ms"]["p50"], b7["dom_type20_ms"]["p50"], b7["dom_select_ms"]["p50"])
    return {
        "b4_worst_ratio": b4_worst,
        "b4_met": b4_worst <= t["b4_delta_ratio_max"],
        "b5_rerender_stale_met": r["b5_rerender"]["all_6001"],
        "b7_dom_p50_ms": dom_p50,
        "b7_dom_met": dom_p50 <= t["b7_dom_p50_ms_max"],
        "b7_trusted_met": b7["trusted_click_ms"]["p50"] <= t["b7_trusted_click_p50_ms_max"],
        "b7_settle_met": b7["click_with_settle_and_delta_ms"]["p50"] <= t["b7_settle_p50_ms_max"],
    }


def run(cfg: Config, keep: bool = False) -> dict[str, Any]:
    from webbridge.launch import chromium_with_extension

    started = time.monotonic()
    result: dict[str, Any] = {"schema": 1, "meta": machine_notes(), "config": asdict(cfg), "targets": TARGETS}
    with temporary_world(keep) as world:
        result["meta"]["workdir"] = str(world.root)
        result["meta"]["corpus"] = str(CORPUS) if CORPUS.is_dir() else None
        world.cli("daemon", "start")
        with (
            chromium_with_extension(world.profile, env=world.overrides) as browser,
            serve(CORPUS if CORPUS.is_dir() else None) as base,
        ):
            worker = browser.worker
            pair(world, worker)
            info = worker.evaluate("() => self.__webbridge.browserInfo()")
            result["meta"]["browser"] = f"{info['browser']} {info['version']}"
            bridge = Bridge(world.env)
            try:
                tabs = Tabs(browser.context)
                if "b1" in cfg.parts:
                    print("B1 latency", flush=True)
                    result["b1"] = run_b1(tabs, bridge, base, cfg)
                if "fidelity" in cfg.parts:
                    print("B2/B3/B5 fidelity, tokens, stability", flush=True)
                    result["fidelity"] = run_fidelity(tabs, worker, bridge, base, cfg)
                if cfg.actions and "actions" in cfg.parts:
                    print("B4, B5 re-render, B7", flush=True)
                    result["b4"] = run_b4(tabs, bridge, base)
                    result["b5_rerender"] = run_b5_rerender(tabs, bridge, base)
                    result["b7"] = run_b7(tabs, bridge, base, cfg)
            finally:
                bridge.close()
        result["meta"]["notes"] = world.notes
    result["verdicts"] = verdicts(result)
    result["meta"]["duration_s"] = round(time.monotonic() - started, 1)
    return result


# --- output -----------------------------------------------------------------------------------------------




def _choices(parser: argparse.ArgumentParser, flag: str, value: str, allowed: tuple[str, ...]) -> list[str]:
    """A comma-separated list of names, each one of ``allowed``; ``parser.error`` (exit 2) otherwise."""
    picked = [x.strip() for x in value.split(",") if x.strip()]
    bad = [x for x in picked if x not in allowed]
    if bad or not picked:
        parser.error(f"{flag} takes a comma-separated list of {', '.join(allowed)}; got {value!r}")
    return picked


def main(argv: list[str] | None = None) -> int:
    from ._snapshot_report import render

    parser = argparse.ArgumentParser(prog="python -m bench.snapshot", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="tiny counts for a CI smoke test (numbers are noise)"
    )
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "snapshot.json")
    parser.add_argument("--samples", type=int, help="B1 samples per page and side (default 30)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, profile)")
    parser.add_argument(
        "--skip-actions", action="store_true", help="leave out B4, B5 re-render and B7 (they act on pages)"
    )
    parser.add_argument(
        "--only",
        help=f"comma-separated parts to run, of {', '.join(PARTS)} (default: all; "
        "actions = B4, B5 re-render, B7)",
    )
    parser.add_argument("--sizes", help="comma-separated B1 page sizes (default 1000,5000,10000,25000)")
    parser.add_argument(
        "--kinds", help=f"comma-separated B1 page kinds, of {', '.join(KINDS)} (default: both)"
    )
    args = parser.parse_args(argv)
    cfg = Config.quick_config() if args.quick else Config()
    if args.only is not None:
        cfg.parts = _choices(parser, "--only", args.only, PARTS)
    if args.kinds is not None:
        cfg.kinds = _choices(parser, "--kinds", args.kinds, KINDS)
    if args.sizes is not None:
        try:
            cfg.sizes = [int(x) for x in args.sizes.split(",")]
        except ValueError:
            parser.error("--sizes takes comma-separated integers")
        if any(n < 10 for n in cfg.sizes):
            parser.error("--sizes must be at least 10")
    if args.samples is not None:
        if args.samples < 1:
            parser.error("--samples must be at least 1")
        cfg.samples = args.samples
    cfg.actions = not args.skip_actions
    result = finite(run(cfg, keep=args.keep))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(render(result))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
