/**
 * The relay: the isolated-world half of the page hook (content/page_hook.js), one per frame of the tabs the
 * agent works in. It answers the page's JavaScript dialogs at once, so none blocks the page, and passes
 * what the hook sees to the background (background/page_hooks.js) with `chrome.runtime.sendMessage`:
 *
 * - A dialog gets the answer the agent armed for this tab (`arm`, from `dialog.arm`; used once) or else is
 *   dismissed: an alert closes, `confirm` returns false, `prompt` returns null — the answer that does
 *   nothing the user did not ask for. Each is recorded (`count`/`since`, which content/main.js adds to the
 *   reply of the op during which it happened) and reported as `{wbr: 1, k: "dialog", dialog}`.
 * - Console entries are batched per task and reported as `{wbr: 1, k: "console", entries}`.
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
  /** @type {unknown[]} */
  let queue = [];
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
      void chrome.runtime.sendMessage({ wbr: 1, ...msg }).catch(() => undefined);
    } catch {
      // the extension was reloaded: this frame's relay is orphaned
    }
  }

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
    window.dispatchEvent(new CustomEvent(`${HOOK}_answer`, { detail: JSON.stringify({ accept, text: promptText }) }));
    total += 1;
    /** @type {Answered} */
    const rec = {
      n: total, type, message: text(d.message), url: text(location.href), default_prompt: text(d.default_prompt),
      opened_at: Date.now(), answer: accept ? "accept" : "dismiss", prompt_text: promptText, by: use ? "armed" : "default",
    };
    answered.push(rec);
    if (answered.length > KEEP) answered.shift();
    report({ k: "dialog", dialog: rec });
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
    if (queue.length === 1) {
      queueMicrotask(() => {
        const entries = queue;
        queue = [];
        report({ k: "console", entries });
      });
    }
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

  // A relay from the registered content scripts: is this tab hooked? (One injected by the background is
  // told at once with `resume`.)
  try {
    void chrome.runtime
      .sendMessage({ wbr: 1, k: "hello" })
      .then((r) => {
        if (active === null) setActive(r?.active === true, r?.armed ?? null);
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
