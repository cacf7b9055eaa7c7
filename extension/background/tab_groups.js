/**
 * Tab groups named after the agent's task: `joinGroup(tabId, name)` puts a tab into the group of that title
 * in the tab's window, creating the group when there is none. Titles are compared exactly (the
 * `tabGroups.query` title filter is a pattern, so it is not used). Calls for one name run one at a time, so
 * two tabs opened at once for the same task end up in one group, not two.
 */

/** @type {Map<string, Promise<unknown>>} */
const chains = new Map();

/**
 * @param {number} tabId
 * @param {string} name  the group's title (the task's name)
 * @returns {Promise<number>} the group id
 */
export function joinGroup(tabId, name) {
  const previous = chains.get(name) ?? Promise.resolve();
  const run = previous.then(() => join(tabId, name), () => join(tabId, name));
  const tail = run.catch(() => undefined);
  chains.set(name, tail);
  void tail.then(() => {
    if (chains.get(name) === tail) chains.delete(name);
  });
  return run;
}

/**
 * @param {number} tabId
 * @param {string} name
 * @returns {Promise<number>}
 */
async function join(tabId, name) {
  const { windowId } = await chrome.tabs.get(tabId);
  const existing = (await chrome.tabGroups.query({ windowId })).find((g) => g.title === name);
  if (existing) return chrome.tabs.group({ groupId: existing.id, tabIds: [tabId] });
  const groupId = await chrome.tabs.group({ tabIds: [tabId], createProperties: { windowId } });
  await chrome.tabGroups.update(groupId, { title: name });
  return groupId;
}
