/**
 * `tabs.list {url?, title?}` → `tabs.list.result {tabs}`: the tabs of every normal window, optionally only
 * those whose URL or title contains the given text (case-insensitive; both filters must match). A tab a page
 * opened while one run controlled it carries that run's id as `opened_by_run` (agent_tabs.js).
 */

import { listTabs } from "./browser_info.js";

/**
 * Pure filter, for tests.
 * @param {import("../tab_info.js").TabDesc[]} tabs
 * @param {{url?: string | null, title?: string | null}} filters
 * @returns {import("../tab_info.js").TabDesc[]}
 */
export function filterTabs(tabs, { url, title }) {
  const u = url ? url.toLowerCase() : null;
  const t = title ? title.toLowerCase() : null;
  return tabs.filter((tab) => (!u || tab.url.toLowerCase().includes(u)) && (!t || tab.title.toLowerCase().includes(t)));
}

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 */
export async function tabsList(msg) {
  const { url, title } = /** @type {{url?: string | null, title?: string | null}} */ (msg.body);
  return { kind: "tabs.list.result", body: { tabs: filterTabs(await listTabs(), { url, title }) } };
}
