/**
 * The relay: the isolated-world half of the page hook (content/page_hook.js), one per frame of the tabs the
 * agent works in. It answers the page's JavaScript dialogs at once, so none blocks the page, and passes
 * what the hook sees to the background (background/page_hooks.js) with `chrome.runtime.sendMessage`:
 *
 * - A dialog gets the answer the agent armed for this tab (`arm`, from `dialog.arm`; used once) or else is
 *   dismissed: an alert closes, `confirm` returns false, `prompt` returns null — the answer that does
 *   nothing the user did not ask for. Each is recorded (`count`/`since`, which content/main.js adds to the
 *   reply of the op during which it happened) and reported as `{wbr: 1, k: "dialog", dialog}`.
 * - Console entries are batched per task and reported as `{wbr: 1, k: "console", entries, lost}`. A page that
 *   logs in a loop cannot flood the background: a report carries at most `MAX_BATCH` entries (the newest;
 *   `lost` counts the others), and after `REPORTS_PER_S` reports or `ENTRIES_PER_S` entries in a second the
 *   next report waits for the next second. Dialog reports are capped the same way (`REPORTS_PER_S`; the
 *   dialogs over it are still answered, and go back with the reply of an op they happened in).
 * - The background answers a report from a tab it no longer hooks (its worker restarted) with
 *   `{active: false}`: the relay then stands aside, as after `pause()`.
 * - `pause()` (the agent was stopped in this tab) makes it stand aside until `resume()`.
 * - `leaveGuarded()` says whether this frame would make the browser ask before leaving (a `beforeunload`
 *   listener, and the sticky user activation without which Chrome does not ask).
 *
 * Everything the hook sends is page data: parsed defensively, cut, never trusted for anything but display.
 * Classic script (see content/ns.js); registers once per frame in `globalThis.__webbridgeRelay`.
 */
(() => {
  const g = /** @type {any} */ (globalThis);
  if (g.__webbridgeRelay) return;

  const HOOK = "__webbridge_hook";
  const MAX_TEXT = 8192;
  const KEEP = 50;
  const TYPES = new Set(["alert", "confirm", "prompt"]);
  const LEVELS = new Set(["debug", "log", "info", "warning", "error"]);
  const SOURCES = new Set(["console", "exception", "browser"]);
  /** Most console entries in one report (the background keeps 1 000 per tab). */
  const MAX_BATCH = 1000;
  /** Console entries reported per second (more wait for the next second, in batches of `MAX_BATCH`). */
  const ENTRIES_PER_S = 1000;
  /** Reports of each kind (console batches, dialogs) sent per second. */
  const REPORTS_PER_S = 20;

  /**
   * @typedef {{n: number, type: string, message: string, url: string, default_prompt: string,
   *   opened_at: number, answer: "accept" | "dismiss", prompt_text: string | null, by: "armed" | "default"}} Answered
   */

  /** @type {{accept: boolean, text: string | null} | null} */
  let armed = null;
  /** @type {Answered[]} */
  const answered = [];
  let total = 0;
  const startedAt = Date.now();
  /** @type {number | null} since when this document's console is recorded (ms since the epoch) */
  let since = null;
  /** @type {unknown[]} console entries not reported yet */
  let queue = [];
  /** console entries dropped since the last report (over `MAX_BATCH`) */
  let lost = 0;
  /** a flush of `queue` is scheduled */
  let flushing = false;
  let leaveAnswer = false;
  /**
   * Whether this tab is one the agent works in: null until the background said (`hello`, or `resume` when
   * it injected this relay itself); false in other tabs and once the agent was stopped in this one.
   * @type {boolean | null}
   */
  let active = null;

  /** @param {Record<string, unknown>} msg */
  function report(msg) {
    try {
      void chrome.runtime
        .sendMessage({ wbr: 1, ...msg })
        .then((r) => {
          if (r?.active === false && active) setActive(false, null); // the tab is not hooked (any more)
        })
        .catch(() => undefined);
    } catch {
      // the extension was reloaded: this frame's relay is orphaned
    }
  }

  /**
   * A budget of reports (and entries) per second.
   * @param {number} reports
   * @param {number} entries
   */
  function perSecond(reports, entries) {
    let start = 0;
    let sentReports = 0;
    let sentEntries = 0;
    const roll = () => {
      const now = Date.now();
      if (now - start >= 1000) {
        start = now;
        sentReports = 0;
        sentEntries = 0;
      }
      return now;
    };
    return {
      /** Whether a report may go now. */
      open: () => (roll(), sentReports < reports && sentEntries < entries),
      /** @param {number} n  entries in the report sent */
      spend: (n) => {
        roll();
        sentReports += 1;
        sentEntries += n;
      },
      /** ms until the next second's budget */
      wait: () => Math.max(0, start + 1000 - roll()),
    };
  }
  const consoleBudget = perSecond(REPORTS_PER_S, ENTRIES_PER_S);
  const dialogBudget = perSecond(REPORTS_PER_S, Infinity);

  /** @param {unknown} v @param {number} [max] */
  const text = (v, max = MAX_TEXT) => String(v ?? "").slice(0, max);

  /**
   * @param {{type?: unknown, message?: unknown, default_prompt?: unknown}} d
   */
  function onDialog(d) {
    const type = TYPES.has(String(d.type)) ? String(d.type) : "alert";
    const use = armed;
    armed = null;
    const accept = use ? use.accept : false;
    const promptText = type === "prompt" && accept ? (use?.text ?? text(d.default_prompt)) : null;
    // Without an armed text the hook returns the page's own default, whole (the record's copy is cut).
    const answerText = type === "prompt" && accept ? (use?.text ?? null) : null;
    window.dispatchEvent(new CustomEvent(`${HOOK}_answer`, { detail: JSON.stringify({ accept, text: answerText }) }));
    total += 1;
    /** @type {Answered} */
    const rec = {
      n: total, type, message: text(d.message), url: text(location.href), default_prompt: text(d.default_prompt),
      opened_at: Date.now(), answer: accept ? "accept" : "dismiss", prompt_text: promptText, by: use ? "armed" : "default",
    };
    answered.push(rec);
    if (answered.length > KEEP) answered.shift();
    if (dialogBudget.open()) {
      dialogBudget.spend(1);
      report({ k: "dialog", dialog: rec });
    }
  }

  /** @type {Record<string, unknown>[]} console entries that came before `active` was known */
  let early = [];

  /** @param {Record<string, unknown>} e */
  function onConsole(e) {
    if (active === null) {
      if (early.length < 1000) early.push(e);
      return;
    }
    const line = Number(e.line);
    queue.push({
      level: LEVELS.has(String(e.level)) ? e.level : "log",
      source: SOURCES.has(String(e.source)) ? e.source : "console",
      text: text(e.text, 4000), url: text(e.url), line: Number.isInteger(line) && line > 0 ? line : null,
      time: Number.isFinite(Number(e.time)) ? Math.max(0, Math.round(Number(e.time))) : Date.now(),
    });
    if (queue.length > 2 * MAX_BATCH) {
      lost += queue.length - MAX_BATCH;
      queue = queue.slice(-MAX_BATCH);
    }
    if (!flushing) {
      flushing = true;
      if (consoleBudget.open()) queueMicrotask(flush);
      else setTimeout(flush, consoleBudget.wait());
    }
  }

  /** Send what is queued (at most `MAX_BATCH`, the newest), or wait for the next second's budget. */
  function flush() {
    if (!consoleBudget.open()) {
      setTimeout(flush, consoleBudget.wait());
      return;
    }
    flushing = false;
    let entries = queue;
    queue = [];
    if (entries.length > MAX_BATCH) {
      lost += entries.length - MAX_BATCH;
      entries = entries.slice(-MAX_BATCH);
    }
    const dropped = lost;
    lost = 0;
    if (!active || entries.length + dropped === 0) return;
    consoleBudget.spend(entries.length);
    report({ k: "console", entries, lost: dropped });
  }

  /**
   * @param {boolean} on
   * @param {{accept: boolean, text: string | null} | null} answer
   */
  function setActive(on, answer) {
    // Console entries are kept from `since` on: from the relay's start when none were dropped before (the
    // entries that came before the answer were held), else from now.
    if (on && since === null) since = active === null ? startedAt : Date.now();
    if (!on) since = null;
    active = on;
    window.dispatchEvent(new CustomEvent("__webbridge_relay", { detail: on ? "awake" : "dormant" }));
    armed = on ? answer : null;
    const waiting = early;
    early = [];
    if (on) for (const e of waiting) onConsole(e);
  }

  // A relay from the registered content scripts: is this tab hooked? The document's own response says so
  // at once when the background marked the tab (a `Server-Timing` entry a declarativeNetRequest session rule
  // adds to the tab's documents), so a dialog the page opens while it loads is answered too; `hello` tells
  // the rest (documents without a response of their own, the armed answer). One injected by the background
  // is told at once with `resume`.
  try {
    const nav = /** @type {PerformanceNavigationTiming | undefined} */ (performance.getEntriesByType("navigation")[0]);
    if (nav?.serverTiming?.some((t) => t.name === "webbridge-hooked")) setActive(true, null);
  } catch {
    // no timing for this document: `hello` decides
  }
  try {
    void chrome.runtime
      .sendMessage({ wbr: 1, k: "hello" })
      .then((r) => {
        if (active === null) setActive(r?.active === true, r?.armed ?? null);
        else if (active && r?.active !== true) setActive(false, null);
        else if (active && r?.armed && armed === null) armed = r.armed;
      })
      .catch(() => {
        if (active === null) setActive(false, null);
      });
  } catch {
    active = false;
  }

  window.addEventListener(HOOK, (ev) => {
    const raw = /** @type {CustomEvent} */ (ev).detail;
    if (typeof raw !== "string" || raw.length > 65536) return;
    /** @type {Record<string, unknown>} */
    let m;
    try {
      m = JSON.parse(raw);
    } catch {
      return;
    }
    if (!m || typeof m !== "object" || active === false) return;
    if (m.k === "dialog") {
      if (active) onDialog(m); // unknown yet: no answer, the browser shows the dialog
    } else if (m.k === "console") onConsole(m);
    else if (m.k === "leave_guard") report({ k: "leave_guard" });
    else if (m.k === "leave_guard_answer") leaveAnswer = m.on === true;
  });

  g.__webbridgeRelay = Object.freeze({
    /** How many dialogs this frame has answered so far. */
    count: () => total,
    /** @param {number} n  the dialogs answered after the `n`th */
    since: (n) => answered.filter((d) => d.n > n),
    /** @param {{accept: boolean, text?: string | null} | null} a  the answer to the next dialog (null: none) */
    arm: (a) => {
      armed = a ? { accept: a.accept === true, text: typeof a.text === "string" ? a.text : null } : null;
      return true;
    },
    armed: () => armed,
    /** Since when this document's console entries are recorded (ms since the epoch), or null while not. */
    recordingSince: () => since,
    pause: () => setActive(false, null),
    resume: () => setActive(true, armed),
    /** Whether leaving this frame's page would make the browser ask first. */
    leaveGuarded: () => {
      leaveAnswer = false;
      window.dispatchEvent(new CustomEvent("__webbridge_relay", { detail: "leave_guard?" }));
      return leaveAnswer && /** @type {any} */ (navigator).userActivation?.hasBeenActive === true;
    },
  });
})();
