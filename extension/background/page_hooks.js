/**
 * The page hook, background side: puts content/page_hook.js (the page's own world) and content/page_relay.js
 * (our isolated world) into every frame of the tabs the agent works in, and takes their reports. This is how
 * dialogs and console messages are seen without the debugger (no "started debugging" bar):
 *
 * - `hookTab(tabId)` (tab_watch.js calls it on the agent's first request naming a tab) injects both files
 *   into the frames the tab has now. New documents get them before any page script runs, from content
 *   scripts registered at `document_start` while at least one tab is hooked (`chrome.scripting`
 *   `registerContentScripts`, every page, every frame): in a tab that is not hooked the relay asks the
 *   background (`hello`), learns so, and stays dormant — the page's dialogs are the browser's and nothing
 *   is reported. The page's own scripts can tell the hook is there while it is registered.
 *   `unhookTab(tabId)` tells the relays in the tab to stand aside; the registration goes when no tab is
 *   hooked any more.
 * - Reports (`{wbr: 1, k}` messages, accepted only from our own content scripts in a tab): `dialog` → the
 *   dialog record (dialogs.js), `console` → the console log (console_log.js; `lost` counts the entries the
 *   relay dropped to stay within its rate), `leave_guard` → the page asks before it is left (see
 *   `leaveGuarded`). A report from a tab that is not hooked is answered `{active: false}`, which makes that
 *   relay stand aside (a worker restarted while the tab was hooked).
 * - `armDialog(tabId, answer)`: the answer to the next dialog any frame of the tab opens (`dialog.arm`).
 * - `leaveGuarded(tabId)`: whether leaving the tab's page would open the browser's "leave this page?"
 *   dialog (a frame with a `beforeunload` listener and sticky user activation). Only asked for tabs that
 *   reported a listener.
 *
 * What the relays report is page data.
 */

import { addConsoleEntries, forgetConsole } from "./console_log.js";
import { forgetAnswered, noteAnswered } from "./dialogs.js";

/** @typedef {{accept: boolean, text: string | null}} Armed */

/** @type {Set<number>} tabs whose new documents get the hook */
const hooked = new Set();
/** @type {Map<number, Armed>} */
const armedFor = new Map();
/** @type {Set<number>} tabs where a frame reported a beforeunload listener */
const guarded = new Set();
let installed = false;

const SCRIPT_IDS = ["webbridge-page-hook", "webbridge-page-relay"];
/** @type {Promise<void> | null} */
let registering = null;
/** @type {Promise<void>} the registration a previous worker left (no tab is hooked in a new worker) */
let leftover = Promise.resolve();

/**
 * Register the relays' message listener and the tab clean-up, and drop a registration an earlier worker
 * left. Call once, synchronously, at the worker's top level (sw.js).
 */
export function registerPageHookListeners() {
  installed = true;
  chrome.runtime.onMessage.addListener(onReport);
  chrome.tabs.onRemoved.addListener((tabId) => {
    hooked.delete(tabId);
    armedFor.delete(tabId);
    guarded.delete(tabId);
    forgetAnswered(tabId);
    forgetConsole(tabId);
    void markTab(tabId, false);
    void unregisterWhenIdle();
  });
  leftover = Promise.all([
    chrome.scripting.unregisterContentScripts({ ids: SCRIPT_IDS }).catch(() => undefined),
    chrome.declarativeNetRequest.getSessionRules().then(
      (rules) => chrome.declarativeNetRequest.updateSessionRules({ removeRuleIds: rules.map((r) => r.id) }),
      () => undefined,
    ).catch(() => undefined),
  ]).then(() => undefined);
}

/** The `Server-Timing` entry that tells a new document's relay, at `document_start`, that its tab is hooked. */
const MARK = "webbridge-hooked";

/**
 * Mark (or unmark) a tab's documents: a declarativeNetRequest session rule (id = the tab id) appends
 * `Server-Timing: webbridge-hooked` to the responses of the tab's frames. Never throws.
 * @param {number} tabId
 * @param {boolean} on
 */
async function markTab(tabId, on) {
  const rule = {
    id: tabId, priority: 1,
    action: { type: "modifyHeaders", responseHeaders: [{ header: "Server-Timing", operation: "append", value: MARK }] },
    condition: { tabIds: [tabId], resourceTypes: ["main_frame", "sub_frame"] },
  };
  await leftover;
  await chrome.declarativeNetRequest
    .updateSessionRules(/** @type {any} */ ({ removeRuleIds: [tabId], addRules: on ? [rule] : [] }))
    .catch((err) => console.warn(`webbridge: could not ${on ? "mark" : "unmark"} tab ${tabId}`, err));
}

function install() {
  if (!installed) registerPageHookListeners();
}

/** Register the document_start scripts (idempotent). */
function register() {
  if (!registering) {
    const common = { matches: ["<all_urls>"], allFrames: true, matchOriginAsFallback: true, runAt: "document_start", persistAcrossSessions: false };
    registering = leftover
      .then(() =>
        chrome.scripting.registerContentScripts(/** @type {any} */ ([
          { id: SCRIPT_IDS[0], js: ["content/page_hook.js"], world: "MAIN", ...common },
          { id: SCRIPT_IDS[1], js: ["content/page_relay.js"], world: "ISOLATED", ...common },
        ])),
      )
      .catch((err) => {
        if (!/duplicate/i.test(String(err))) {
          registering = null;
          console.warn("webbridge: could not register the page hook", err);
        }
      });
  }
  return registering;
}

/** Drop the registration once no tab is hooked. */
async function unregisterWhenIdle() {
  if (hooked.size > 0 || !registering) return;
  const was = registering;
  registering = null;
  await was;
  if (hooked.size > 0) return void register();
  await chrome.scripting.unregisterContentScripts({ ids: SCRIPT_IDS }).catch(() => undefined);
}

/**
 * @param {number} tabId
 * @param {{frameIds?: number[], allFrames?: boolean}} where
 * @returns {Promise<boolean>} whether the top frame (or the named frames) got the relay
 */
async function injectInto(tabId, where) {
  const target = { tabId, ...where };
  try {
    await chrome.scripting.executeScript(/** @type {any} */ ({ target, world: "MAIN", injectImmediately: true, files: ["content/page_hook.js"] }));
  } catch {
    // not scriptable (chrome:, the Web Store, an error page) or gone: nothing to hook there
  }
  const armed = armedFor.get(tabId) ?? null;
  try {
    const results = await chrome.scripting.executeScript(/** @type {any} */ ({
      target, injectImmediately: true, files: ["content/page_relay.js"],
    }));
    await chrome.scripting.executeScript(/** @type {any} */ ({
      target, injectImmediately: true, args: [armed],
      func: (/** @type {Armed | null} */ a) => {
        const relay = /** @type {any} */ (globalThis).__webbridgeRelay;
        relay?.resume();
        if (a) relay?.arm(a);
        return relay !== undefined;
      },
    }));
    return results.length > 0;
  } catch {
    return false;
  }
}

/**
 * Hook a tab (idempotent). Never throws: a tab that cannot be scripted stays unhooked.
 * @param {number} tabId
 * @returns {Promise<boolean>} whether the tab is hooked
 */
export async function hookTab(tabId) {
  install();
  if (hooked.has(tabId)) return true;
  hooked.add(tabId);
  await Promise.all([register(), markTab(tabId, true), injectInto(tabId, { allFrames: true })]);
  return true;
}

/**
 * Whether a tab's dialogs and console are seen (the agent has worked in it and not been stopped there).
 * @param {number} tabId
 */
export function isHooked(tabId) {
  return hooked.has(tabId);
}

/**
 * Unhook a tab: no more injection, and the relays already there stand aside. Idempotent.
 * @param {number} tabId
 */
export async function unhookTab(tabId) {
  if (!hooked.delete(tabId)) return;
  armedFor.delete(tabId);
  void markTab(tabId, false);
  void unregisterWhenIdle();
  await chrome.scripting
    .executeScript(/** @type {any} */ ({
      target: { tabId, allFrames: true },
      func: () => void (/** @type {any} */ (globalThis).__webbridgeRelay?.pause()),
    }))
    .catch(() => undefined);
}

/**
 * Arm (or with null, disarm) the answer to the next dialog of the tab, in every frame.
 * @param {number} tabId
 * @param {Armed | null} answer
 * @returns {Promise<void>}
 */
export async function armDialog(tabId, answer) {
  if (answer) armedFor.set(tabId, answer);
  else armedFor.delete(tabId);
  await chrome.scripting
    .executeScript(/** @type {any} */ ({
      target: { tabId, allFrames: true }, args: [answer],
      func: (/** @type {Armed | null} */ a) => void (/** @type {any} */ (globalThis).__webbridgeRelay?.arm(a)),
    }))
    .catch(() => undefined);
}

/**
 * The answer armed for the tab's next dialog, or null.
 * @param {number} tabId
 * @returns {Armed | null}
 */
export function armedAnswer(tabId) {
  return armedFor.get(tabId) ?? null;
}

/**
 * A number the relay of a tab's top frame knows (`count`, `recordingSince`), or null when it has no relay or
 * no such number.
 * @param {number} tabId
 * @param {"count" | "recordingSince"} what
 * @returns {Promise<number | null>}
 */
export async function topRelayNumber(tabId, what) {
  try {
    const [r] = await chrome.scripting.executeScript(/** @type {any} */ ({
      target: { tabId, frameIds: [0] }, args: [what],
      func: (/** @type {string} */ m) => {
        const relay = /** @type {any} */ (globalThis).__webbridgeRelay;
        return typeof relay?.[m] === "function" ? relay[m]() : null;
      },
    }));
    return typeof r?.result === "number" ? r.result : null;
  } catch {
    return null;
  }
}

/**
 * How many dialogs the relay of a tab's top frame has answered so far (a mark for `collectAnswered`), or
 * null when it has none.
 * @param {number} tabId
 * @returns {Promise<number | null>}
 */
export async function answeredCount(tabId) {
  return hooked.has(tabId) ? topRelayNumber(tabId, "count") : null;
}

/**
 * Record the dialogs the top frame's relay answered after `mark` (for work done without a content op, such
 * as `page.evaluate`, whose reply cannot carry them). Never throws.
 * @param {number} tabId
 * @param {number | null} mark  from `answeredCount`
 */
export async function collectAnswered(tabId, mark) {
  if (mark === null) return;
  try {
    const [r] = await chrome.scripting.executeScript(/** @type {any} */ ({
      target: { tabId, frameIds: [0] }, args: [mark],
      func: (/** @type {number} */ n) => /** @type {any} */ (globalThis).__webbridgeRelay?.since(n) ?? [],
    }));
    const list = Array.isArray(r?.result) ? r.result : [];
    for (const d of list.slice(0, 50)) if (d && typeof d === "object") noteAnswered(tabId, String(r.documentId ?? ""), d);
  } catch {
    // the page went away: its reports (if any) arrive as messages
  }
}

/**
 * Whether leaving the tab's page now would open the browser's "leave this page?" dialog. Cheap (false at
 * once) for tabs that never reported a `beforeunload` listener.
 * @param {number} tabId
 * @returns {Promise<boolean>}
 */
export async function leaveGuarded(tabId) {
  if (!guarded.has(tabId)) return false;
  try {
    const results = await chrome.scripting.executeScript(/** @type {any} */ ({
      target: { tabId, allFrames: true },
      func: () => /** @type {any} */ (globalThis).__webbridgeRelay?.leaveGuarded() === true,
    }));
    return results.some((r) => r.result === true);
  } catch {
    return false;
  }
}

/**
 * `runtime.onMessage` for the relays: `hello` (a new document's relay asks whether its tab is hooked; the
 * answer is `{active, armed}`), and the reports, which get no answer.
 * @param {unknown} message
 * @param {chrome.runtime.MessageSender} sender
 * @param {(reply: unknown) => void} [sendResponse]
 * @returns {boolean}
 */
export function onReport(message, sender, sendResponse) {
  const m = /** @type {{wbr?: unknown, k?: unknown, dialog?: unknown, entries?: unknown}} */ (message);
  if (!m || m.wbr !== 1) return false;
  const tabId = sender?.tab?.id;
  if (!sender || sender.id !== chrome.runtime.id || tabId === undefined) return false;
  if (m.k === "hello") {
    sendResponse?.({ active: hooked.has(tabId), armed: armedFor.get(tabId) ?? null });
    return false;
  }
  if (!hooked.has(tabId)) {
    // A relay left active by an earlier worker (the tab is no longer hooked): it stands aside.
    sendResponse?.({ active: false });
    return false;
  }
  if (m.k === "dialog" && m.dialog && typeof m.dialog === "object") {
    const rec = noteAnswered(tabId, String(sender.documentId ?? sender.frameId ?? ""), /** @type {any} */ (m.dialog));
    if (rec?.by === "armed" && armedFor.has(tabId)) void armDialog(tabId, null);
  } else if (m.k === "console" && Array.isArray(m.entries)) {
    const lost = Number(/** @type {{lost?: unknown}} */ (m).lost);
    const over = Math.max(0, m.entries.length - 1000);
    addConsoleEntries(tabId, m.entries.slice(-1000), over + (Number.isSafeInteger(lost) && lost > 0 ? lost : 0));
  } else if (m.k === "leave_guard") {
    guarded.add(tabId);
  }
  return false;
}
