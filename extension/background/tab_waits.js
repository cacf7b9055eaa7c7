/**
 * Event-driven waits on a tab's top frame, from `chrome.webNavigation` and `chrome.tabs` events: no polling,
 * no fixed sleeps. Each wait adds its listeners synchronously when created, so a caller creates the wait
 * *before* triggering what it waits for (no event can slip between the two), and every listener is removed
 * when the wait settles, fails or is cancelled.
 *
 * Listeners added here (not at the worker's top level) are fine: a wait only exists while a daemon request
 * is being answered, and the open native port keeps the worker alive meanwhile.
 */

import { Codes, WebBridgeError } from "../protocol/errors.js";
import { getTab } from "./tab_info.js";

/**
 * @template T
 * @typedef {{promise: Promise<T>, cancel: () => void}} Wait
 */

/**
 * A promise settled by event listeners, with a deadline; `subscribe` adds the listeners and returns a
 * function that removes them.
 * @template T
 * @param {(done: (value: T) => void, fail: (err: unknown) => void) => () => void} subscribe
 * @param {number} timeoutMs
 * @param {() => Error} onTimeout
 * @returns {Wait<T>}
 */
export function eventWait(subscribe, timeoutMs, onTimeout) {
  /** @type {() => void} */
  let unsubscribe = () => undefined;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let settled = false;
  /** @type {(v: T) => void} */
  let resolveFn = () => undefined;
  /** @type {(e: unknown) => void} */
  let rejectFn = () => undefined;
  const promise = /** @type {Promise<T>} */ (
    new Promise((resolve, reject) => {
      resolveFn = resolve;
      rejectFn = reject;
    })
  );
  const finish = () => {
    settled = true;
    clearTimeout(timer);
    unsubscribe();
  };
  /** @param {T} v */
  const done = (v) => {
    if (settled) return;
    finish();
    resolveFn(v);
  };
  /** @param {unknown} e */
  const fail = (e) => {
    if (settled) return;
    finish();
    rejectFn(e);
  };
  unsubscribe = subscribe(done, fail);
  if (settled) unsubscribe(); // settled synchronously inside subscribe
  else timer = setTimeout(() => fail(onTimeout()), timeoutMs);
  return {
    promise,
    cancel: () => {
      if (!settled) finish();
    },
  };
}

/**
 * @typedef {{tabId: number, frameId: number, documentId?: string}} NavDetails
 * @typedef {{tabId: number, frameId: number, documentId?: string, error: string}} NavError
 */

/**
 * Add listeners to several events; returns the function removing them all.
 * @param {Array<[{addListener: (f: any) => void, removeListener: (f: any) => void}, (...args: any[]) => void]>} pairs
 * @returns {() => void}
 */
function listen(pairs) {
  for (const [event, fn] of pairs) event.addListener(fn);
  return () => {
    for (const [event, fn] of pairs) event.removeListener(fn);
  };
}

/**
 * Watch the next navigation of a tab's top frame: create this, then trigger the navigation.
 *
 * Resolves `{sameDocument: false}` once the new document's load event fired (webNavigation `onCompleted`, or
 * the tab's status turning `complete` after the commit), or `{sameDocument: true}` for a same-document
 * navigation (pushState history entries, fragment changes), which has no load event. Fails with 6007 when
 * the navigation fails before committing (network error, a download, a 204, cancelled), 6005 when the tab
 * closes, 6006 after `timeoutMs`.
 * @param {number} tabId
 * @param {number} timeoutMs
 * @returns {Wait<{sameDocument: boolean}>}
 */
export function watchNavigation(tabId, timeoutMs) {
  const nav = chrome.webNavigation;
  return eventWait(
    (done, fail) => {
      /** @type {string | null} the document that committed after the wait began */
      let committed = null;
      /** @param {NavDetails} d */
      const mine = (d) => d.tabId === tabId && d.frameId === 0;
      /** @param {() => void} f */
      const sameDoc = (f) => (/** @type {NavDetails} */ d) => {
        if (mine(d) && committed === null) f();
      };
      return listen([
        [nav.onCommitted, (/** @type {NavDetails} */ d) => {
          if (mine(d)) committed = d.documentId ?? "";
        }],
        [nav.onCompleted, (/** @type {NavDetails} */ d) => {
          if (mine(d) && committed !== null && (!d.documentId || !committed || d.documentId === committed)) {
            done({ sameDocument: false });
          }
        }],
        [nav.onHistoryStateUpdated, sameDoc(() => done({ sameDocument: true }))],
        [nav.onReferenceFragmentUpdated, sameDoc(() => done({ sameDocument: true }))],
        [nav.onErrorOccurred, (/** @type {NavError} */ d) => {
          if (!mine(d) || committed !== null) return;
          fail(new WebBridgeError(Codes.ACTION_FAILED, `the navigation did not load a page (${d.error}: a network error, a download, an empty response or cancelled)`));
        }],
        // The load event of pages that webNavigation does not report completion for.
        [chrome.tabs.onUpdated, (/** @type {number} */ id, /** @type {{status?: string}} */ change) => {
          if (id === tabId && change.status === "complete" && committed !== null) done({ sameDocument: false });
        }],
        [chrome.tabs.onRemoved, (/** @type {number} */ id) => {
          if (id === tabId) fail(new WebBridgeError(Codes.TAB_NOT_FOUND, `tab ${tabId} was closed`));
        }],
      ]);
    },
    timeoutMs,
    () => new WebBridgeError(Codes.WAIT_TIMEOUT, `the page did not finish loading within ${timeoutMs} ms`),
  );
}

/**
 * Wait until the tab's top document is parsed (DOMContentLoaded), so that content scripts see the page and
 * not the one it replaces. Returns `false` (not an error) when that did not happen within `timeoutMs`;
 * throws 6005 when the tab does not exist.
 * @param {number} tabId
 * @param {number} timeoutMs
 * @returns {Promise<boolean>}
 */
export async function documentReady(tabId, timeoutMs) {
  const nav = chrome.webNavigation;
  const wait = eventWait(
    (done) => {
      /** @param {NavDetails} d */
      const top = (d) => {
        if (d.tabId === tabId && d.frameId === 0) done(true);
      };
      return listen([
        [nav.onDOMContentLoaded, top],
        [nav.onCompleted, top],
        [chrome.tabs.onUpdated, (/** @type {number} */ id, /** @type {{status?: string, url?: string}} */ c) => {
          if (id === tabId && c.status === "complete") done(true);
        }],
        [chrome.tabs.onRemoved, (/** @type {number} */ id) => {
          if (id === tabId) done(false);
        }],
      ]);
    },
    timeoutMs,
    () => new WebBridgeError(Codes.WAIT_TIMEOUT, "document not ready"),
  );
  try {
    const tab = await getTab(tabId);
    if (tab.status === "complete" || (!tab.pendingUrl && (await readyState(tabId)) !== "loading")) {
      wait.cancel();
      return true;
    }
    return await wait.promise;
  } catch (err) {
    wait.cancel();
    if (err instanceof WebBridgeError && err.code === Codes.WAIT_TIMEOUT) return false;
    throw err;
  }
}

/**
 * The top document's `readyState`, or "loading" when it cannot be read (not committed, not scriptable).
 * @param {number} tabId
 * @returns {Promise<string>}
 */
async function readyState(tabId) {
  try {
    const [r] = await chrome.scripting.executeScript({ target: { tabId }, func: () => document.readyState });
    return typeof r?.result === "string" ? r.result : "loading";
  } catch {
    return "loading";
  }
}

/**
 * Wait until the tab's URL contains `needle` (case-sensitive), checking now and on every URL change:
 * cross-document navigations, pushState/replaceState and fragment changes.
 * @param {number} tabId
 * @param {string} needle
 * @param {number} timeoutMs
 * @returns {Promise<string>}  the matching URL
 * @throws {WebBridgeError} 6006 on timeout, 6005 when the tab closes
 */
export async function waitForUrl(tabId, needle, timeoutMs) {
  const nav = chrome.webNavigation;
  const wait = eventWait(
    (done, fail) => {
      const check = () => {
        getTab(tabId).then((t) => {
          const url = t.url ?? "";
          if (url.includes(needle)) done(url);
        }, fail);
      };
      /** @param {NavDetails} d */
      const top = (d) => {
        if (d.tabId === tabId && d.frameId === 0) check();
      };
      return listen([
        [chrome.tabs.onUpdated, (/** @type {number} */ id, /** @type {{status?: string, url?: string}} */ c) => {
          if (id === tabId && c.url !== undefined) check();
        }],
        [nav.onCommitted, top],
        [nav.onHistoryStateUpdated, top],
        [nav.onReferenceFragmentUpdated, top],
        [chrome.tabs.onRemoved, (/** @type {number} */ id) => {
          if (id === tabId) fail(new WebBridgeError(Codes.TAB_NOT_FOUND, `tab ${tabId} was closed`));
        }],
      ]);
    },
    timeoutMs,
    () => new WebBridgeError(Codes.WAIT_TIMEOUT, `the URL did not come to contain the text within ${timeoutMs} ms`),
  );
  try {
    const url = (await getTab(tabId)).url ?? "";
    if (url.includes(needle)) {
      wait.cancel();
      return url;
    }
  } catch (err) {
    wait.cancel();
    throw err;
  }
  return wait.promise;
}
