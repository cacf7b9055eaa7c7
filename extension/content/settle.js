/**
 * Watching the DOM for change, event-driven (no fixed sleeps):
 *
 * - `ns.settle.watch()` starts a MutationObserver on the document and every shadow root the last snapshot
 *   walked (a document-level observer does not see inside shadow roots), and returns `{changed(), until(ms),
 *   stop()}`: whether anything changed yet, and a promise resolved at the first change or after `ms`.
 * - op `settle` `{quiet_ms = 50, max_ms = 2000}` → `{mutations, waited_ms, quiet}`: resolves once no
 *   mutation has happened for `quiet_ms` (the DOM is quiet), or at `max_ms`.
 *
 * Mutations of our own in-page elements (`data-webbridge-indicator`, `data-webbridge-ui`) are ignored.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("settle")) return;
  ns.loaded.add("settle");

  /** Our own elements in pages (content/indicator.js): their changes are not the page's. */
  const OURS = "[data-webbridge-ui], [data-webbridge-indicator]";
  /** @type {Set<WeakRef<ShadowRoot>>} shadow roots seen by the last walk */
  let roots = new Set();

  /** @param {ShadowRoot[]} list */
  function rememberRoots(list) {
    roots = new Set(list.map((r) => new WeakRef(r)));
  }

  /**
   * @param {MutationRecord[]} records
   * @returns {number}  how many are not our own UI's
   */
  function countForeign(records) {
    let n = 0;
    for (const r of records) {
      const t = r.target.nodeType === 1 ? /** @type {Element} */ (r.target) : r.target.parentElement;
      if (t && t.closest(OURS)) continue;
      if (r.type === "childList" && [...r.addedNodes, ...r.removedNodes].every(isOurs)) continue;
      n++;
    }
    return n;
  }

  /**
   * @param {Node} node
   * @returns {boolean}
   */
  function isOurs(node) {
    return node.nodeType === 1 && /** @type {Element} */ (node).matches(OURS);
  }

  /**
   * @param {{extraRoots?: Node[]}} [opts]
   */
  function watch(opts = {}) {
    let count = 0;
    let last = performance.now();
    /** @type {Array<() => void>} */
    let waiters = [];
    const mo = new MutationObserver((records) => {
      const n = countForeign(records);
      if (!n) return;
      count += n;
      last = performance.now();
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    });
    const init = { subtree: true, childList: true, attributes: true, characterData: true };
    mo.observe(document, init);
    /** @type {Set<Node>} */
    const seen = new Set();
    for (const w of roots) {
      const r = w.deref();
      if (r && r.isConnected) {
        mo.observe(r, init);
        seen.add(r);
      }
    }
    for (const r of opts.extraRoots ?? []) if (!seen.has(r) && r !== document) mo.observe(r, init);
    return {
      /** Whether anything changed (pending records included). */
      changed() {
        const n = countForeign(mo.takeRecords());
        if (n) {
          count += n;
          last = performance.now();
        }
        return count > 0;
      },
      count: () => count,
      lastChange: () => last,
      /**
       * Resolves true at the next change, false after `ms`.
       * @param {number} ms
       * @returns {Promise<boolean>}
       */
      next(ms) {
        return new Promise((resolve) => {
          const timer = setTimeout(() => resolve(false), ms);
          waiters.push(() => {
            clearTimeout(timer);
            resolve(true);
          });
        });
      },
      stop() {
        mo.disconnect();
      },
    };
  }

  /**
   * Resolve once the DOM has been quiet for `quietMs`, or after `maxMs`.
   * @param {number} quietMs
   * @param {number} maxMs
   * @returns {Promise<{mutations: number, waited_ms: number, quiet: boolean}>}
   */
  async function quiet(quietMs, maxMs) {
    const t0 = performance.now();
    const w = watch();
    try {
      for (;;) {
        const now = performance.now();
        const left = maxMs - (now - t0);
        if (left <= 0) return { mutations: w.count(), waited_ms: Math.round(now - t0), quiet: false };
        const sinceLast = w.count() ? now - w.lastChange() : now - t0;
        if (sinceLast >= quietMs) return { mutations: w.count(), waited_ms: Math.round(now - t0), quiet: true };
        // Wake at the next mutation or when the quiet period would be complete, whichever is first.
        await w.next(Math.min(quietMs - sinceLast, left));
      }
    } finally {
      w.stop();
    }
  }

  ns.settle = { watch, quiet, rememberRoots };

  ns.ops.settle = (/** @type {{quiet_ms?: number, max_ms?: number}} */ args) =>
    quiet(Math.min(Math.max(Number(args.quiet_ms ?? 50), 0), 5000), Math.min(Math.max(Number(args.max_ms ?? 2000), 0), 30_000));
})();
