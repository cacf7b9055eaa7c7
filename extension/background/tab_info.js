/**
 * Tabs as the protocol describes them (`Tab` in protocol/fields.py: `{id, window_id, url, title, active,
 * opened_by_run?}`), and
 * the one way handlers look a tab up: a missing tab is 6005 `tab_not_found`, never a generic failure.
 */

import { Codes, WebBridgeError } from "../protocol/errors.js";

/**
 * @typedef {{id: number, window_id: number, url: string, title: string, active: boolean, opened_by_run?: string}} TabDesc
 *   `opened_by_run`: the run that opened the tab from a page it controlled (agent_tabs.js), only when there is one
 */

/** Longest URL or title sent (the `Text` field limit). */
const MAX_TEXT = 8192;

/**
 * @param {chrome.tabs.Tab} tab
 * @param {string | null} [openedByRun]  the run that opened it from a page it controlled (state.js `opened_by`)
 * @returns {TabDesc}
 */
export function describeTab(tab, openedByRun = null) {
  /** @type {TabDesc} */
  const desc = {
    id: tab.id ?? -1,
    window_id: tab.windowId,
    // A tab still loading its first page has only a pending URL.
    url: (tab.url || tab.pendingUrl || "").slice(0, MAX_TEXT),
    title: (tab.title ?? "").slice(0, MAX_TEXT),
    active: tab.active,
  };
  if (openedByRun) desc.opened_by_run = openedByRun;
  return desc;
}

/**
 * The tab with this id.
 * @param {number} tabId
 * @returns {Promise<chrome.tabs.Tab>}
 * @throws {WebBridgeError} 6005 when there is no such tab
 */
export async function getTab(tabId) {
  try {
    return await chrome.tabs.get(tabId);
  } catch {
    throw new WebBridgeError(Codes.TAB_NOT_FOUND, `no tab ${tabId}`);
  }
}

/**
 * Turn a failure of a `chrome.tabs` call on an existing tab into a typed error: a tab that vanished
 * meanwhile is 6005, anything else the browser refused is 6007 with its message.
 * @param {unknown} err
 * @param {number} tabId
 * @returns {WebBridgeError}
 */
export function tabApiError(err, tabId) {
  if (err instanceof WebBridgeError) return err;
  const text = err instanceof Error ? err.message : String(err);
  if (/No tab with id/i.test(text)) return new WebBridgeError(Codes.TAB_NOT_FOUND, `no tab ${tabId}`);
  return new WebBridgeError(Codes.ACTION_FAILED, text.slice(0, 300));
}
