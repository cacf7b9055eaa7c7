/**
 * One tab group per run, titled after its task: `joinRunGroup(tabId, runId, title)` puts a tab the run opened
 * into the group made for that run (remembered in state.js), creating it — in the tab's window, with that
 * title — when the run has none yet, when it was closed, or when it is in another window. Groups are never
 * closed here: when the run ends its group stays for the user. Calls for one run run one at a time, so two
 * tabs opened at once end up in one group.
 */

import { getRunGroup, setRunGroup } from "./state.js";

/** @type {Map<string, Promise<unknown>>} */
const chains = new Map();

/**
 * @param {number} tabId
 * @param {string} runId
 * @param {string} title  the group's title (the task's first words)
 * @returns {Promise<number>} the group id
 */
export function joinRunGroup(tabId, runId, title) {
  const previous = chains.get(runId) ?? Promise.resolve();
  const run = previous.then(() => join(tabId, runId, title), () => join(tabId, runId, title));
  const tail = run.catch(() => undefined);
  chains.set(runId, tail);
  void tail.then(() => {
    if (chains.get(runId) === tail) chains.delete(runId);
  });
  return run;
}

/**
 * @param {number} tabId
 * @param {string} runId
 * @param {string} title
 * @returns {Promise<number>}
 */
async function join(tabId, runId, title) {
  const { windowId } = await chrome.tabs.get(tabId);
  const known = await getRunGroup(runId);
  if (known !== null) {
    const group = await chrome.tabGroups.get(known).catch(() => null); // closed by the user meanwhile
    if (group && group.windowId === windowId) return chrome.tabs.group({ groupId: known, tabIds: [tabId] });
  }
  const groupId = await chrome.tabs.group({ tabIds: [tabId], createProperties: { windowId } });
  await chrome.tabGroups.update(groupId, { title });
  await setRunGroup(runId, groupId);
  return groupId;
}
