/**
 * What starts when the agent first names a tab in a request (tab_guard.js calls `touchTab`): the network
 * log (net_log.js, webRequest) and the page hook (page_hooks.js), which sees dialogs and console messages.
 * Neither attaches the debugger, so the browser shows no "started debugging" bar for it.
 *
 * The debugger watch (`watchTab`: a held debugger session with `Page` enabled, feeding dialogs.js) is only
 * for the dialog the hook cannot answer: the browser's "leave this page?" (`beforeunload`). tab_guard.js
 * starts it right before a request that leaves a page which would ask (page_hooks.js `leaveGuarded`), and
 * `settleWatch` ends it once no such dialog is open. A tab the debugger cannot attach to (DevTools holds it,
 * or the user cancelled the bar in this tab before) is still served; its leave dialog then blocks the page
 * until the user answers it, and requests fail fast or time out meanwhile.
 */

import { detachIfUnused, hold, onDetach, send } from "./debugger.js";
import { dialogListeners, forgetDialogs, forgetAnswered, openDialog } from "./dialogs.js";
import { startNetLog } from "./net_log.js";
import { hookTab, isHooked, unhookTab } from "./page_hooks.js";

/** @type {Map<number, Promise<boolean>>} tabs touched (or being touched) */
const touched = new Map();
/** @type {Map<number, () => void>} tab → ends its debugger watch (listeners off, hold released) */
const stops = new Map();
/** @type {Set<number>} tabs where the user cancelled the debugger */
const refused = new Set();

/**
 * Start the network log and the page hook of a tab (idempotent; concurrent callers share one start).
 * Never throws.
 * @param {number} tabId
 * @returns {Promise<boolean>} whether the tab is hooked now
 */
export async function touchTab(tabId) {
  const running = touched.get(tabId);
  if (running && isHooked(tabId)) return running;
  // No such tab: nothing to start (the handler answers 6005).
  if (!(await chrome.tabs.get(tabId).then(() => true, () => false))) return false;
  startNetLog(tabId);
  const started = hookTab(tabId);
  touched.set(tabId, started);
  return started;
}

/**
 * Whether a tab's dialogs and console messages are seen now.
 * @param {number} tabId
 */
export function isWatched(tabId) {
  return isHooked(tabId);
}

/**
 * Start the debugger watch of a tab's browser dialogs (idempotent). Shows the browser's "started
 * debugging" bar until `settleWatch` ends it.
 * @param {number} tabId
 * @returns {Promise<boolean>} whether the watch is on
 */
export async function watchTab(tabId) {
  if (stops.has(tabId)) return true;
  if (refused.has(tabId)) return false;
  const unsubscribe = dialogListeners(tabId);
  /** @type {(() => void) | undefined} */
  let release;
  try {
    release = await hold(tabId);
    onDetach(tabId, (reason) => {
      stops.delete(tabId);
      forgetDialogs(tabId);
      if (reason === "canceled_by_user") refused.add(tabId);
    });
    await send(tabId, "Page.enable");
    const held = release;
    stops.set(tabId, () => {
      for (const u of unsubscribe) u();
      held();
    });
    return true;
  } catch (err) {
    for (const u of unsubscribe) u();
    release?.();
    console.warn(`webbridge: tab ${tabId} is not watched for leave-page dialogs`, err);
    return false;
  }
}

/**
 * End the debugger watch of a tab unless a browser dialog is still open there (then the next request, or
 * the `dialog.handle` that answers it, ends it). Idempotent.
 * @param {number} tabId
 */
export function settleWatch(tabId) {
  if (openDialog(tabId)) return;
  const stop = stops.get(tabId);
  if (!stop) return;
  stops.delete(tabId);
  stop();
  // The bar goes with the watch (not `IDLE_MS` later), unless something else holds the tab.
  void detachIfUnused(tabId);
}

/**
 * Whether the debugger watch of a tab is on.
 * @param {number} tabId
 */
export function isDebuggerWatched(tabId) {
  return stops.has(tabId);
}

/**
 * End everything for a tab (the user stopped the agent there): the hook stands aside, the debugger watch
 * ends. The network log stays. The next request naming the tab starts again. Idempotent.
 * @param {number} tabId
 */
export function unwatchTab(tabId) {
  const stop = stops.get(tabId);
  stops.delete(tabId);
  touched.delete(tabId);
  forgetDialogs(tabId);
  forgetAnswered(tabId);
  stop?.();
  void unhookTab(tabId);
}
