/**
 * `tab.control {tab_id, run_id, on, label?, group?}` → `tab.controlled {tab_id, shown, group_id?}`.
 *
 * The daemon says which run controls a tab (`host/webbridge/tools/tab_scope.py`):
 * - `on: true` — the run `run_id` works in the tab from now on: the tab is recorded against the run and shows
 *   the indicator labelled `label` (its Stop button stops the run). With `group` (only for a tab the run
 *   opened) the tab joins the run's own tab group titled `group` (run_groups.js). A tab that is gone is 6005.
 * - `on: false` — the run has ended: it is forgotten in the tab, and the indicator goes once no other run
 *   controls the tab. The group stays. A tab that is gone is not an error (nothing to undo).
 *
 * Idempotent both ways. The router sends it past the policy re-check and the dialog guard: it neither reads
 * nor acts in the page, and releasing must work while a dialog is open.
 */

import { markControlled, releaseRun } from "../agent_tabs.js";
import { joinRunGroup } from "../run_groups.js";
import { getTab, tabApiError } from "../tab_info.js";

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {import("../../protocol/errors.js").WebBridgeError} 6005 tab gone, 6007 the browser refused the group
 */
export async function tabControl(msg) {
  const { tab_id: tabId, run_id: runId, on, label, group } =
    /** @type {{tab_id: number, run_id: string, on: boolean, label?: string | null, group?: string | null}} */ (msg.body);
  if (!on) {
    return { kind: "tab.controlled", body: { tab_id: tabId, shown: await releaseRun(tabId, runId) } };
  }
  await getTab(tabId);
  /** @type {Record<string, unknown>} */
  const body = { tab_id: tabId, shown: false };
  if (group) {
    try {
      body.group_id = await joinRunGroup(tabId, runId, group);
    } catch (err) {
      throw tabApiError(err, tabId);
    }
  }
  body.shown = await markControlled(tabId, { runId, label: label ?? null });
  return { kind: "tab.controlled", body };
}
