/**
 * The page hook: the one script WebBridge runs in a page's own JavaScript world ("MAIN"), only in the tabs
 * the agent works in (background/page_hooks.js injects it when the agent first names a tab and into every
 * document that tab commits afterwards). It lets the extension see JavaScript dialogs and console messages
 * without attaching the debugger, so no "started debugging this browser" bar appears:
 *
 * - `alert`, `confirm` and `prompt` are wrapped. A call asks the relay (content/page_relay.js, in the
 *   extension's isolated world of the same frame) synchronously for an answer, and returns it without
 *   showing the browser's dialog; the relay records the dialog for the agent. With no relay in the frame
 *   (it was not injected, or the page faked our events) the browser's own dialog is shown, as without us;
 *   so is one opened while the page is being left (`beforeunload`, `pagehide`, `unload`), which the browser
 *   blocks. Texts over 8 192 characters are cut for the relay, never for the page.
 * - `console.*` calls, uncaught errors, unhandled rejections, failed resource loads and CSP violations are
 *   passed to the relay as one-line entries (the relay batches them to the background). While dormant
 *   nothing is built at all (the page's getters do not run, no stack is taken).
 * - Whether the page asks before it is left (a `beforeunload` listener or `onbeforeunload` handler) is told
 *   to the relay, so the background can watch for the browser's "leave this page?" dialog, which only the
 *   debugger can answer.
 *
 * The page can see and call everything here (it is its own world): what the hook reports is page data, and
 * a page that fakes or blocks our events only changes what WebBridge learns about that same page. Events:
 * `__webbridge_hook` (hook → relay, `detail` a JSON string), `__webbridge_hook_answer` (relay → hook, the
 * answer to a dialog) and `__webbridge_relay` (relay → hook: a question). Strings only cross the worlds.
 */
(() => {
  const KEY = "__webbridge_hook";
  const w = /** @type {any} */ (window);
  if (w[KEY] === 1) return;
  Object.defineProperty(w, KEY, { value: 1, enumerable: false });

  const MAX_TEXT = 4000;
  /** Longest dialog text passed to the relay (its own cap); a longer one must still be answered. */
  const MAX_DIALOG_TEXT = 8192;
  const dispatch = EventTarget.prototype.dispatchEvent;
  const listen = EventTarget.prototype.addEventListener;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const Custom = CustomEvent;
  const origAlert = w.alert;
  const origConfirm = w.confirm;
  const origPrompt = w.prompt;
  const Err = /** @type {ErrorConstructor & {stackTraceLimit?: number}} */ (Error);

  /** true while the relay says this tab is not one the agent works in: then nothing is sent at all */
  let dormant = false;

  /** @param {Record<string, unknown>} msg */
  function tell(msg) {
    if (dormant) return;
    dispatch.call(window, new Custom(KEY, { detail: stringify(msg) }));
  }

  /** @type {string | null} */
  let answer = null;
  listen.call(window, `${KEY}_answer`, (/** @type {Event} */ e) => {
    const d = /** @type {CustomEvent} */ (e).detail;
    if (typeof d === "string") answer = d;
  });

  /**
   * @param {"alert" | "confirm" | "prompt"} type
   * @param {unknown} message
   * @param {unknown} [defaultPrompt]
   * @returns {{accept: boolean, text: string | null} | null}  null: show the browser's own dialog
   */
  function ask(type, message, defaultPrompt) {
    answer = null;
    tell({ k: "dialog", type, message: asText(message).slice(0, MAX_DIALOG_TEXT), default_prompt: asText(defaultPrompt).slice(0, MAX_DIALOG_TEXT) });
    const got = answer;
    answer = null;
    if (got === null) return null;
    try {
      const a = parse(got);
      return { accept: a.accept === true, text: typeof a.text === "string" ? a.text : null };
    } catch {
      return null;
    }
  }

  /**
   * A dialog argument as the browser reads it (an optional string that defaults to "").
   * @param {unknown} v
   */
  function asText(v) {
    return v === undefined ? "" : String(v);
  }

  /**
   * @param {string} name
   * @param {Function} fn
   */
  function replace(name, fn) {
    try {
      Object.defineProperty(w, name, { value: fn, writable: true, enumerable: true, configurable: true });
    } catch {
      // a page that froze it keeps its own
    }
  }

  const UNLOADING = new Set(["beforeunload", "pagehide", "unload"]);
  /** Whether the page is being left: the browser blocks dialogs then (and logs so), so they stay its own. */
  function unloading() {
    try {
      const e = w.event;
      return e instanceof Event && UNLOADING.has(e.type);
    } catch {
      return false;
    }
  }

  replace("alert", /** @this {any} */ function alert(/** @type {unknown[]} */ ...args) {
    if (unloading() || ask("alert", args[0]) === null) return origAlert.apply(this, args);
    return undefined;
  });
  replace("confirm", /** @this {any} */ function confirm(/** @type {unknown[]} */ ...args) {
    const a = unloading() ? null : ask("confirm", args[0]);
    if (a === null) return origConfirm.apply(this, args);
    return a.accept;
  });
  replace("prompt", /** @this {any} */ function prompt(/** @type {unknown[]} */ ...args) {
    const a = unloading() ? null : ask("prompt", args[0], args[1]);
    if (a === null) return origPrompt.apply(this, args);
    if (!a.accept) return null;
    return a.text ?? asText(args[1]);
  });

  // --- console -----------------------------------------------------------------------------------------

  /** @param {unknown} v */
  function describe(v) {
    if (typeof v === "string") return v;
    if (v === null) return "null";
    if (v === undefined) return "undefined";
    if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v) + (typeof v === "bigint" ? "n" : "");
    if (typeof v === "symbol") return String(v);
    // Everything below may run the page's getters (or a Proxy's traps), which may throw.
    try {
      if (typeof v === "function") return `function ${String(v.name || "(anonymous)")}`;
      if (v instanceof Error) return String(v.stack || `${v.name}: ${v.message}`);
      if (Array.isArray(v)) return `Array(${v.length})`;
      if (v instanceof Element) {
        const id = v.id ? `#${v.id}` : "";
        return `${v.localName}${id}`;
      }
      const proto = Object.getPrototypeOf(v);
      const name = proto && proto.constructor && typeof proto.constructor.name === "string" ? proto.constructor.name : "";
      return name || "Object";
    } catch {
      return "Object";
    }
  }

  /**
   * Console arguments as one line (each cut first: a huge argument is not copied whole).
   * @param {unknown[]} args
   */
  function line(args) {
    return cut(args.map((a) => cut(describe(a))).join(" "));
  }

  /** @param {string} text */
  function cut(text) {
    return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
  }

  /**
   * Where the page called from: the first stack frame outside this file.
   * @returns {{url: string, line: number | null}}
   */
  function caller() {
    // Only the few frames needed (formatting a stack costs most of a logged line): the page's
    // `Error.stackTraceLimit` is put back at once.
    let stack = [""];
    const limit = Err.stackTraceLimit;
    try {
      Err.stackTraceLimit = 6;
      stack = String(new Err().stack ?? "").split("\n");
    } catch {
      // a page that froze the limit, or made `stack` throw: no location
    } finally {
      if (Err.stackTraceLimit !== limit) Err.stackTraceLimit = limit;
    }
    for (const line of stack.slice(3)) {
      const m = /\(?((?:https?|file|blob|data):[^\s)]*?):(\d+):\d+\)?\s*$/.exec(line);
      if (m) return { url: m[1].slice(0, 8192), line: Number(m[2]) };
    }
    return { url: location.href.slice(0, 8192), line: null };
  }

  /** @type {Record<string, string>} */
  const LEVELS = { debug: "debug", log: "log", info: "info", warn: "warning", error: "error", trace: "debug" };
  const con = /** @type {any} */ (console);
  for (const [method, level] of Object.entries(LEVELS)) {
    const orig = con[method];
    if (typeof orig !== "function") continue;
    con[method] = function (/** @type {unknown[]} */ ...args) {
      // Nothing is built while dormant: every page pays for the hook while any tab is hooked.
      if (!dormant) {
        try {
          tell({ k: "console", level, source: "console", text: line(args), ...caller(), time: Date.now() });
        } catch {
          // never break the page's logging
        }
      }
      return orig.apply(this, args);
    };
  }
  const origAssert = con.assert;
  if (typeof origAssert === "function") {
    con.assert = function (/** @type {unknown} */ cond, /** @type {unknown[]} */ ...args) {
      if (!cond && !dormant) {
        const text = args.length ? `Assertion failed: ${line(args)}` : "Assertion failed";
        tell({ k: "console", level: "error", source: "console", text: cut(text), ...caller(), time: Date.now() });
      }
      return origAssert.call(this, cond, ...args);
    };
  }

  listen.call(window, "error", (/** @type {Event} */ e) => {
    if (e instanceof ErrorEvent) {
      const text = e.error !== undefined && e.error !== null ? describe(e.error) : String(e.message ?? "error");
      tell({ k: "console", level: "error", source: "exception", text: cut(text.startsWith("Uncaught") ? text : `Uncaught ${text}`), url: String(e.filename ?? "").slice(0, 8192), line: e.lineno || null, time: Date.now() });
      return;
    }
    const t = /** @type {any} */ (e.target);
    const src = t && (t.currentSrc || t.src || t.href);
    if (src) tell({ k: "console", level: "error", source: "browser", text: cut(`Failed to load resource: ${src}`), url: String(src).slice(0, 8192), line: null, time: Date.now() });
  }, true);
  listen.call(window, "unhandledrejection", (/** @type {Event} */ e) => {
    const reason = /** @type {PromiseRejectionEvent} */ (e).reason;
    tell({ k: "console", level: "error", source: "exception", text: cut(`Uncaught (in promise) ${describe(reason)}`), url: location.href.slice(0, 8192), line: null, time: Date.now() });
  });
  listen.call(document, "securitypolicyviolation", (/** @type {Event} */ e) => {
    const v = /** @type {SecurityPolicyViolationEvent} */ (e);
    tell({ k: "console", level: "error", source: "browser", text: cut(`Content Security Policy blocked ${v.blockedURI || "a resource"} (${v.effectiveDirective})`), url: String(v.sourceFile || location.href).slice(0, 8192), line: v.lineNumber || null, time: Date.now() });
  });

  // --- leaving the page --------------------------------------------------------------------------------

  /** reported to the relay (sticky) */
  let guardsLeave = false;
  /** a `beforeunload` listener was added (removing it is not followed) */
  let listenerSeen = false;
  function sawLeaveGuard() {
    if (guardsLeave) return;
    guardsLeave = true;
    tell({ k: "leave_guard" });
  }
  const leaveHandler = () => w.onbeforeunload != null;
  const proto = EventTarget.prototype;
  const origAdd = proto.addEventListener;
  proto.addEventListener = /** @this {any} */ function (/** @type {string} */ type, /** @type {any[]} */ ...rest) {
    if (type === "beforeunload" && this === window) {
      listenerSeen = true;
      sawLeaveGuard();
    }
    return /** @type {any} */ (origAdd).apply(this, [type, ...rest]);
  };
  // A handler property guards the page as well: `onbeforeunload = …` is seen by its setter; one set without
  // it (`<body onbeforeunload>`, `document.body.onbeforeunload`) by a check at each user gesture, which is
  // when it starts to count (Chrome asks only after one).
  const handlerProp = Object.getOwnPropertyDescriptor(w, "onbeforeunload");
  if (handlerProp?.get && handlerProp.set && handlerProp.configurable) {
    const { get, set } = handlerProp;
    try {
      Object.defineProperty(w, "onbeforeunload", {
        configurable: true, enumerable: handlerProp.enumerable,
        get: /** @this {any} */ function () {
          return get.call(this);
        },
        set: /** @this {any} */ function (/** @type {unknown} */ v) {
          set.call(this, v);
          if (v != null && leaveHandler()) sawLeaveGuard();
        },
      });
    } catch {
      // a page that made it its own keeps it; the gesture check still sees a handler
    }
  }
  const onGesture = () => {
    if (!guardsLeave && leaveHandler()) sawLeaveGuard();
  };
  for (const type of ["pointerdown", "keydown"]) listen.call(window, type, onGesture, true);
  listen.call(window, "__webbridge_relay", (/** @type {Event} */ e) => {
    const q = /** @type {CustomEvent} */ (e).detail;
    if (q === "dormant" || q === "awake") {
      dormant = q === "dormant";
      if (!dormant && guardsLeave) tell({ k: "leave_guard" });
      return;
    }
    if (q !== "leave_guard?") return;
    const on = listenerSeen || leaveHandler();
    if (on) sawLeaveGuard();
    tell({ k: "leave_guard_answer", on });
  });
})();
