/**
 * The one place that attaches `chrome.debugger` (CDP) to a tab. Trusted input, screenshots, PDF, file upload,
 * dialogs, console and network logs all go through here, so a tab has one attachment and one set of Chrome
 * event listeners however many features use it.
 *
 * - `ensureAttached(tabId)` attaches on first use (Chrome then shows its "started debugging this browser"
 *   bar). Concurrent callers share one attach. If another debugger (DevTools) holds the tab, or the page may
 *   not be debugged (chrome://, the Web Store), it fails with 6007 `action_failed`.
 * - `send(tabId, method, params)` attaches if needed and runs one CDP command, returning its result.
 * - The attachment detaches after `IDLE_MS` without use, so the bar does not stay — unless someone `hold`s
 *   the tab: `const release = await hold(tabId)` keeps it attached until every holder has released.
 * - `onEvent(tabId, method, listener)` fans CDP events of one tab out to listeners; it returns the
 *   unsubscribe function. Registering a listener does not attach: pair it with `hold` to receive events.
 * - Detach (the user closed the bar, the tab closed, DevTools took over, or the idle timer): every
 *   `onDetach` listener of that tab is told the reason once, then the tab's state — listeners and holds —
 *   is cleared. Unsubscribe and release functions from before stay safe to call (they do nothing).
 */

import { Codes, WebBridgeError } from "../protocol/errors.js";

export const IDLE_MS = 15_000;
const CDP_VERSION = "1.3";

/** @typedef {(params: any) => void} CdpListener */
/** @typedef {(reason: string) => void} DetachListener */
/**
 * @typedef {{
 *   attached: boolean,
 *   attaching: Promise<void> | null,
 *   idle: ReturnType<typeof setTimeout> | undefined,
 *   holds: number,
 *   events: Map<string, Set<CdpListener>>,
 *   detach: Set<DetachListener>,
 * }} TabState
 */

/** @type {Map<number, TabState>} */
const tabs = new Map();
/** How many times this worker attached the debugger (for tests: the bar shows while attached). */
let attaches = 0;
let installed = false;

/** Register the Chrome listeners once (lazily: nothing needs them before the first attach). */
function install() {
  if (installed) return;
  installed = true;
  chrome.debugger.onEvent.addListener((source, method, params) => {
    if (source.tabId === undefined) return;
    const listeners = tabs.get(source.tabId)?.events.get(method);
    if (!listeners) return;
    for (const fn of [...listeners]) {
      try {
        fn(params);
      } catch (err) {
        // One broken listener must not starve the others of the event.
        console.error(`webbridge: listener for ${method} threw`, err);
      }
    }
  });
  chrome.debugger.onDetach.addListener((source, reason) => {
    if (source.tabId !== undefined) forget(source.tabId, String(reason));
  });
}

/**
 * @param {number} tabId
 * @returns {TabState}
 */
function stateFor(tabId) {
  let s = tabs.get(tabId);
  if (!s) {
    s = { attached: false, attaching: null, idle: undefined, holds: 0, events: new Map(), detach: new Set() };
    tabs.set(tabId, s);
  }
  return s;
}

/**
 * Clear a tab's state and tell its detach listeners (once).
 * @param {number} tabId
 * @param {string} reason
 */
function forget(tabId, reason) {
  const s = tabs.get(tabId);
  if (!s) return;
  clearTimeout(s.idle);
  tabs.delete(tabId);
  for (const fn of [...s.detach]) {
    try {
      fn(reason);
    } catch (err) {
      console.error("webbridge: debugger detach listener threw", err);
    }
  }
}

/** @param {number} tabId */
function armIdle(tabId) {
  const s = tabs.get(tabId);
  if (!s || !s.attached) return;
  clearTimeout(s.idle);
  s.idle = undefined;
  if (s.holds > 0) return;
  s.idle = setTimeout(() => void detach(tabId, "idle"), IDLE_MS);
}

/**
 * @param {number} tabId
 * @param {TabState} s
 */
async function attach(tabId, s) {
  try {
    await chrome.debugger.attach({ tabId }, CDP_VERSION);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    // Still attached from before this service worker restarted? Then it is ours and usable.
    const ours =
      /already attached/i.test(text) &&
      (await chrome.debugger.sendCommand({ tabId }, "Runtime.evaluate", { expression: "1" }).then(
        () => true,
        () => false,
      ));
    if (!ours) throw new WebBridgeError(Codes.ACTION_FAILED, `the debugger cannot attach to this tab: ${text}`);
  }
  s.attached = true;
  attaches += 1;
}

/**
 * Attach the debugger to a tab if it is not attached yet, and restart its idle timer. Idempotent.
 * @param {number} tabId
 * @returns {Promise<void>}
 * @throws {WebBridgeError} 6007 when the debugger cannot attach
 */
export async function ensureAttached(tabId) {
  install();
  const s = stateFor(tabId);
  if (!s.attached) {
    if (!s.attaching) {
      s.attaching = attach(tabId, s).finally(() => {
        s.attaching = null;
      });
    }
    try {
      await s.attaching;
    } catch (err) {
      // A failed attach leaves nothing behind but listeners that will never hear from this attempt.
      if (tabs.get(tabId) === s && !s.attached) forget(tabId, "attach_failed");
      throw err;
    }
  }
  armIdle(tabId);
}

/**
 * Run one CDP command in a tab (attaching first if needed).
 * @param {number} tabId
 * @param {string} method  e.g. "Page.captureScreenshot"
 * @param {Record<string, unknown>} [params]
 * @returns {Promise<any>} the command's result object
 * @throws {WebBridgeError} 6007 when the debugger cannot attach or the command fails
 */
export async function send(tabId, method, params = {}) {
  await ensureAttached(tabId);
  try {
    return await chrome.debugger.sendCommand({ tabId }, method, params);
  } catch (err) {
    throw new WebBridgeError(Codes.ACTION_FAILED, `${method} failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    armIdle(tabId);
  }
}

/**
 * Listen to one CDP event of one tab. Does not attach (use `hold`). The listener is dropped when the tab
 * detaches.
 * @param {number} tabId
 * @param {string} method  e.g. "Page.javascriptDialogOpening"
 * @param {CdpListener} listener
 * @returns {() => void} unsubscribe (idempotent)
 */
export function onEvent(tabId, method, listener) {
  const s = stateFor(tabId);
  let set = s.events.get(method);
  if (!set) {
    set = new Set();
    s.events.set(method, set);
  }
  set.add(listener);
  const mine = set;
  return () => {
    mine.delete(listener);
  };
}

/**
 * Be told when a tab's debugger detaches, with Chrome's reason ("target_closed", "canceled_by_user") or ours
 * ("idle", "released", "attach_failed"). Called once; then dropped with the rest of the tab's state.
 * @param {number} tabId
 * @param {DetachListener} listener
 * @returns {() => void} unsubscribe (idempotent)
 */
export function onDetach(tabId, listener) {
  const s = stateFor(tabId);
  s.detach.add(listener);
  return () => {
    s.detach.delete(listener);
  };
}

/**
 * Attach and keep the tab attached (no idle detach) until the returned function is called. Holds count:
 * the idle timer starts again when the last holder releases. Cancellation: none to do; release on failure.
 * @param {number} tabId
 * @returns {Promise<() => void>} release (idempotent; does nothing once the tab has detached)
 * @throws {WebBridgeError} 6007 when the debugger cannot attach
 */
export async function hold(tabId) {
  await ensureAttached(tabId);
  const s = stateFor(tabId);
  s.holds += 1;
  armIdle(tabId);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (tabs.get(tabId) !== s) return;
    s.holds -= 1;
    armIdle(tabId);
  };
}

/**
 * Detach now if nobody holds the tab (a one-off use, such as replaying a console, need not keep the bar up
 * for `IDLE_MS`). Idempotent.
 * @param {number} tabId
 */
export async function detachIfUnused(tabId) {
  const s = tabs.get(tabId);
  if (s && s.attached && s.holds === 0) await detach(tabId, "released");
}

/**
 * What this worker has attached: the tabs attached now, and how many attaches since the worker started.
 * @returns {{attached: number[], attaches: number}}
 */
export function debuggerUse() {
  return { attached: [...tabs].filter(([, s]) => s.attached).map(([id]) => id), attaches };
}

/**
 * Whether the debugger is attached to a tab now (as far as this service worker knows).
 * @param {number} tabId
 */
export function isAttached(tabId) {
  return tabs.get(tabId)?.attached === true;
}

/**
 * Detach now (idle timer, or an explicit stop), tell the listeners, clear the state. Idempotent.
 * @param {number} tabId
 * @param {string} [reason]
 */
export async function detach(tabId, reason = "released") {
  const s = tabs.get(tabId);
  if (!s) return;
  const was = s.attached;
  forget(tabId, reason);
  if (was) await chrome.debugger.detach({ tabId }).catch(() => undefined);
}
