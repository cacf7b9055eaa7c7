/**
 * The test and benchmark hook: `self.__webbridge` on the service worker's global.
 *
 * It is the extension's one global, and it is reachable only from code running in this service worker,
 * that is through DevTools or the Chrome DevTools Protocol attached to the extension's own worker (Playwright's
 * `worker.evaluate`). Web pages and content scripts run in other globals and cannot see it; nothing here
 * exposes key material (keys are non-extractable `CryptoKey`s in IndexedDB).
 *
 * Every function returns a promise of plain JSON-serialisable data, and rejects with an `Error` whose message
 * starts with "[code name]" on failure:
 *
 * - `status()` → the popup's state (`ViewState`) plus `live: {phase, sid, pending, stats, serial}`,
 *   `ext_id`, `ext_version`, `counters`.
 * - `waitForStatus(connection, timeoutMs = 30000)` → the status once `connection` equals it.
 * - `waitForPairing(phase, timeoutMs = 30000)` → the status once `pairing.phase` equals it.
 * - `pair()` → `{pair_id, sas}` once the six-digit code is shown (sends pair.begin, pair.reveal).
 * - `confirmPairing()` → `{pair_id}` after pair.confirm is sent (as the "Codes match" button).
 * - `cancelPairing()` → `{ok: true}`.
 * - `reconnect()` → `{ok: true}`: drop the port and handshake afresh now.
 * - `echo(data, mode = "echo", opts = {})` → `{reply, ms, sent_chars}`. `data` is a string, or a number n to
 *   send n × "x" generated here (no large string through CDP). `mode` "echo" or "digest". With
 *   `opts.returnData === false` the echoed `reply.data` is replaced by its length (`reply.data_chars`).
 *   `opts.timeoutMs` (default 120000). `ms` is the round trip measured in the worker.
 * - `ping()` → `{reply, ms}`.
 * - `browserInfo()` → the `browser.info.result` body this browser would send.
 * - `setProfileLabel(label)` → `{profile_label}`; used from the next connection on.
 * - `forgetPairing()` → `{ok: true}`: delete the stored key and reconnect (test set-up only).
 * - `contextMenuClick(info, tab)` → the context handed to the side panel (`{tab_id, context, at}`, or null):
 *   runs the real `contextMenus.onClicked` handler with the `info` and `tab` Chrome would pass (headless
 *   Chromium cannot click a native menu). `tab` may be a tab id: the tab is then looked up.
 * - `debuggerUse()` → `{attached: [tab ids], attaches}`: the tabs this worker has the debugger attached to now
 *   (Chrome's "started debugging" bar shows while there is one) and how many attaches it made so far.
 * - `panelPorts()` → `{open, run_events}`: side-panel ports connected, `run.event`s relayed so far.
 * - `policyStatus()` → `{summary: {state, version, mode, refusals}, approvals: {bridge, pending},
 *   notifications: [ids], notify: {created, cleared, answered}}`: the extension's re-check and approvals.
 * - `notificationButton(id, index)` → `{answered}`: runs the real `notifications.onButtonClicked` handler
 *   (headless Chromium shows no notification to click).
 */

import { asWebBridgeError } from "../protocol/errors.js";
import { cancelPairing, confirmPairing, liveInfo, openChannel, reconnect, startPairing } from "./connection.js";
import { onContextMenuClick } from "./context_menu.js";
import { debuggerUse } from "./debugger.js";
import { browserInfo } from "./handlers/browser_info.js";
import { eventCounters } from "./handlers/run_event.js";
import { panelCount } from "./panel_ports.js";
import { NOTIFICATION_PREFIX, notifyCounters, onButton } from "./approval_notify.js";
import { summaryStatus } from "./policy_check.js";
import { answerFromNotification, approvalSyncStatus } from "./policy_sync.js";
import { deletePairing } from "./keystore.js";
import { counters } from "./live.js";
import { onStateChanged, readState, setProfileLabel } from "./state.js";

/**
 * @typedef {import("./state.js").ViewState & {
 *   live: ReturnType<typeof liveInfo>,
 *   ext_id: string,
 *   ext_version: string,
 *   counters: typeof counters,
 * }} DebugStatus
 */

/** @returns {Promise<DebugStatus>} */
async function status() {
  return {
    ...(await readState()),
    live: liveInfo(),
    ext_id: chrome.runtime.id,
    ext_version: chrome.runtime.getManifest().version,
    counters: { ...counters },
  };
}

/**
 * Resolve with the status once `check` holds; re-checked on every state change (no polling).
 * @param {(s: DebugStatus) => boolean} check
 * @param {number} timeoutMs
 * @param {string} what
 * @returns {Promise<DebugStatus>}
 */
function waitFor(check, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    let settled = false;
    /** @type {DebugStatus | null} */
    let last = null;
    const finish = (/** @type {DebugStatus | null} */ value, /** @type {Error | null} */ error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      if (error) reject(error);
      else resolve(/** @type {DebugStatus} */ (value));
    };
    const test = () => {
      status().then((s) => {
        last = s;
        if (check(s)) finish(s, null);
      }, (err) => finish(null, err));
    };
    const unsubscribe = onStateChanged(test);
    const timer = setTimeout(() => {
      const seen = last ? `connection=${last.connection} pairing=${last.pairing.phase}` : "no state";
      finish(null, new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${seen})`));
    }, timeoutMs);
    test();
  });
}

/**
 * Run an action, turning our errors into `Error`s whose message carries the code (CDP keeps only messages).
 * @template T
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
async function wrap(fn) {
  try {
    return await fn();
  } catch (err) {
    throw new Error(asWebBridgeError(err).toString());
  }
}

/**
 * @param {string | number} data
 * @param {"echo" | "digest"} [mode]
 * @param {{returnData?: boolean, timeoutMs?: number}} [opts]
 */
async function echo(data, mode = "echo", opts = {}) {
  const text = typeof data === "number" ? "x".repeat(data) : String(data);
  const channel = openChannel();
  const t0 = performance.now();
  const reply = await channel.request("echo", { data: text, mode }, { timeoutMs: opts.timeoutMs ?? 120_000 });
  const ms = performance.now() - t0;
  /** @type {Record<string, unknown>} */
  let body = reply.body;
  if (opts.returnData === false && typeof body.data === "string") {
    const { data: echoed, ...rest } = body;
    body = { ...rest, data_chars: /** @type {string} */ (echoed).length };
  }
  return { reply: body, ms, sent_chars: text.length };
}

export const debugApi = Object.freeze({
  status: () => wrap(status),
  waitForStatus: (/** @type {string} */ connection, timeoutMs = 30_000) =>
    waitFor((s) => s.connection === connection, timeoutMs, `connection=${connection}`),
  waitForPairing: (/** @type {string} */ phase, timeoutMs = 30_000) =>
    waitFor((s) => s.pairing.phase === phase, timeoutMs, `pairing=${phase}`),
  pair: () => wrap(startPairing),
  confirmPairing: () => wrap(confirmPairing),
  cancelPairing: () => wrap(async () => (await cancelPairing(), { ok: true })),
  reconnect: () => wrap(async () => (await reconnect(), { ok: true })),
  echo: (/** @type {string | number} */ data, /** @type {"echo" | "digest"} */ mode = "echo", opts = {}) =>
    wrap(() => echo(data, mode, opts)),
  ping: () =>
    wrap(async () => {
      const t0 = performance.now();
      const reply = await openChannel().request("ping", {});
      return { reply: reply.body, ms: performance.now() - t0 };
    }),
  browserInfo: () => wrap(async () => (await browserInfo()).body),
  setProfileLabel: (/** @type {string} */ label) => wrap(async () => ({ profile_label: await setProfileLabel(label) })),
  contextMenuClick: (/** @type {chrome.contextMenus.OnClickData} */ info, /** @type {chrome.tabs.Tab | number} */ tab) =>
    wrap(async () => onContextMenuClick(info, typeof tab === "number" ? await chrome.tabs.get(tab) : tab)),
  panelPorts: () => wrap(async () => ({ open: panelCount(), run_events: eventCounters.run_events })),
  debuggerUse: () => wrap(async () => debuggerUse()),
  policyStatus: () =>
    wrap(async () => ({
      summary: summaryStatus(),
      approvals: approvalSyncStatus(),
      notifications: Object.keys(await chrome.notifications.getAll()).filter((id) => id.startsWith(NOTIFICATION_PREFIX)),
      notify: { ...notifyCounters },
    })),
  notificationButton: (/** @type {string} */ id, /** @type {number} */ index) =>
    wrap(async () => ({
      answered: await onButton(id, index, answerFromNotification),
    })),
  forgetPairing: () =>
    wrap(async () => {
      await deletePairing();
      await reconnect();
      return { ok: true };
    }),
});

/** Install `self.__webbridge` (the only global the extension defines). Idempotent. */
export function installDebugHook() {
  Object.defineProperty(globalThis, "__webbridge", { value: debugApi, configurable: true, enumerable: false, writable: false });
}
