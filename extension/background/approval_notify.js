/**
 * Approvals while no side panel is open: a browser notification per pending approval, with Allow once and
 * Deny buttons (the side panel offers the longer lifetimes). Its text comes only from the structured request
 * (`ui/approval_view.js`, W10). A notification leaves when its approval is resolved, its run finishes, or a
 * side panel opens (which shows the card instead).
 *
 * Notification ids are `webbridge-approval:<approval_id>`, so that a restarted worker finds its notifications
 * again (`chrome.notifications.getAll`) and `sync()` makes them match the daemon's pending list.
 */

import { asWebBridgeError } from "../protocol/errors.js";
import { describeElement, titleOf } from "../ui/approval_view.js";

/**
 * @typedef {import("../ui/approval_view.js").Pending} Pending
 * @typedef {(approvalId: string, allow: boolean) => Promise<void>} Answerer
 */

export const NOTIFICATION_PREFIX = "webbridge-approval:";
/** Button order of every approval notification. */
export const BUTTONS = Object.freeze([
  { title: "Allow once", allow: true },
  { title: "Deny", allow: false },
]);

/** approval id → run id, of the notifications this worker shows */
const shown = new Map();
export const notifyCounters = { created: 0, cleared: 0, answered: 0 };

/**
 * The notification for one pending approval.
 * @param {Pending} p
 * @returns {chrome.notifications.NotificationCreateOptions}
 */
export function notificationFor(p) {
  const r = p.request;
  const lines = [r.origin ?? r.domain ?? "", describeElement(r)];
  if (r.irreversible) lines.push(`Irreversible: ${r.verb} cannot be undone`);
  if (r.flows.length) lines.push(`Sends text read on ${r.flows[0].source} to ${r.flows[0].destination}`);
  return {
    type: "basic",
    iconUrl: chrome.runtime.getURL("icons/icon128.png"),
    title: `WebBridge: ${titleOf(r)}`,
    message: lines.filter(Boolean).join("\n").slice(0, 500),
    buttons: BUTTONS.map((b) => ({ title: b.title })),
    requireInteraction: true,
    priority: 2,
  };
}

/**
 * Show a notification for `p` (replacing one with the same id).
 * @param {Pending} p
 */
export async function notify(p) {
  try {
    await chrome.notifications.create(NOTIFICATION_PREFIX + p.approval_id, notificationFor(p));
    shown.set(p.approval_id, p.run_id);
    notifyCounters.created++;
  } catch (err) {
    console.warn("webbridge: could not show the approval notification:", asWebBridgeError(err).message);
  }
}

/** @param {string} approvalId */
export async function clear(approvalId) {
  shown.delete(approvalId);
  if (await chrome.notifications.clear(NOTIFICATION_PREFIX + approvalId)) notifyCounters.cleared++;
}

/** @param {string} runId  clear every notification of a finished run */
export async function clearRun(runId) {
  for (const [approvalId, owner] of [...shown]) if (owner === runId) await clear(approvalId);
}

/**
 * Make the notifications match `pending`: clear those of approvals no longer pending, and (when `show`) add
 * the missing ones.
 * @param {Pending[]} pending
 * @param {boolean} show  false while a side panel is open (it shows the cards)
 */
export async function sync(pending, show) {
  const want = new Set(show ? pending.map((p) => p.approval_id) : []);
  const existing = Object.keys(await chrome.notifications.getAll()).filter((id) => id.startsWith(NOTIFICATION_PREFIX));
  for (const id of existing) {
    const approvalId = id.slice(NOTIFICATION_PREFIX.length);
    if (!want.has(approvalId)) await clear(approvalId);
  }
  const have = new Set(existing.map((id) => id.slice(NOTIFICATION_PREFIX.length)));
  for (const p of pending) if (want.has(p.approval_id) && !have.has(p.approval_id)) await notify(p);
}

/**
 * `chrome.notifications.onButtonClicked`: answer the approval (Allow once, or Deny) through the daemon.
 * @param {string} notificationId
 * @param {number} buttonIndex
 * @param {Answerer} answer
 * @returns {Promise<boolean>} whether it was one of ours and the answer went through
 */
export async function onButton(notificationId, buttonIndex, answer) {
  if (!notificationId.startsWith(NOTIFICATION_PREFIX)) return false;
  const approvalId = notificationId.slice(NOTIFICATION_PREFIX.length);
  const button = BUTTONS[buttonIndex];
  if (!button) return false;
  try {
    await answer(approvalId, button.allow);
    notifyCounters.answered++;
    return true;
  } catch (err) {
    // Answered elsewhere first, timed out, or the daemon is gone: the card in the panel says what is left.
    console.warn("webbridge: approval answer from the notification failed:", asWebBridgeError(err).message);
    return false;
  } finally {
    await clear(approvalId);
  }
}
