/**
 * `tabs.activate {tab_id}` → `tab.result {tab}`: make the tab the active one of its window and focus that
 * window. Activating does not act in the page, so tabs showing blocked pages may be activated too.
 */

import { describeTab, getTab, tabApiError } from "../tab_info.js";

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {import("../../protocol/errors.js").WebBridgeError} 6005 no such tab, 6007 the browser refused
 */
export async function tabsActivate(msg) {
  const tabId = /** @type {number} */ (msg.body.tab_id);
  const tab = await getTab(tabId);
  try {
    await chrome.tabs.update(tabId, { active: true });
    await chrome.windows.update(tab.windowId, { focused: true });
  } catch (err) {
    throw tabApiError(err, tabId);
  }
  return { kind: "tab.result", body: { tab: describeTab(await getTab(tabId)) } };
}
