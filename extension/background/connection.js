/**
 * The connection's lifecycle: connect, notice a dropped port, reconnect with back-off, and the entry points
 * the service worker, the UI and the debug hook call. The phases of one connection live in their own
 * modules: `handshake.js` (hello → session.open), `pairing.js`, `daemon_session.js` (the authenticated
 * channel), with `receive.js` dispatching the daemon's frames to them.
 *
 * A port that drops fails every pending request (`channel_closed`) and reconnects with back-off (50 ms
 * doubling to 5 s, `native.js`); a session that fails §3 steps 1–5 is dropped and reconnected afresh.
 * `start()` is safe on every service-worker wake-up: it does nothing while a connection is live or a retry is
 * scheduled.
 *
 * This module owns what outlives one connection: which connection is current, the attempt in progress, the
 * retry timer and the back-off. They are in memory because they cannot be stored; everything the UI shows
 * goes through `state.js`.
 */

import { Codes, WebBridgeError, asWebBridgeError } from "../protocol/errors.js";
import { loadSchema } from "../protocol/messages.js";
import { closeConn, createConn } from "./conn.js";
import { openChannelOf } from "./daemon_session.js";
import { describeBrowser } from "./handlers/browser_info.js";
import { sendHello } from "./handshake.js";
import { HINTS } from "./hints.js";
import { loadPairing } from "./keystore.js";
import { count, describeLive } from "./live.js";
import { Backoff } from "./native.js";
import * as pairing from "./pairing.js";
import { onFrame } from "./receive.js";
import { errorState, getProfileLabel, readState, resetConnectionState, updateState } from "./state.js";

/**
 * @typedef {import("./conn.js").Conn} Conn
 * @typedef {import("./conn.js").Owner} Owner
 * @typedef {import("./live.js").LiveInfo} LiveInfo
 * @typedef {import("../protocol/channel.js").Channel} Channel
 */

export const WATCHDOG_ALARM = "webbridge-reconnect";

/** @type {Conn | null} */
let current = null;
/** @type {Promise<void> | null} */
let starting = null;
/** @type {ReturnType<typeof setTimeout> | null} */
let retryTimer = null;
let serial = 0;
const backoff = new Backoff();

/** What every connection may ask of this module. @type {Owner} */
const owner = Object.freeze({
  retryLater: () => scheduleRetry(),
  resetBackoff: () => backoff.reset(),
  reconnect: () => reconnect(),
});

/**
 * The current connection while it is open; a closed one is left behind until the next `connect()`.
 * @returns {Conn | null}
 */
function openConn() {
  return current && !current.closed ? current : null;
}

/**
 * Connect unless a connection is live or a retry is already scheduled. Safe to call on every wake-up and
 * from every listener; concurrent calls share one attempt.
 * @returns {Promise<void>}
 */
export function start() {
  void ensureWatchdog();
  if (openConn() || retryTimer !== null) return Promise.resolve();
  starting ??= connect()
    .catch((err) => {
      console.error("webbridge: connect failed", err);
      scheduleRetry();
    })
    .finally(() => {
      starting = null;
    });
  return starting;
}

/**
 * The reconnect watchdog: a service worker without a port may be stopped, and its timers with it; the
 * alarm wakes it (every 30 s) so that `start()` tries again.
 * @returns {Promise<void>}
 */
async function ensureWatchdog() {
  try {
    if (!(await chrome.alarms.get(WATCHDOG_ALARM))) {
      await chrome.alarms.create(WATCHDOG_ALARM, { periodInMinutes: 0.5 });
    }
  } catch (err) {
    console.warn("webbridge: could not set the reconnect alarm", err);
  }
}

/**
 * `chrome.alarms.onAlarm` listener.
 * @param {chrome.alarms.Alarm} alarm
 */
export function onAlarm(alarm) {
  if (alarm.name === WATCHDOG_ALARM) void start();
}

/** Try again after the back-off delay, unless a retry is already scheduled. */
function scheduleRetry() {
  if (retryTimer !== null) return;
  const delay = backoff.take();
  retryTimer = setTimeout(() => {
    retryTimer = null;
    void start();
  }, delay);
}

/**
 * Drop the current connection (if any) and connect afresh, now.
 * @param {{resetBackoff?: boolean}} [opts]
 * @returns {Promise<void>}
 */
export async function reconnect(opts = {}) {
  if (retryTimer !== null) {
    clearTimeout(retryTimer);
    retryTimer = null;
  }
  if (opts.resetBackoff ?? true) backoff.reset();
  if (current) closeConn(current, new WebBridgeError(Codes.CHANNEL_CLOSED, "reconnecting"));
  if (starting) await starting;
  await start();
}

/**
 * Open a port and send `hello`; the rest happens as frames arrive (`receive.js`).
 * @returns {Promise<void>}
 */
async function connect() {
  count("connects");
  await loadSchema();
  const [record, browser, profile] = await Promise.all([
    loadPairing().catch((err) => {
      console.error("webbridge: could not read the key store", err);
      return null;
    }),
    describeBrowser(),
    getProfileLabel(),
  ]);
  await resetConnectionState();
  await updateState({ pairing_id: record?.pairing_id ?? null });
  const conn = createConn({
    serial: ++serial,
    owner,
    record,
    browser,
    profile,
    onFrame,
    onDisconnect: (c, message) => void onDisconnected(c, message),
  });
  current = conn;
  try {
    conn.link.open();
  } catch (err) {
    void onDisconnected(conn, err instanceof Error ? err.message : String(err));
    return;
  }
  try {
    sendHello(conn);
  } catch (err) {
    // A hello we cannot even build (a bug): do not leave a half-open connection that start() trusts.
    closeConn(conn, asWebBridgeError(err));
    throw err;
  }
}

/**
 * The port dropped: say why in terms the user can act on, and retry with back-off.
 * @param {Conn} conn
 * @param {string} message  `chrome.runtime.lastError.message`
 */
async function onDisconnected(conn, message) {
  if (conn.closed) return;
  count("disconnects");
  const reached = conn.phase !== "hello";
  closeConn(conn, new WebBridgeError(Codes.CHANNEL_CLOSED, message));
  if (/not found/i.test(message)) {
    await updateState({
      connection: "host_not_found",
      last_error: errorState(new WebBridgeError(Codes.DAEMON_UNAVAILABLE, message), HINTS.hostNotFound),
    });
  } else if (/forbidden/i.test(message)) {
    await updateState({
      connection: "host_forbidden",
      last_error: errorState(new WebBridgeError(Codes.ORIGIN_REFUSED, message), HINTS.hostForbidden),
    });
  } else {
    // A relay that exits before answering hello usually means the daemon could not be reached.
    const code = reached ? Codes.CHANNEL_CLOSED : Codes.DAEMON_UNAVAILABLE;
    await updateState({
      connection: "disconnected",
      bridge_id: null,
      bridge_label: null,
      // Keep an error recorded earlier on this connection that explains why it ended.
      ...(conn.explained ? {} : { last_error: errorState(new WebBridgeError(code, message), HINTS.disconnected) }),
    });
  }
  scheduleRetry();
}

// --- for the UI and the debug hook --------------------------------------------------------------------

/**
 * Start pairing (the user clicked "Pair this browser"). Resolves once the code is on screen.
 * @returns {Promise<{pair_id: string, sas: string}>}
 * @throws {WebBridgeError} 2003 when not connected to the daemon or already paired and connected
 */
export function startPairing() {
  return pairing.startPairing(openConn());
}

/**
 * The user confirmed that both codes match.
 * @returns {Promise<{pair_id: string}>}
 * @throws {WebBridgeError} 2003 when no code is shown
 */
export function confirmPairing() {
  return pairing.confirmPairing(openConn());
}

/**
 * The user cancelled the pairing.
 * @returns {Promise<void>}
 */
export function cancelPairing() {
  return pairing.cancelPairing(openConn());
}

/**
 * What the live connection is doing (not persisted).
 * @returns {LiveInfo}
 */
export function liveInfo() {
  return describeLive(openConn());
}

/**
 * The open channel, for requests the extension itself makes (echo, ping).
 * @returns {Channel}
 * @throws {WebBridgeError} 4002 when no session is open
 */
export function openChannel() {
  return openChannelOf(openConn());
}

/** @type {Record<string, import("./router.js").UiAction>} */
export const uiActions = {
  status: async () => ({ ...(await readState()), live: liveInfo() }),
  pair: () => startPairing(),
  confirm: () => confirmPairing(),
  cancel: () => cancelPairing(),
  reconnect: () => reconnect(),
};
