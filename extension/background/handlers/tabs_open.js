/**
 * `tabs.open {url, active, group?}` → `tab.result {tab}`.
 *
 * The URL must pass the URL policy (6004, and then no tab is opened). The tab joins the tab group titled
 * `group` in its window (created if needed), is recorded as controlled by the agent (it shows the indicator
 * once its page is up), and the reply comes once its document is parsed (DOMContentLoaded) — or after
 * `READY_MS` if it is slower, with the tab as it is then (a slow page is not an error here; `page.wait_for`
 * can wait longer).
 */

import { markControlled, setIndicator } from "../agent_tabs.js";
import { startNetLog } from "../net_log.js";
import { describeTab, getTab, tabApiError } from "../tab_info.js";
import { joinGroup } from "../tab_groups.js";
import { documentReady } from "../tab_waits.js";
import { requireAllowedUrl } from "../url_policy.js";

/** How long the reply waits for the new tab's document. */
export const READY_MS = 15_000;

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {import("../../protocol/errors.js").WebBridgeError} 6004 blocked URL, 6007 the browser refused
 */
export async function tabsOpen(msg) {
  const { url, active, group } = /** @type {{url: string, active: boolean, group?: string | null}} */ (msg.body);
  const href = requireAllowedUrl(url, "open");
  /** @type {chrome.tabs.Tab} */
  let tab;
  try {
    tab = await chrome.tabs.create({ url: href, active: !!active });
  } catch (err) {
    throw tabApiError(err, -1);
  }
  const tabId = /** @type {number} */ (tab.id);
  startNetLog(tabId); // the new page's own requests belong in the log
  await markControlled(tabId, { show: false });
  try {
    if (group) await joinGroup(tabId, group);
  } catch (err) {
    throw tabApiError(err, tabId);
  }
  await documentReady(tabId, READY_MS);
  await setIndicator(tabId, true);
  return { kind: "tab.result", body: { tab: describeTab(await getTab(tabId)) } };
}
