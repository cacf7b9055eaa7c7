/**
 * `page.console {tab_id, since, limit, levels?, clear, earlier}` → `page.console.result {messages, dropped,
 * next, watched, earlier_added}`: the tab's console messages after `since` (console_log.js). Recording
 * starts with the agent's first request naming the tab (the page hook, no debugger); `watched: false` says
 * the tab's page could not be hooked, so the log is empty for that reason. `earlier: true` first adds what
 * the current document logged before recording began (once per document; attaches the debugger briefly):
 * `earlier_added` counts them. 6005 when the tab does not exist; 6007 when `earlier` needs the debugger and
 * it cannot attach.
 */

import { readConsole, replayEarlier } from "../console_log.js";
import { tabFrames } from "../frames.js";
import { topRelayNumber } from "../page_hooks.js";
import { getTab } from "../tab_info.js";
import { isWatched } from "../tab_watch.js";

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {import("../../protocol/errors.js").WebBridgeError} 6005; 6007 (earlier)
 */
export async function pageConsole(msg) {
  const b = /** @type {{tab_id: number, since?: number, limit?: number, levels?: any, clear?: boolean, earlier?: boolean}} */ (msg.body);
  await getTab(b.tab_id);
  let added = 0;
  if (b.earlier) {
    const top = (await tabFrames(b.tab_id))?.[0];
    const at = await topRelayNumber(b.tab_id, "recordingSince");
    if (top && at !== null) added = await replayEarlier(b.tab_id, top.documentId, at);
  }
  const r = readConsole(b.tab_id, { since: b.since ?? 0, limit: b.limit ?? 200, levels: b.levels ?? null, clear: !!b.clear });
  return { kind: "page.console.result", body: { ...r, watched: isWatched(b.tab_id), earlier_added: added } };
}
