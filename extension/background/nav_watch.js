/**
 * Watch one tab's top frame for navigation while an action runs (webNavigation events, no polling):
 * whether a navigation started, committed a new document, or changed the URL within the document
 * (history API, fragment), and wait event-driven for the new document to be loaded.
 *
 * One set of listeners serves every watch (installed on first use): adding and removing six listeners per
 * action costs a browser round trip each, which is most of a DOM-path action's budget.
 */

/**
 * @typedef {{
 *   started: () => boolean,
 *   navigated: () => boolean,
 *   newDocument: () => boolean,
 *   waitLoaded: (timeoutMs: number) => Promise<boolean>,
 *   stop: () => void,
 * }} NavWatch
 * @typedef {{tabId: number, started: boolean, committed: boolean, sameDoc: boolean, loaded: boolean,
 *   failed: boolean, wake: Set<() => void>}} WatchState
 */

/** @type {Set<WatchState>} */
const watches = new Set();
let installed = false;

/**
 * @param {(w: WatchState) => void} update
 * @returns {(d: {tabId: number, frameId: number}) => void}
 */
function on(update) {
  return (d) => {
    if (d.frameId !== 0) return;
    for (const w of watches) {
      if (w.tabId !== d.tabId) continue;
      update(w);
      for (const f of [...w.wake]) f();
    }
  };
}

function install() {
  if (installed) return;
  installed = true;
  const wn = chrome.webNavigation;
  wn.onBeforeNavigate.addListener(on((w) => { w.started = true; w.loaded = false; }));
  wn.onCommitted.addListener(on((w) => { w.started = true; w.committed = true; w.loaded = false; }));
  wn.onHistoryStateUpdated.addListener(on((w) => { w.sameDoc = true; }));
  wn.onReferenceFragmentUpdated.addListener(on((w) => { w.sameDoc = true; }));
  wn.onDOMContentLoaded.addListener(on((w) => { w.loaded = true; }));
  wn.onErrorOccurred.addListener(on((w) => { w.failed = true; }));
}

/**
 * @param {number} tabId
 * @returns {NavWatch}
 */
export function watchNavigation(tabId) {
  install();
  /** @type {WatchState} */
  const w = { tabId, started: false, committed: false, sameDoc: false, loaded: false, failed: false, wake: new Set() };
  watches.add(w);
  return {
    started: () => w.started,
    navigated: () => w.committed || w.sameDoc,
    newDocument: () => w.committed,
    /**
     * Once a navigation started: resolves true when its document has loaded (DOMContentLoaded), false
     * when it failed, was abandoned, or `timeoutMs` passed. Resolves true at once when none started.
     */
    async waitLoaded(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (w.started && !w.loaded && !w.failed) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await new Promise((resolve) => {
          const done = () => {
            clearTimeout(t);
            w.wake.delete(done);
            resolve(undefined);
          };
          const t = setTimeout(done, left);
          w.wake.add(done);
        });
      }
      return !w.failed;
    },
    stop() {
      watches.delete(w);
      for (const f of [...w.wake]) f();
    },
  };
}
