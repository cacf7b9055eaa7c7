/**
 * Event-driven waits inside one document (`page.wait_for`); never fixed sleeps. Each resolves
 * `{elapsed_ms}` or throws 6006 `wait_timeout` at its deadline; every observer and timer is released either
 * way, and `wait.cancel {id}` releases a wait the background no longer needs (another frame won).
 *
 * - `wait.text {id, text, timeout_ms}`: the text is visible (rendered; case- and whitespace-insensitive),
 *   re-checked on DOM mutations (document and open shadow roots), transition and animation ends.
 * - `wait.ref {id, ref, timeout_ms}`: the element the ref names is rendered (`checkVisibility`). A ref this
 *   document does not know, or whose element is detached, is 6001 `stale_ref` at once or as soon as it is.
 * - `wait.dom_quiet {id, quiet_ms, timeout_ms}`: no DOM mutation for `quiet_ms` (MutationObserver).
 *
 * Network idleness is judged in the background from what the browser sees (background/net_hook.js).
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("wait")) return;
  ns.loaded.add("wait");

  /** @type {Map<string, () => void>} wait id → release */
  const active = new Map();
  /** A check that took N ms waits 2N ms (at most this) before the next: busy pages stay responsive. */
  const MAX_RECHECK_DELAY_MS = 250;

  /** @param {unknown} v @param {number} dflt */
  const ms = (v, dflt) => Math.max(0, Math.min(Number.isFinite(Number(v)) ? Number(v) : dflt, 600_000));

  /**
   * Run a wait: `setup(done, fail, arm)` installs observers and returns their release; `done`/`fail`
   * settle it. Deadline → 6006.
   * @param {string} id
   * @param {number} timeoutMs
   * @param {string} what  for the timeout message
   * @param {(done: () => void, fail: (e: unknown) => void) => () => void} setup
   * @returns {Promise<{elapsed_ms: number}>}
   */
  function run(id, timeoutMs, what, setup) {
    const start = performance.now();
    return new Promise((resolve, reject) => {
      let settled = false;
      /** @type {() => void} */
      let release = () => undefined;
      const finish = () => {
        settled = true;
        clearTimeout(timer);
        release();
        active.delete(id);
      };
      const done = () => {
        if (settled) return;
        finish();
        resolve({ elapsed_ms: Math.round(performance.now() - start) });
      };
      /** @param {unknown} e */
      const fail = (e) => {
        if (settled) return;
        finish();
        reject(e);
      };
      const timer = setTimeout(() => fail(ns.error(6006, `${what} within ${timeoutMs} ms`)), timeoutMs);
      active.set(id, () => fail(ns.error(6006, "cancelled")));
      try {
        release = setup(done, fail);
      } catch (err) {
        fail(err);
      }
      if (settled) release();
    });
  }

  /**
   * Open shadow roots under `root` (a one-off scan, for observers).
   * @param {Node} root
   * @returns {ShadowRoot[]}
   */
  function shadowRoots(root) {
    /** @type {ShadowRoot[]} */
    const out = [];
    const stack = [root];
    while (stack.length) {
      const r = /** @type {Node} */ (stack.pop());
      const walker = document.createTreeWalker(r, NodeFilter.SHOW_ELEMENT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const sr = /** @type {Element} */ (n).shadowRoot;
        if (sr) {
          out.push(sr);
          stack.push(sr);
        }
      }
    }
    return out;
  }

  /**
   * Observe DOM changes in the document and its open shadow roots; `onChange` runs per batch.
   * @param {MutationCallback} onChange
   * @param {MutationObserverInit} init
   * @returns {MutationObserver}
   */
  function observeAll(onChange, init) {
    const mo = new MutationObserver(onChange);
    mo.observe(document, init);
    for (const sr of shadowRoots(document)) mo.observe(sr, init);
    return mo;
  }

  const ALL = { subtree: true, childList: true, attributes: true, characterData: true };

  /**
   * A coalesced re-check: at most one pending, and not more often than the last check's cost allows
   * (busy pages must not spin the CPU with full-page text reads).
   * @param {() => void} check
   * @returns {{schedule: () => void, stop: () => void}}
   */
  function rechecker(check) {
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let pending;
    let cost = 0;
    const runCheck = () => {
      pending = undefined;
      const t0 = performance.now();
      check();
      cost = performance.now() - t0;
    };
    return {
      schedule: () => {
        if (pending === undefined) pending = setTimeout(runCheck, Math.min(cost * 2, MAX_RECHECK_DELAY_MS));
      },
      stop: () => clearTimeout(pending),
    };
  }

  /** @param {string} s */
  const norm = (s) => s.replace(/\s+/g, " ").trim().toLowerCase();

  /** @param {{id: string, text: string, timeout_ms: number}} args */
  ns.ops["wait.text"] = (args) => {
    const needle = norm(String(args.text ?? ""));
    const visibleText = () =>
      norm(ns.text.render(document.body ?? document.documentElement, { markdown: false, max: 4_000_000 }).text);
    return run(String(args.id), ms(args.timeout_ms, 10_000), "the text did not appear", (done) => {
      const r = rechecker(() => {
        if (visibleText().includes(needle)) done();
      });
      const mo = observeAll(r.schedule, ALL);
      document.addEventListener("transitionend", r.schedule, true);
      document.addEventListener("animationend", r.schedule, true);
      if (visibleText().includes(needle)) done();
      return () => {
        mo.disconnect();
        r.stop();
        document.removeEventListener("transitionend", r.schedule, true);
        document.removeEventListener("animationend", r.schedule, true);
      };
    });
  };

  /** @param {{id: string, ref: string, timeout_ms: number}} args */
  ns.ops["wait.ref"] = (args) => {
    const ref = String(args.ref ?? "");
    return run(String(args.id), ms(args.timeout_ms, 10_000), `${ref} did not become visible`, (done, fail) => {
      const check = () => {
        const el = ns.refs.elementFor(ref);
        if (!el) fail(ns.error(6001, `${ref} no longer names an element on this page`));
        else if (!el.checkVisibility || el.checkVisibility({ visibilityProperty: true })) done();
      };
      const r = rechecker(check);
      const mo = observeAll(r.schedule, ALL);
      document.addEventListener("transitionend", r.schedule, true);
      check();
      return () => {
        mo.disconnect();
        r.stop();
        document.removeEventListener("transitionend", r.schedule, true);
      };
    });
  };

  /** @param {{id: string, quiet_ms?: number, timeout_ms: number}} args */
  ns.ops["wait.dom_quiet"] = (args) => {
    const quiet = ms(args.quiet_ms, 500);
    return run(String(args.id), ms(args.timeout_ms, 10_000), `the page kept changing (no ${quiet} ms quiet period)`, (done) => {
      /** @type {ReturnType<typeof setTimeout>} */
      let timer = setTimeout(done, quiet);
      const mo = observeAll(() => {
        clearTimeout(timer);
        timer = setTimeout(done, quiet);
      }, ALL);
      return () => {
        mo.disconnect();
        clearTimeout(timer);
      };
    });
  };

  /** @param {{id: string}} args */
  ns.ops["wait.cancel"] = (args) => {
    const release = active.get(String(args.id));
    if (release) release();
    return { cancelled: !!release };
  };
})();
