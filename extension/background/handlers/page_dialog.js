/**
 * `dialog.state {tab_id}` → `dialog.state.result {dialog, watched, armed, recent}`,
 * `dialog.handle {tab_id, action: accept|dismiss, prompt_text?}` → `dialog.handled {dialog, action}` and
 * `dialog.arm {tab_id, action: accept|dismiss|null, prompt_text?}` → `dialog.armed {armed}`.
 *
 * `dialog` is the browser dialog that blocks the page now (a "leave this page?" dialog, dialogs.js), which
 * `dialog.handle` answers: accepting a `beforeunload` dialog lets the navigation go on; dismissing it keeps
 * the page; with none open it is 6022. `alert`/`confirm`/`prompt` never block a hooked tab: the page hook
 * answers each at once with the armed answer (`dialog.arm`, used once) or by dismissing it; `recent` lists
 * the last ones and what they got. A tab that does not exist is 6005.
 */

import { handleDialog, openDialog, recentDialogs } from "../dialogs.js";
import { armDialog, armedAnswer } from "../page_hooks.js";
import { getTab } from "../tab_info.js";
import { isWatched, settleWatch } from "../tab_watch.js";

/** @param {{accept: boolean, text: string | null} | null} a */
function armedView(a) {
  return a ? { action: a.accept ? "accept" : "dismiss", prompt_text: a.text } : null;
}

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {import("../../protocol/errors.js").WebBridgeError} 6005
 */
export async function dialogState(msg) {
  const tabId = /** @type {number} */ (msg.body.tab_id);
  await getTab(tabId);
  return {
    kind: "dialog.state.result",
    body: { dialog: openDialog(tabId), watched: isWatched(tabId), armed: armedView(armedAnswer(tabId)), recent: recentDialogs(tabId) },
  };
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
  settleWatch(tabId);
  return { kind: "dialog.handled", body: { dialog, action } };
}

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {import("../../protocol/errors.js").WebBridgeError} 6005
 */
export async function dialogArm(msg) {
  const tabId = /** @type {number} */ (msg.body.tab_id);
  const action = /** @type {"accept" | "dismiss" | null} */ (msg.body.action ?? null);
  await getTab(tabId);
  const text = msg.body.prompt_text;
  const answer = action === null ? null : { accept: action === "accept", text: typeof text === "string" ? text : null };
  await armDialog(tabId, answer);
  return { kind: "dialog.armed", body: { armed: armedView(answer) } };
}
