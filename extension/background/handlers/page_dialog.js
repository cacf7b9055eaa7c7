/**
 * `dialog.state {tab_id}` → `dialog.state.result {dialog, watched}` and
 * `dialog.handle {tab_id, action: accept|dismiss, prompt_text?}` → `dialog.handled {dialog, action}`.
 *
 * The dialog is the one the page opened and that blocks it now (dialogs.js). Accepting a `beforeunload`
 * dialog lets the navigation go on; dismissing it keeps the page. `dialog.handle` with no dialog open is
 * 6022; a tab that does not exist is 6005.
 */

import { handleDialog, openDialog } from "../dialogs.js";
import { getTab } from "../tab_info.js";
import { isWatched } from "../tab_watch.js";

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {import("../../protocol/errors.js").WebBridgeError} 6005
 */
export async function dialogState(msg) {
  const tabId = /** @type {number} */ (msg.body.tab_id);
  await getTab(tabId);
  return { kind: "dialog.state.result", body: { dialog: openDialog(tabId), watched: isWatched(tabId) } };
}

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {import("../../protocol/errors.js").WebBridgeError} 6005, 6022, 6007
 */
export async function dialogHandle(msg) {
  const tabId = /** @type {number} */ (msg.body.tab_id);
  const action = /** @type {"accept" | "dismiss"} */ (msg.body.action);
  await getTab(tabId);
  const dialog = await handleDialog(tabId, action, /** @type {string | null | undefined} */ (msg.body.prompt_text));
  return { kind: "dialog.handled", body: { dialog, action } };
}
