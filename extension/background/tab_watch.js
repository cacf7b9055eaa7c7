/**
 * What starts when the agent first names a tab in a request (tab_guard.js calls `touchTab`): the network
 * log (net_log.js, no debugger needed) and a held debugger session (debugger.js) with `Page`, `Runtime`
 * and `Log` enabled, which feeds dialogs.js and console_log.js. The session stays until the tab closes or
 * the user cancels the browser's "started debugging" bar; after a cancel this worker does not attach to
 * that tab again on its own. A tab the debugger cannot attach to (DevTools holds it) is still served, just
 * unwatched (retried after `RETRY_MS`): dialogs there are not seen, and `watched` replies say so.
 */

import { consoleListeners, forgetConsole } from "./console_log.js";
import { hold, onDetach, send } from "./debugger.js";
import { dialogListeners, forgetDialogs } from "./dialogs.js";
import { startNetLog } from "./net_log.js";

const RETRY_MS = 10_000;

/** @type {Map<number, Promise<boolean>>} tabs being watched (or starting to be) */
const watching = new Map();
/** @type {Map<number, () => void>} tab → ends its watch (listeners off, debugger hold released) */
const stops = new Map();
/** @type {Set<number>} tabs whose watch is up */
const live = new Set();
/** @type {Map<number, number>} tab → when its watch last failed */
const failedAt = new Map();
/** @type {Set<number>} tabs where the user cancelled the debugger */
const refused = new Set();

/**
 * @param {number} tabId
 * @returns {Promise<boolean>}
 */
async function watch(tabId) {
  const unsubscribe = [...dialogListeners(tabId), ...consoleListeners(tabId)];
  /** @type {(() => void) | undefined} */
  let release;
  try {
    release = await hold(tabId);
    onDetach(tabId, (reason) => {
      watching.delete(tabId);
      live.delete(tabId);
      stops.delete(tabId);
      forgetDialogs(tabId);
      if (reason === "canceled_by_user") refused.add(tabId);
      if (reason === "target_closed") forgetConsole(tabId);
    });
    await Promise.all([send(tabId, "Page.enable"), send(tabId, "Runtime.enable"), send(tabId, "Log.enable")]);
    live.add(tabId);
    const held = release;
    stops.set(tabId, () => {
      for (const u of unsubscribe) u();
      held();
    });
    return true;
  } catch (err) {
    for (const u of unsubscribe) u();
    release?.();
    console.warn(`webbridge: tab ${tabId} is not watched for dialogs and console messages`, err);
    return false;
  }
}

/**
 * Start the network log and the debugger watch of a tab (idempotent; concurrent callers share one start).
 * Never throws: a watch that cannot start leaves the tab unwatched.
 * @param {number} tabId
 * @returns {Promise<boolean>} whether the tab is watched now
 */
export async function touchTab(tabId) {
  const running = watching.get(tabId);
  if (running) return running;
  // No such tab: nothing to start (the handler answers 6005).
  if (!(await chrome.tabs.get(tabId).then(() => true, () => false))) return false;
  startNetLog(tabId);
  if (refused.has(tabId)) return false;
  const failed = failedAt.get(tabId);
  if (failed !== undefined && Date.now() - failed < RETRY_MS) return false;
  const started = watch(tabId);
  watching.set(tabId, started);
  const ok = await started;
  if (!ok) {
    if (watching.get(tabId) === started) watching.delete(tabId);
    failedAt.set(tabId, Date.now());
  }
  return ok;
}

/**
 * Whether a tab's dialogs and console are watched now.
 * @param {number} tabId
 */
export function isWatched(tabId) {
  return live.has(tabId);
}

/**
 * End a tab's dialog and console watch (the user stopped the agent there): its listeners go, the debugger
 * hold is released (the debugger detaches once nobody else uses it). The network log stays. The next
 * request naming the tab starts the watch again. Idempotent.
 * @param {number} tabId
 */
export function unwatchTab(tabId) {
  const stop = stops.get(tabId);
  stops.delete(tabId);
  watching.delete(tabId);
  live.delete(tabId);
  forgetDialogs(tabId);
  stop?.();
}
