/**
 * The service worker's side of approvals, grants and the policy summary (PROTOCOL.md §5.4):
 *
 * - On every new session with the daemon: fetch the policy summary (the extension's own re-check,
 *   `policy_check.js`), subscribe to approval events (`approvals.watch`) and bring the notifications in line
 *   with the daemon's pending approvals.
 * - `approval.event` from the daemon: relayed to the open side panels (their cards), and, while none is open,
 *   a notification with Allow once / Deny (`approval_notify.js`); cleared when resolved or the run finishes.
 * - `policy.changed`: fetch the summary again.
 * - The UI actions of the side panel and options page for the policy kinds, relayed over the channel like the
 *   run kinds (the router has checked that the sender is one of our own pages).
 */

import { Codes, RemoteError, asWebBridgeError } from "../protocol/errors.js";
import { applyApprovalEvent, pendingFromList } from "../ui/approval_view.js";
import { PANEL_PORT } from "../ui/run_model.js";
import * as notes from "./approval_notify.js";
import { openChannel } from "./connection.js";
import { panelCount, postPanelMessage } from "./panel_ports.js";
import { refreshSummary, setSummaryFetcher } from "./policy_check.js";
import { relayActions } from "./relay_actions.js";
import { readState } from "./state.js";

/**
 * @typedef {import("../ui/approval_view.js").Pending} Pending
 * @typedef {import("../protocol/session.js").Message} Message
 */

/** Policy kinds the UI pages may send, with the deadline of each (ms). */
const POLICY_KINDS = Object.freeze({
  "approvals.list": 30_000,
  "approval.answer": 30_000,
  "grants.list": 30_000,
  "grants.revoke": 30_000,
  "policy.summary": 30_000,
});

const SUMMARY_TIMEOUT_MS = 10_000;

/** What this worker knows (memory only: a new worker asks again on its first session). */
const sync = {
  /** @type {string | null} the bridge whose session we set up */
  bridge: null,
  /** @type {Pending[]} */
  pending: [],
};

/** At start: the summary is fetched from the daemon over the open channel. */
export function configurePolicy() {
  const fetcher = async () => {
    const reply = await openChannel().request("policy.summary", {}, { timeoutMs: SUMMARY_TIMEOUT_MS });
    return /** @type {import("./policy_check.js").PolicySummary} */ (/** @type {unknown} */ (reply.body));
  };
  // The open channel is the session: a summary fetched on an earlier one is fetched again before use.
  setSummaryFetcher(fetcher, { session: () => currentChannel() });
}

/** @returns {unknown} the open channel, or null */
function currentChannel() {
  try {
    return openChannel();
  } catch {
    return null;
  }
}

/**
 * The state changed (`chrome.storage.onChanged`): on a new session, set it up. Safe to call any time.
 * @returns {Promise<void>}
 */
export async function onSessionState() {
  const s = await readState();
  if (s.connection !== "connected" || !s.bridge_id) {
    sync.bridge = null;
    return;
  }
  if (s.bridge_id === sync.bridge) return;
  sync.bridge = s.bridge_id;
  await Promise.all([refreshSummary(), watchApprovals()]);
}

/** Subscribe to approval events, then take the daemon's pending list (nothing is missed in between). */
async function watchApprovals() {
  try {
    const channel = openChannel();
    await channel.request("approvals.watch", {});
    const listed = await channel.request("approvals.list", {});
    sync.pending = pendingFromList(/** @type {Array<Record<string, unknown>>} */ (listed.body.approvals));
    await notes.sync(sync.pending, panelCount() === 0);
  } catch (err) {
    const e = asWebBridgeError(err);
    const code = e instanceof RemoteError ? e.remoteCode : e.code;
    if (code !== Codes.POLICY_UNAVAILABLE) console.warn("webbridge: approvals:", e.message);
  }
}

/**
 * `approval.event` from the daemon: to the panels, and a notification while none is open.
 * @param {Message} msg
 */
export function onApprovalEvent(msg) {
  const event = /** @type {import("../ui/approval_view.js").ApprovalEvent} */ (msg.body.event);
  sync.pending = applyApprovalEvent(sync.pending, event);
  postPanelMessage({ type: "approval.event", event });
  if (event.type === "approval.requested") {
    const p = sync.pending.find((x) => x.approval_id === event.approval_id);
    if (p && panelCount() === 0) void notes.notify(p);
  } else if (event.type === "approval.resolved") {
    void notes.clear(String(event.approval_id));
  } else if (event.type === "run.finished") {
    void notes.clearRun(String(event.run_id));
  }
}

/** `policy.changed` from the daemon: the summary in force is out of date. */
export function onPolicyChanged() {
  void refreshSummary();
}

/**
 * `chrome.notifications.onButtonClicked`.
 * @param {string} notificationId
 * @param {number} buttonIndex
 */
export function onNotificationButton(notificationId, buttonIndex) {
  void notes.onButton(notificationId, buttonIndex, answerFromNotification);
}

/**
 * A notification's answer: allow once, or deny.
 * @param {string} approvalId
 * @param {boolean} allow
 * @returns {Promise<void>}
 */
export async function answerFromNotification(approvalId, allow) {
  await openChannel().request("approval.answer", { approval_id: approvalId, allow, lifetime: "once", via: "notification" });
}

/**
 * `chrome.runtime.onConnect`: a side panel opened, so its cards replace the notifications.
 * @param {chrome.runtime.Port} port
 */
export function onPanelOpened(port) {
  if (port.name === PANEL_PORT) void notes.sync(sync.pending, false);
}

/** @returns {{bridge: string | null, pending: string[]}} for the debug hook */
export function approvalSyncStatus() {
  return { bridge: sync.bridge, pending: sync.pending.map((p) => p.approval_id) };
}

/**
 * The UI actions for the policy kinds: each sends the page's `body` as that request and answers the reply body.
 * @type {Record<string, import("./router.js").UiAction>}
 */
export const policyUiActions = relayActions(POLICY_KINDS);
