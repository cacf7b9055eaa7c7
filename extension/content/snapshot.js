/**
 * Op `snapshot`: this frame's part of a page snapshot, as wire lines (snapshot_format.js) that the
 * background stitches with the other frames' and budgets (background/snapshot_text.js).
 *
 * args: `{mode: "default"|"full"|"subtree"|"find"|"delta", ref?, query?, role?}`
 * result: `{text, baseline: boolean, counts?: {added, removed, changed}, token, high, url, title, visited,
 *   entries, ms, scroll: {x, y, width, height, vw, vh}}` (`high`: the highest element number given out)
 *
 * `default`, `full` and `delta` remember what they saw (key → line) as the base of the next `delta`; `find`
 * and `subtree` look without moving it. `delta` without a base answers the full lines with `baseline: false`.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("snapshot")) return;
  ns.loaded.add("snapshot");

  /** @type {Map<number, string> | null} */
  let base = null;
  const FIND_MAX = 300;

  /**
   * @param {WBCEntry[]} entries
   * @param {string} query
   * @param {string} role
   * @returns {WBCEntry[]}
   */
  function find(entries, query, role) {
    const q = query.toLowerCase();
    const r = role.toLowerCase();
    /** @type {WBCEntry[]} */
    const hits = [];
    for (const e of entries) {
      if (e.t === 2) continue;
      if (r) {
        const er = e.role.toLowerCase();
        if (!(er === r || (r === "heading" && /^h[1-6]$/.test(er)) || (r === "text" && e.t === 1))) continue;
      }
      if (q && !(e.name.toLowerCase().includes(q) || (e.value ?? "").toLowerCase().includes(q) || e.ref === query)) continue;
      hits.push(e);
      if (hits.length >= FIND_MAX) break;
    }
    return hits;
  }

  ns.ops.snapshot = (/** @type {{mode?: string, ref?: string, query?: string, role?: string}} */ args) => {
    const t0 = performance.now();
    const mode = args.mode ?? "default";
    /** @type {Element | Document} */
    let root = document;
    if (mode === "subtree") {
      const el = ns.refs.elementFor(String(args.ref ?? ""));
      if (!el) throw ns.error(6001, `ref ${args.ref} does not name a live element of this frame`);
      root = el;
    }
    const { entries, visited, shadowRoots } = ns.walk.walk(root, { includeRoot: mode === "subtree", options: mode === "full" || mode === "subtree" });
    if (mode !== "subtree") ns.settle.rememberRoots(shadowRoots);
    /** @type {string} */
    let text;
    let hadBase = true;
    /** @type {{added: number, removed: number, changed: number} | undefined} */
    let counts;
    if (mode === "find") {
      const hits = find(entries, args.query ?? "", args.role ?? "");
      text = ns.format.wireLines(hits.map((e) => ({ ...e, d: 0 })));
    } else if (mode === "delta" && base) {
      const d = ns.format.diff(base, entries);
      text = d.lines.join("\n");
      counts = { added: d.added, removed: d.removed, changed: d.changed };
    } else {
      hadBase = mode !== "delta";
      // default, full and a delta without a base remember what they saw; subtree looks without moving it
      const next = mode === "subtree" ? undefined : new Map();
      text = ns.format.wireLines(entries, 0, next);
      if (next) base = next;
    }
    if (mode === "delta" && counts) base = ns.format.baseline(entries);
    const se = document.scrollingElement ?? document.documentElement;
    return {
      text,
      baseline: hadBase,
      counts,
      token: ns.frames.token(),
      high: ns.refs.high(),
      url: location.href,
      title: document.title,
      visited,
      entries: entries.length,
      ms: Math.round((performance.now() - t0) * 100) / 100,
      scroll: {
        x: Math.round(window.scrollX), y: Math.round(window.scrollY),
        width: se ? se.scrollWidth : 0, height: se ? se.scrollHeight : 0,
        vw: window.innerWidth, vh: window.innerHeight,
      },
    };
  };
})();
