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
 * - `wait.network_idle {id, idle_ms, timeout_ms, require_counter}`: the document has loaded, no fetch/XHR is
 *   in flight and no resource finished loading for `idle_ms`. Finished requests come from a
 *   PerformanceObserver (`resource` entries: images, scripts, fetch, XHR, iframes…). Requests in flight are
 *   counted by the main-world counter (content/net_main.js), bound here to a random event name. Requests of
 *   child frames are not counted.
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

  /** @type {string | null} the event name this document's network counter is bound to */
  let netName = null;

  /**
   * Bind the page's network counter (background/net_hook.js, content/net_main.js) to our event name, once
   * per document; whether a counter answers.
   * @returns {string | null} the event name, or null when there is no counter in this document
   */
  function netCounter() {
    if (!netName) {
      const bytes = crypto.getRandomValues(new Uint8Array(12));
      netName = `wb-net-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
    }
    document.dispatchEvent(new CustomEvent("webbridge-net-bind", { detail: netName }));
    let answered = false;
    const pong = () => {
      answered = true;
    };
    document.addEventListener(`${netName}:pong`, pong, true);
    document.dispatchEvent(new Event(`${netName}:ping`)); // answered synchronously, or not at all
    document.removeEventListener(`${netName}:pong`, pong, true);
    return answered ? netName : null;
  }

  /**
   * `{idle_ms, timeout_ms, require_counter}`: with `require_counter`, a document without the counter answers
   * `{counter: false}` at once, and the background injects it and asks again.
   * @param {{id: string, idle_ms?: number, timeout_ms: number, require_counter?: boolean}} args
   */
  ns.ops["wait.network_idle"] = (args) => {
    const idle = ms(args.idle_ms, 500);
    const event = netCounter();
    if (!event && args.require_counter) return { counter: false };
    return run(String(args.id), ms(args.timeout_ms, 10_000), `the network did not go idle (${idle} ms without requests)`, (done) => {
      /** The time of the last network activity, in performance.now() terms. */
      let last = 0;
      for (const e of performance.getEntriesByType("resource")) {
        last = Math.max(last, /** @type {PerformanceResourceTiming} */ (e).responseEnd);
      }
      /** @type {ReturnType<typeof setTimeout> | undefined} */
      let timer;
      const check = () => {
        clearTimeout(timer);
        timer = undefined;
        if (document.readyState !== "complete" || inflight > 0) return;
        const left = last + idle - performance.now();
        if (left <= 0) done();
        else timer = setTimeout(check, left);
      };
      const po = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) last = Math.max(last, /** @type {PerformanceResourceTiming} */ (e).responseEnd);
        check();
      });
      po.observe({ type: "resource" });
      let inflight = 0;
      const started = () => {
        inflight++;
        last = performance.now();
        check();
      };
      const ended = () => {
        inflight = Math.max(0, inflight - 1);
        last = performance.now();
        check();
      };
      if (event) {
        document.addEventListener(`${event}:start`, started, true);
        document.addEventListener(`${event}:end`, ended, true);
        // The hook answers with one `start` per request in flight right now.
        document.dispatchEvent(new Event(`${event}:sync`));
      }
      document.addEventListener("readystatechange", check);
      check();
      return () => {
        po.disconnect();
        clearTimeout(timer);
        if (event) {
          document.removeEventListener(`${event}:start`, started, true);
          document.removeEventListener(`${event}:end`, ended, true);
        }
        document.removeEventListener("readystatechange", check);
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
