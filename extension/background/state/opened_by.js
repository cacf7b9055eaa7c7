/**
 * Tabs opened by a page while a run controlled it, and that run (`opened_by`, in `chrome.storage.session`).
 * Decided from `tab_runs` inside the shared queue, so a run taking or letting go of the source tab is either
 * wholly before or wholly after.
 */

import { serialised } from "./queue.js";
import { getTabRuns } from "./tab_runs.js";

/** Tab → opening run entries kept (`opened_by`); the oldest are dropped. */
const MAX_OPENED_BY = 256;

/** @returns {Promise<Record<string, string>>} */
async function readOpenedBy() {
  const { opened_by } = await chrome.storage.session.get("opened_by");
  return opened_by && typeof opened_by === "object" ? /** @type {Record<string, string>} */ (opened_by) : {};
}

/**
 * Tabs opened by a page while a run controlled it: tab id → that run's id. Read after every write queued
 * so far, so a tab whose creation was seen before this call is in the answer.
 * @returns {Promise<Record<string, string>>}
 */
export function getOpenedBy() {
  return serialised(readOpenedBy);
}

/**
 * A page in `sourceTabId` opened `tabId` (a link with a target, `window.open`). When exactly one run
 * controls the source tab at this moment (`tab_runs`), record that run as the one that opened the tab;
 * otherwise (no run: the user's own doing; several: which one cannot be told) record nothing. Decided in
 * the same queue as `addTabRun`/`removeTabRun`, so a run taking or letting go of the source tab is either
 * wholly before or wholly after.
 * @param {number} tabId
 * @param {number} sourceTabId
 * @returns {Promise<string | null>} the run recorded, or null
 */
export function recordOpenedBy(tabId, sourceTabId) {
  return serialised(async () => {
    const entry = (await getTabRuns())[String(sourceTabId)];
    if (!entry || entry.runs.length !== 1 || tabId === sourceTabId) return null;
    const [runId] = entry.runs;
    const all = await readOpenedBy();
    delete all[String(tabId)];
    all[String(tabId)] = runId; // insertion order: newest last
    const keys = Object.keys(all);
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_OPENED_BY))) delete all[old];
    await chrome.storage.session.set({ opened_by: all });
    return runId;
  });
}

/**
 * The tab closed: forget who opened it. Idempotent.
 * @param {number} tabId
 * @returns {Promise<void>}
 */
export function forgetOpenedBy(tabId) {
  return serialised(async () => {
    const all = await readOpenedBy();
    if (!Object.hasOwn(all, String(tabId))) return;
    delete all[String(tabId)];
    await chrome.storage.session.set({ opened_by: all });
  });
}
