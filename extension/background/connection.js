/**
 * The connection to the daemon: handshake, pairing, the authenticated session, reconnection.
 *
 * Every connection starts with `hello`. On `hello.ok`:
 * - paired (we hold a pairing the daemon knows): derive the session keys, send the sealed `session.open`,
 *   and on `session.opened` the bridge is connected (status "connected", back-off reset);
 * - not paired and we hold no pairing: status "not_paired"; the user starts pairing from the popup;
 * - not paired although we hold a pairing: status "not_paired" with the error "pairing not recognised — pair
 *   again". We never re-pair on our own: only the user starts a pairing.
 *
 * Pairing (PROTOCOL.md §4): `pair.begin` → `pair.key` → `pair.reveal`, the code is shown, the user clicks
 * "Codes match" → `pair.confirm`, the user also confirms in `webbridge pair` → `pair.done`, whose MAC we
 * verify before storing the key; then we reconnect and handshake with it.
 *
 * A port that drops fails every pending request (`channel_closed`) and reconnects with back-off (50 ms
 * doubling to 5 s); a session that fails §3 steps 1–5 is dropped and reconnected afresh. `start()` is safe
 * on every service-worker wake-up: it does nothing while a connection is live or a retry is scheduled.
 *
 * The live objects (port, session, channel) are in memory because they cannot be stored; everything the
 * UI shows goes through `state.js`.
 */

import { encode as b64encode, decode as b64decode } from "../protocol/b64.js";
import { Channel } from "../protocol/channel.js";
import { ChunkAssembler } from "../protocol/chunks.js";
import { Codes, WebBridgeError, asWebBridgeError, endsSession } from "../protocol/errors.js";
import { classifyFrame, newId, plainFrame, SID_PATTERN } from "../protocol/frames.js";
import { parseStrictBytes } from "../protocol/jsonstrict.js";
import { loadSchema, validateMessage } from "../protocol/messages.js";
import {
  beginPairing as beginPairingCrypto,
  completePairing,
  PAIRING_TTL_MS,
  rotateSecret,
  verifyDone,
} from "../protocol/pairing.js";
import { Session } from "../protocol/session.js";
import { deriveSessionKeys, randomBytes } from "../protocol/signing.js";
import { describeBrowser } from "./handlers/browser_info.js";
import { loadPairing, replaceSecret, savePairing } from "./keystore.js";
import { Backoff, NativeLink } from "./native.js";
import { createDaemonRouter } from "./router.js";
import {
  IDLE_PAIRING,
  clearLastError,
  errorState,
  getProfileLabel,
  readState,
  resetConnectionState,
  setLastError,
  updateState,
} from "./state.js";

export const WATCHDOG_ALARM = "webbridge-reconnect";
const PROTO = "wb1";
/** The daemon must answer `hello` within this long, else the connection is dropped and retried. */
export const HELLO_TIMEOUT_MS = 10_000;
/** …and `pair.begin` with `pair.key` within this long. */
export const PAIR_KEY_TIMEOUT_MS = 30_000;

/** What the user should do, per kind of failure. */
export const HINTS = Object.freeze({
  hostNotFound: "The native host is not installed for this browser: run `webbridge install`, then reopen this popup.",
  hostForbidden:
    "The native host does not allow this extension's id: run `webbridge install` again (it writes the id into the host manifest).",
  disconnected: "Reconnecting automatically. If this persists, check `webbridge status`.",
  notRecognised: "The daemon does not know this browser's pairing (revoked, or a new daemon store): pair again.",
  pairing: "Start pairing again from this popup and confirm the same code with `webbridge pair`.",
  session: "The session was dropped for safety and is being re-established.",
  clock: "This computer's clock and the daemon's differ by more than two minutes: fix the system clock.",
  protocol: "The daemon speaks another protocol version: update WebBridge so both sides match.",
});

/**
 * @typedef {import("../protocol/frames.js").PlainFrame} PlainFrame
 * @typedef {import("../protocol/session.js").Message} Message
 * @typedef {import("../protocol/pairing.js").PairingStart} PairingStart
 * @typedef {import("../protocol/pairing.js").PairingSecrets} PairingSecrets
 * @typedef {import("./keystore.js").PairingRecord} PairingRecord
 * @typedef {import("./handlers/browser_info.js").BrowserDesc} BrowserDesc
 * @typedef {"hello" | "unpaired" | "opening" | "open"} Phase
 * @typedef {{
 *   beginId: string,
 *   confirmId: string | null,
 *   start: PairingStart,
 *   pairId: string | null,
 *   secrets: PairingSecrets | null,
 *   finished: boolean,
 *   timer: ReturnType<typeof setTimeout>,
 *   ready: {resolve: (v: {pair_id: string, sas: string}) => void, reject: (e: Error) => void},
 * }} PairingAttempt
 * @typedef {{
 *   serial: number,
 *   link: NativeLink,
 *   closed: boolean,
 *   phase: Phase,
 *   helloId: string,
 *   nonceE: Uint8Array,
 *   record: PairingRecord | null,
 *   browser: BrowserDesc,
 *   profile: string,
 *   session: Session | null,
 *   channel: Channel | null,
 *   assembler: ChunkAssembler,
 *   pairing: PairingAttempt | null,
 *   dropped: number,
 *   explained: boolean,
 *   helloTimer: ReturnType<typeof setTimeout> | undefined,
 * }} Conn  `explained`: an error explaining why this connection ends has been recorded
 */

/** @type {Conn | null} */
let current = null;
/** @type {Promise<void> | null} */
let starting = null;
/** @type {ReturnType<typeof setTimeout> | null} */
let retryTimer = null;
let serial = 0;
const backoff = new Backoff();

/** Live counters, for the debug hook. */
export const counters = { connects: 0, sessions: 0, disconnects: 0, droppedFrames: 0 };

/**
 * Connect unless a connection is live or a retry is already scheduled. Safe to call on every wake-up and
 * from every listener; concurrent calls share one attempt.
 * @returns {Promise<void>}
 */
export function start() {
  void ensureWatchdog();
  if ((current && !current.closed) || retryTimer !== null) return Promise.resolve();
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

/** @returns {Promise<void>} */
async function connect() {
  counters.connects++;
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
  /** @type {Conn} */
  const conn = {
    serial: ++serial,
    link: /** @type {NativeLink} */ (/** @type {unknown} */ (null)),
    closed: false,
    phase: "hello",
    helloId: newId(),
    nonceE: randomBytes(32),
    record,
    browser,
    profile,
    session: null,
    channel: null,
    assembler: new ChunkAssembler(),
    pairing: null,
    dropped: 0,
    explained: false,
    helloTimer: undefined,
  };
  conn.link = new NativeLink({
    onFrame: (frame) => onFrame(conn, frame),
    onDisconnect: (message) => void onDisconnected(conn, message),
  });
  current = conn;
  try {
    conn.link.open();
  } catch (err) {
    void onDisconnected(conn, err instanceof Error ? err.message : String(err));
    return;
  }
  try {
    sendPlain(conn, "hello", {
      proto: [PROTO],
      ext_version: chrome.runtime.getManifest().version,
      ext_id: chrome.runtime.id,
      pairing_id: record?.pairing_id ?? null,
      nonce: b64encode(conn.nonceE),
      browser,
      profile,
    }, { id: conn.helloId });
  } catch (err) {
    // A hello we cannot even build (a bug): do not leave a half-open connection that start() trusts.
    closeConn(conn, asWebBridgeError(err));
    throw err;
  }
  conn.helloTimer = setTimeout(() => void onHelloTimeout(conn), HELLO_TIMEOUT_MS);
}

/**
 * A relay that never answers (e.g. stuck starting the daemon) must not leave us waiting forever.
 * @param {Conn} conn
 */
async function onHelloTimeout(conn) {
  if (conn.closed || conn.phase !== "hello") return;
  const err = new WebBridgeError(Codes.TIMEOUT, `the daemon did not answer hello within ${HELLO_TIMEOUT_MS / 1000} s`);
  conn.explained = true;
  closeConn(conn, err);
  await updateState({ connection: "disconnected", last_error: errorState(err, HINTS.disconnected) });
  scheduleRetry();
}

/**
 * @param {Conn} conn
 * @param {string} kind
 * @param {Record<string, unknown>} body
 * @param {{id?: string, replyTo?: string | null}} [opts]
 */
function sendPlain(conn, kind, body, opts) {
  validateMessage(kind, body, { sealed: false });
  conn.link.post(plainFrame(kind, body, opts));
}

/**
 * Close a connection we no longer want: fail its pending requests, end any pairing in progress, close the
 * port. Idempotent; reports no disconnect.
 * @param {Conn} conn
 * @param {WebBridgeError} reason
 */
function closeConn(conn, reason) {
  if (conn.closed) return;
  conn.closed = true;
  clearTimeout(conn.helloTimer);
  conn.channel?.close(reason);
  conn.assembler.reset();
  if (conn.pairing && !conn.pairing.finished) {
    void failPairing(conn, new WebBridgeError(Codes.PAIRING_FAILED, `the connection closed during pairing (${reason.message})`));
  }
  conn.link.close();
  if (current === conn) current = null;
}

/**
 * @param {Conn} conn
 * @param {string} message  `chrome.runtime.lastError.message`
 */
async function onDisconnected(conn, message) {
  if (conn.closed) return;
  counters.disconnects++;
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

// --- receiving ----------------------------------------------------------------------------------------

/**
 * @param {Conn} conn
 * @param {unknown} raw  a frame as parsed by the browser
 */
function onFrame(conn, raw) {
  if (conn.closed) return;
  let c;
  try {
    c = classifyFrame(raw);
    if (c.type === "chunk") {
      const bytes = conn.assembler.push(c.frame);
      if (!bytes) return;
      c = classifyFrame(parseStrictBytes(bytes));
      if (c.type === "chunk") throw new WebBridgeError(Codes.BAD_CHUNK, "a chunk inside a chunk");
    }
  } catch (err) {
    // An unusable frame from the transport: drop it, count it, and go on (a lost sealed frame shows up as
    // a sequence gap on the next one, which ends the session).
    conn.dropped++;
    counters.droppedFrames++;
    console.warn("webbridge: dropped a frame:", String(err));
    return;
  }
  if (c.type === "sealed") {
    if (!conn.channel) {
      conn.dropped++;
      counters.droppedFrames++;
      return;
    }
    conn.channel.receive(c.frame).catch((err) => void onSessionFailure(conn, asWebBridgeError(err)));
    return;
  }
  void onPlain(conn, c.frame).catch((err) => console.error("webbridge: handling a plain frame failed", err));
}

/**
 * A sealed frame failed §3 steps 1–5: the session is over; drop it and handshake afresh.
 * @param {Conn} conn
 * @param {WebBridgeError} err
 */
async function onSessionFailure(conn, err) {
  if (conn.closed || !endsSession(err)) return;
  conn.explained = true;
  // Tell the daemon why, as it tells us (a plain error), then drop the connection.
  try {
    sendPlain(conn, "error", { code: err.code, name: err.name, message: err.message.slice(0, 4096) });
  } catch {
    // the port is already gone
  }
  closeConn(conn, err);
  await updateState({
    connection: "connecting",
    bridge_id: null,
    bridge_label: null,
    last_error: errorState(err, err.code === Codes.CLOCK_SKEW ? HINTS.clock : HINTS.session),
  });
  scheduleRetry();
}

/**
 * @param {Conn} conn
 * @param {PlainFrame} frame
 */
async function onPlain(conn, frame) {
  try {
    validateMessage(frame.kind, frame.body, { sealed: false });
  } catch (err) {
    conn.dropped++;
    counters.droppedFrames++;
    console.warn(`webbridge: refused a plain ${frame.kind} frame:`, String(err));
    return;
  }
  switch (frame.kind) {
    case "hello.ok":
      return onHelloOk(conn, frame);
    case "pair.key":
      return onPairKey(conn, frame);
    case "pair.done":
      return onPairDone(conn, frame);
    case "pair.cancel":
      return onPairCancel(conn, frame);
    case "error":
      return onPlainError(conn, frame);
    default:
      conn.dropped++;
  }
}

/**
 * @param {Conn} conn
 * @param {PlainFrame} frame
 */
async function onHelloOk(conn, frame) {
  if (conn.phase !== "hello" || frame.reply_to !== conn.helloId) return;
  clearTimeout(conn.helloTimer);
  const body = /** @type {{proto: string, daemon_version: string, nonce: string, sid: string, paired: boolean, time: number}} */ (
    /** @type {unknown} */ (frame.body)
  );
  if (body.proto !== PROTO) {
    closeConn(conn, new WebBridgeError(Codes.UNSUPPORTED_PROTOCOL, `daemon speaks ${body.proto}`));
    const err = new WebBridgeError(Codes.UNSUPPORTED_PROTOCOL, `the daemon answered with protocol ${JSON.stringify(body.proto)}`);
    await updateState({ connection: "disconnected", daemon_version: body.daemon_version, last_error: errorState(err, HINTS.protocol) });
    scheduleRetry();
    return;
  }
  /** @type {Uint8Array} */
  let nonceD;
  try {
    nonceD = b64decode(body.nonce);
    if (nonceD.length !== 32 || !SID_PATTERN.test(body.sid)) throw new Error("bad nonce or sid");
  } catch {
    closeConn(conn, new WebBridgeError(Codes.INVALID_MESSAGE, "malformed hello.ok"));
    await setLastError(new WebBridgeError(Codes.INVALID_MESSAGE, "the daemon's hello.ok has a malformed nonce or session id"), HINTS.disconnected);
    scheduleRetry();
    return;
  }
  await updateState({ daemon_version: body.daemon_version });
  await clearTransportError();
  if (Math.abs(body.time - Date.now()) > 120_000) {
    await setLastError(new WebBridgeError(Codes.CLOCK_SKEW, "this computer's clock and the daemon's differ by more than 120 s"), HINTS.clock);
  }
  if (!body.paired || !conn.record) {
    conn.phase = "unpaired";
    const notRecognised = new WebBridgeError(Codes.NOT_PAIRED, "pairing not recognised — pair again");
    await updateState({
      connection: "not_paired",
      bridge_id: null,
      bridge_label: null,
      ...(conn.record ? { last_error: errorState(notRecognised, HINTS.notRecognised) } : {}),
    });
    return;
  }
  conn.phase = "opening";
  let keys;
  try {
    keys = await deriveSessionKeys(conn.record.secret, conn.nonceE, nonceD, body.sid);
  } catch (err) {
    // The stored key is unusable (should not happen with a key IndexedDB kept): say so, keep the port.
    conn.phase = "unpaired";
    const unusable = new WebBridgeError(Codes.KEYSTORE_INSECURE, `the stored key cannot be used: ${asWebBridgeError(err).message}`);
    await updateState({ connection: "not_paired", last_error: errorState(unusable, HINTS.notRecognised) });
    return;
  }
  if (conn.closed) return;
  const session = new Session({ sid: body.sid, keys, role: "extension" });
  const route = createDaemonRouter({ "key.rotate": (msg) => onKeyRotate(conn, msg) });
  conn.session = session;
  conn.channel = new Channel({
    session,
    post: (f) => {
      conn.link.post(f);
    },
    onRequest: route,
  });
  let opened;
  try {
    opened = await conn.channel.request("session.open", {
      label: bridgeLabel(conn.browser, conn.profile),
      browser: conn.browser,
      profile: conn.profile,
      ext_version: chrome.runtime.getManifest().version,
    });
  } catch (err) {
    const e = asWebBridgeError(err);
    if (conn.closed) return;
    closeConn(conn, e);
    await updateState({ connection: "disconnected", last_error: errorState(e, HINTS.session) });
    scheduleRetry();
    return;
  }
  if (conn.closed) return;
  conn.phase = "open";
  counters.sessions++;
  backoff.reset();
  await updateState({
    connection: "connected",
    bridge_id: String(opened.body.bridge_id),
    bridge_label: String(opened.body.label),
    pairing: IDLE_PAIRING,
    last_error: null,
  });
}

/** The daemon answered: errors about reaching it are no longer true. */
async function clearTransportError() {
  const { last_error } = await readState();
  /** @type {number[]} */
  const transport = [Codes.DAEMON_UNAVAILABLE, Codes.ORIGIN_REFUSED, Codes.CHANNEL_CLOSED];
  if (last_error && transport.includes(last_error.code)) await clearLastError();
}

/**
 * A label the CLI can type: "chromium-default".
 * @param {BrowserDesc} browser
 * @param {string} profile
 * @returns {string}
 */
export function bridgeLabel(browser, profile) {
  const slug = `${browser.name}-${profile}`.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return (slug || "browser").slice(0, 64);
}

/**
 * `key.rotate {pk}` (C8): answer with our fresh key, then replace the stored secret once the reply is out.
 * @param {Conn} conn
 * @param {Message} msg
 * @returns {Promise<import("../protocol/channel.js").Reply>}
 */
async function onKeyRotate(conn, msg) {
  const record = conn.record;
  if (!record) throw new WebBridgeError(Codes.NOT_PAIRED, "no pairing to rotate");
  const { pk, secretKey } = await rotateSecret(/** @type {string} */ (msg.body.pk));
  return {
    kind: "key.rotated",
    body: { pk: b64encode(pk) },
    afterSend: async () => {
      await replaceSecret(record.pairing_id, secretKey);
      conn.record = { ...record, secret: secretKey };
    },
  };
}

/**
 * @param {Conn} conn
 * @param {PlainFrame} frame
 */
async function onPlainError(conn, frame) {
  const body = /** @type {import("../protocol/errors.js").WireError} */ (/** @type {unknown} */ (frame.body));
  const attempt = conn.pairing;
  if (attempt && !attempt.finished && (frame.reply_to === attempt.beginId || frame.reply_to === attempt.confirmId)) {
    const err = new WebBridgeError(Codes.PAIRING_FAILED, `the daemon refused the pairing: [${body.code} ${body.name}] ${body.message}`);
    await failPairing(conn, err);
    return;
  }
  // The daemon ends a failed session (or refuses a hello) with a plain error and closes; the disconnect
  // follows, and this error explains it.
  conn.explained = true;
  const sessionEnded = body.code >= 3001 && body.code <= 3005;
  await setLastError(body, sessionEnded ? HINTS.session : body.code === Codes.UNSUPPORTED_PROTOCOL ? HINTS.protocol : "");
}

// --- pairing ------------------------------------------------------------------------------------------

/**
 * Start pairing (the user clicked "Pair this browser"). Resolves once the code is on screen.
 * @returns {Promise<{pair_id: string, sas: string}>}
 * @throws {WebBridgeError} 2003 when not connected to the daemon or already paired and connected
 */
export async function startPairing() {
  const conn = current;
  if (!conn || conn.closed || conn.phase === "hello") {
    throw new WebBridgeError(Codes.UNEXPECTED_KIND, "not connected to the daemon yet: wait for “Not paired”, then pair");
  }
  if (conn.phase !== "unpaired") {
    throw new WebBridgeError(Codes.UNEXPECTED_KIND, "this browser is already paired and connected");
  }
  if (conn.pairing && !conn.pairing.finished) {
    throw new WebBridgeError(Codes.UNEXPECTED_KIND, "a pairing is already in progress");
  }
  const start = await beginPairingCrypto();
  /** @type {PairingAttempt["ready"]} */
  let ready = /** @type {any} */ (null);
  /** @type {Promise<{pair_id: string, sas: string}>} */
  const shown = new Promise((resolve, reject) => {
    ready = { resolve, reject };
  });
  shown.catch(() => undefined);
  /** @type {PairingAttempt} */
  const attempt = {
    beginId: newId(),
    confirmId: null,
    start,
    pairId: null,
    secrets: null,
    finished: false,
    timer: setTimeout(() => {
      void failPairing(conn, new WebBridgeError(Codes.PAIRING_EXPIRED, "the pairing was not completed within 5 minutes"));
    }, PAIRING_TTL_MS),
    ready,
  };
  conn.pairing = attempt;
  await updateState({ pairing: { phase: "starting", sas: null, pair_id: null, started: Date.now() } });
  await clearLastError();
  const keyTimer = setTimeout(() => {
    if (attempt.pairId === null) {
      void failPairing(conn, new WebBridgeError(Codes.TIMEOUT, "the daemon did not answer pair.begin"), { tellDaemon: true });
    }
  }, PAIR_KEY_TIMEOUT_MS);
  void shown.finally(() => clearTimeout(keyTimer)).catch(() => undefined);
  sendPlain(
    conn,
    "pair.begin",
    { commit: b64encode(start.commit), label: bridgeLabel(conn.browser, conn.profile), browser: conn.browser, profile: conn.profile },
    { id: attempt.beginId },
  );
  return shown;
}

/**
 * @param {Conn} conn
 * @param {PlainFrame} frame
 */
async function onPairKey(conn, frame) {
  const attempt = conn.pairing;
  if (!attempt || attempt.finished || attempt.pairId !== null || frame.reply_to !== attempt.beginId) return;
  const body = /** @type {{pair_id: string, pk_d: string}} */ (/** @type {unknown} */ (frame.body));
  attempt.pairId = body.pair_id;
  try {
    attempt.secrets = await completePairing(attempt.start, body.pk_d);
  } catch (err) {
    await failPairing(conn, asWebBridgeError(err), { tellDaemon: true });
    return;
  }
  if (attempt.finished || conn.closed) return;
  sendPlain(conn, "pair.reveal", {
    pair_id: body.pair_id,
    pk_e: b64encode(attempt.start.key.pk),
    n_e: b64encode(attempt.start.nonce),
  });
  const sas = attempt.secrets.sas;
  await updateState({ pairing: { phase: "compare", sas, pair_id: body.pair_id, started: Date.now() } });
  attempt.ready.resolve({ pair_id: body.pair_id, sas });
}

/**
 * The user confirmed that both codes match.
 * @returns {Promise<{pair_id: string}>}
 */
export async function confirmPairing() {
  const conn = current;
  const attempt = conn?.pairing;
  if (!conn || !attempt || attempt.finished || !attempt.secrets || attempt.pairId === null) {
    throw new WebBridgeError(Codes.UNEXPECTED_KIND, "no pairing code to confirm");
  }
  if (attempt.confirmId !== null) return { pair_id: attempt.pairId };
  attempt.confirmId = newId();
  sendPlain(conn, "pair.confirm", { pair_id: attempt.pairId, mac: b64encode(attempt.secrets.confirmMac) }, { id: attempt.confirmId });
  const state = await readState();
  await updateState({ pairing: { ...state.pairing, phase: "confirmed" } });
  return { pair_id: attempt.pairId };
}

/**
 * @param {Conn} conn
 * @param {PlainFrame} frame
 */
async function onPairDone(conn, frame) {
  const attempt = conn.pairing;
  if (!attempt || attempt.finished || !attempt.secrets) return;
  const body = /** @type {{pair_id: string, pairing_id: string, mac: string}} */ (/** @type {unknown} */ (frame.body));
  if (attempt.confirmId === null || body.pair_id !== attempt.pairId) {
    await failPairing(conn, new WebBridgeError(Codes.PAIRING_FAILED, "pair.done arrived out of order"), { tellDaemon: true });
    return;
  }
  if (!(await verifyDone(attempt.secrets, body.mac))) {
    await failPairing(conn, new WebBridgeError(Codes.PAIRING_FAILED, "the daemon's confirmation does not verify"), { tellDaemon: true });
    return;
  }
  try {
    await savePairing(body.pairing_id, attempt.secrets.secretKey);
  } catch (err) {
    await failPairing(conn, new WebBridgeError(Codes.INTERNAL, `could not store the key: ${asWebBridgeError(err).message}`));
    return;
  }
  attempt.finished = true;
  clearTimeout(attempt.timer);
  await updateState({ pairing: { phase: "done", sas: null, pair_id: body.pair_id, started: null }, pairing_id: body.pairing_id });
  await clearLastError();
  // Handshake again, now with the new key.
  await reconnect();
}

/**
 * @param {Conn} conn
 * @param {PlainFrame} frame
 */
async function onPairCancel(conn, frame) {
  const attempt = conn.pairing;
  if (!attempt || attempt.finished) return;
  const body = /** @type {{pair_id: string | null, reason: string}} */ (/** @type {unknown} */ (frame.body));
  if (body.pair_id !== null && body.pair_id !== attempt.pairId) return;
  await failPairing(conn, new WebBridgeError(Codes.PAIRING_FAILED, `the daemon cancelled the pairing: ${body.reason}`));
}

/**
 * The user cancelled.
 * @returns {Promise<void>}
 */
export async function cancelPairing() {
  const conn = current;
  const attempt = conn?.pairing;
  if (!conn || !attempt || attempt.finished) {
    await updateState({ pairing: IDLE_PAIRING });
    return;
  }
  attempt.finished = true;
  clearTimeout(attempt.timer);
  attempt.ready.reject(new WebBridgeError(Codes.PAIRING_FAILED, "cancelled by the user"));
  if (!conn.closed) sendPlain(conn, "pair.cancel", { pair_id: attempt.pairId, reason: "cancelled by the user" });
  await updateState({ pairing: IDLE_PAIRING });
}

/**
 * @param {Conn} conn
 * @param {WebBridgeError} err
 * @param {{tellDaemon?: boolean}} [opts]
 */
async function failPairing(conn, err, opts = {}) {
  const attempt = conn.pairing;
  if (!attempt || attempt.finished) return;
  attempt.finished = true;
  clearTimeout(attempt.timer);
  attempt.ready.reject(err);
  if (opts.tellDaemon && !conn.closed) {
    try {
      sendPlain(conn, "pair.cancel", { pair_id: attempt.pairId, reason: err.message.slice(0, 512) });
    } catch (sendErr) {
      console.warn("webbridge: could not send pair.cancel", sendErr);
    }
  }
  await updateState({
    pairing: { phase: "failed", sas: null, pair_id: attempt.pairId, started: null },
    last_error: errorState(err, HINTS.pairing),
  });
}

// --- for the UI and the debug hook --------------------------------------------------------------------

/**
 * What the live connection is doing (not persisted).
 * @returns {{phase: Phase | "none", sid: string | null, pending: number, stats: Record<string, number> | null, serial: number}}
 */
export function liveInfo() {
  const conn = current && !current.closed ? current : null;
  return {
    phase: conn?.phase ?? "none",
    sid: conn?.session?.sid ?? null,
    pending: conn?.channel?.pendingCount ?? 0,
    stats: conn?.channel ? { ...conn.channel.stats, dropped: conn.dropped } : null,
    serial: conn?.serial ?? 0,
  };
}

/**
 * The open channel, for requests the extension itself makes (echo, ping).
 * @returns {Channel}
 * @throws {WebBridgeError} 4002 when no session is open
 */
export function openChannel() {
  const conn = current;
  if (!conn || conn.closed || conn.phase !== "open" || !conn.channel) {
    throw new WebBridgeError(Codes.CHANNEL_CLOSED, "no open session with the daemon");
  }
  return conn.channel;
}

/** @type {Record<string, import("./router.js").UiAction>} */
export const uiActions = {
  status: async () => ({ ...(await readState()), live: liveInfo() }),
  pair: () => startPairing(),
  confirm: () => confirmPairing(),
  cancel: () => cancelPairing(),
  reconnect: () => reconnect(),
};
