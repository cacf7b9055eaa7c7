/**
 * Which runs control a tab (`tab.control`, kept as `tab_runs`) and the tab group made for each run
 * (`run_groups`), in `chrome.storage.session`. Writes go through the shared queue.
 */

import { serialised } from "./queue.js";

/**
 * @typedef {{runs: string[], label: string | null}} TabRuns  the runs working in a tab; the indicator's label
 */

/** Run → tab group entries kept; the oldest are dropped (a run's group outlives it, the entry need not). */
const MAX_RUN_GROUPS = 64;

/** @returns {Promise<Record<string, TabRuns>>} tab id → the runs controlling it */
export async function getTabRuns() {
  const { tab_runs } = await chrome.storage.session.get("tab_runs");
  return tab_runs && typeof tab_runs === "object" ? /** @type {Record<string, TabRuns>} */ (tab_runs) : {};
}

/**
 * Record that `runId` controls `tabId` (idempotent); `label` replaces the indicator's label when given.
 * @param {number} tabId
 * @param {string} runId
 * @param {string | null} label
 * @returns {Promise<TabRuns>} the tab's entry now
 */
export function addTabRun(tabId, runId, label) {
  return serialised(async () => {
    const all = await getTabRuns();
    const entry = all[String(tabId)] ?? { runs: [], label: null };
    if (!entry.runs.includes(runId)) entry.runs.push(runId);
    if (label) entry.label = label;
    all[String(tabId)] = entry;
    await chrome.storage.session.set({ tab_runs: all });
    return entry;
  });
}

/**
 * Forget `runId` in `tabId` (every run when `runId` is null).
 * @param {number} tabId
 * @param {string | null} runId
 * @returns {Promise<{removed: string[], left: string[]}>}
 */
export function removeTabRun(tabId, runId) {
  return serialised(async () => {
    const all = await getTabRuns();
    const entry = all[String(tabId)];
    if (!entry) return { removed: [], left: [] };
    const removed = entry.runs.filter((r) => runId === null || r === runId);
    const left = entry.runs.filter((r) => !removed.includes(r));
    if (left.length) all[String(tabId)] = { ...entry, runs: left };
    else delete all[String(tabId)];
    await chrome.storage.session.set({ tab_runs: all });
    return { removed, left };
  });
}

/**
 * @param {string} runId
 * @returns {Promise<number | null>} the id of the tab group made for the run, if any
 */
export async function getRunGroup(runId) {
  const id = (await readRunGroups())[runId];
  return typeof id === "number" ? id : null;
}

/** @returns {Promise<Record<string, number>>} run id → tab group id, oldest first */
async function readRunGroups() {
  const { run_groups } = await chrome.storage.session.get("run_groups");
  return run_groups && typeof run_groups === "object" ? /** @type {Record<string, number>} */ (run_groups) : {};
}

/**
 * @param {string} runId
 * @param {number} groupId
 * @returns {Promise<void>}
 */
export function setRunGroup(runId, groupId) {
  return serialised(async () => {
    const all = await readRunGroups();
    delete all[runId];
    all[runId] = groupId; // insertion order: newest last
    const keys = Object.keys(all);
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_RUN_GROUPS))) delete all[old];
    await chrome.storage.session.set({ run_groups: all });
  });
}
