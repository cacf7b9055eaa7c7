/**
 * `tabs.close {tab_id}` → `done {}`. A tab that is already gone is 6005 (the caller's view of the tabs is
 * out of date, which it should know).
 */

import { getTab, tabApiError } from "../tab_info.js";

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {import("../../protocol/errors.js").WebBridgeError} 6005 no such tab, 6007 the browser refused
 */
export async function tabsClose(msg) {
  const tabId = /** @type {number} */ (msg.body.tab_id);
  await getTab(tabId);
  try {
    await chrome.tabs.remove(tabId);
  } catch (err) {
    throw tabApiError(err, tabId);
  }
  return { kind: "done", body: {} };
}
