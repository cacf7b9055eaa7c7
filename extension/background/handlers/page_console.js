/**
 * `page.console {tab_id, since, limit, levels?, clear}` → `page.console.result {messages, dropped, next,
 * watched}`: the tab's console messages after `since` (console_log.js). Recording starts with the agent's
 * first request naming the tab; `watched: false` says the tab could not be watched (the debugger could not
 * attach), so the log is empty for that reason. 6005 when the tab does not exist.
 */

import { readConsole } from "../console_log.js";
import { getTab } from "../tab_info.js";
import { isWatched } from "../tab_watch.js";

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {import("../../protocol/errors.js").WebBridgeError} 6005
 */
export async function pageConsole(msg) {
  const b = /** @type {{tab_id: number, since?: number, limit?: number, levels?: any, clear?: boolean}} */ (msg.body);
  await getTab(b.tab_id);
  const r = readConsole(b.tab_id, { since: b.since ?? 0, limit: b.limit ?? 200, levels: b.levels ?? null, clear: !!b.clear });
  return { kind: "page.console.result", body: { ...r, watched: isWatched(b.tab_id) } };
}
