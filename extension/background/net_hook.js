/**
 * When the network counter (content/net_main.js, MAIN world) goes into a page, for
 * `page.wait_for {state: "network_idle"}`:
 *
 * 1. While the agent navigates a tab (`page.navigate`, `tabs.open`): `duringNavigation(url, fn)` registers
 *    it as a `document_start` content script for the target's origin, so it runs before the page's own
 *    scripts and counts the requests the page starts while loading; unregistered when the navigation is
 *    over. Other tabs loading that origin in that window get the (passive) counter too.
 * 2. When a document commits in a tab the agent controls (agent_tabs.js) and at the first network-idle wait
 *    in a document without it: `inject(tabId, documentId)`. This races the page's first scripts; requests
 *    started before it are seen only when they finish (PerformanceObserver, content/wait.js).
 */

export const NET_MAIN_FILE = "content/net_main.js";

let serial = 0;

/**
 * The match pattern of a URL's origin (any port), or null when it has none.
 * @param {string} url
 * @returns {string | null}
 */
export function originPattern(url) {
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    return `${u.protocol}//${u.hostname}/*`;
  } catch {
    return null;
  }
}

/**
 * Run `fn` (which navigates a tab to `url`) with the counter registered for `url`'s origin. Best effort: a
 * registration the browser refuses only means the counter comes later.
 * @template T
 * @param {string} url
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function duringNavigation(url, fn) {
  const pattern = originPattern(url);
  const id = `wb-net-${Date.now().toString(36)}-${++serial}`;
  let registered = false;
  if (pattern) {
    try {
      await chrome.scripting.registerContentScripts([
        { id, matches: [pattern], js: [NET_MAIN_FILE], world: "MAIN", runAt: "document_start", allFrames: false, persistAcrossSessions: false },
      ]);
      registered = true;
    } catch {
      // not registrable: the commit-time injection still happens
    }
  }
  try {
    return await fn();
  } finally {
    if (registered) await chrome.scripting.unregisterContentScripts({ ids: [id] }).catch(() => undefined);
  }
}

/**
 * Put the counter into one document now.
 * @param {number} tabId
 * @param {string} documentId
 * @returns {Promise<void>}
 * @throws when the document cannot be scripted (gone, or a page the browser protects)
 */
export async function inject(tabId, documentId) {
  await chrome.scripting.executeScript({
    target: { tabId, documentIds: [documentId] },
    world: "MAIN",
    injectImmediately: true,
    files: [NET_MAIN_FILE],
  });
}
