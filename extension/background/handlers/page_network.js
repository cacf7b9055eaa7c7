/**
 * `page.network {tab_id, since, limit, url?, clear}` → `page.network.result {requests, dropped, next}`: the
 * tab's requests after `since` as the browser saw them (net_log.js; never headers or bodies). Recording
 * starts with the agent's first request naming the tab. 6005 when the tab does not exist.
 */

import { readNetLog } from "../net_log.js";
import { getTab } from "../tab_info.js";

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {import("../../protocol/errors.js").WebBridgeError} 6005
 */
export async function pageNetwork(msg) {
  const b = /** @type {{tab_id: number, since?: number, limit?: number, url?: string | null, clear?: boolean}} */ (msg.body);
  await getTab(b.tab_id);
  const r = readNetLog(b.tab_id, { since: b.since ?? 0, limit: b.limit ?? 200, url: b.url ?? null, clear: !!b.clear });
  return { kind: "page.network.result", body: r };
}
