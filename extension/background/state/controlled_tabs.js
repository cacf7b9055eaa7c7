/**
 * Tabs the agent controls (`controlled_tabs`) and the Stop requests the user made from the in-page
 * indicator (`stop_requests`), in `chrome.storage.session`. Writes go through the shared queue.
 */

import { serialised } from "./queue.js";

/**
 * @typedef {{tab_id: number, url: string, at: number}} StopRequest  the user clicked Stop in that tab
 */

/** Stop requests kept for the agent loop (issue 4) to consume; older ones are dropped. */
const MAX_STOP_REQUESTS = 50;

/**
 * Tabs the agent controls: tab id → since when (ms since the epoch).
 * @returns {Promise<Record<string, number>>}
 */
export async function getControlledTabs() {
  const { controlled_tabs } = await chrome.storage.session.get("controlled_tabs");
  return controlled_tabs && typeof controlled_tabs === "object" ? /** @type {Record<string, number>} */ (controlled_tabs) : {};
}

/**
 * @param {number} tabId
 * @param {boolean} controlled
 * @returns {Promise<boolean>} whether this changed anything
 */
export function setControlledTab(tabId, controlled) {
  return serialised(async () => {
    const tabs = await getControlledTabs();
    const key = String(tabId);
    if (controlled === Object.hasOwn(tabs, key)) return false;
    if (controlled) tabs[key] = Date.now();
    else delete tabs[key];
    await chrome.storage.session.set({ controlled_tabs: tabs });
    return true;
  });
}

/**
 * @param {StopRequest} request
 * @returns {Promise<void>}
 */
export function recordStopRequest(request) {
  return serialised(async () => {
    const list = await readStopRequests();
    list.push(request);
    await chrome.storage.session.set({ stop_requests: list.slice(-MAX_STOP_REQUESTS) });
  });
}

/** @returns {Promise<StopRequest[]>} oldest first */
export async function readStopRequests() {
  const { stop_requests } = await chrome.storage.session.get("stop_requests");
  return Array.isArray(stop_requests) ? stop_requests : [];
}
