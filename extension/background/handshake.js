/**
 * The handshake: `hello` → `hello.ok` → sealed `session.open` → `session.opened`.
 *
 * Every connection starts with `hello`. On `hello.ok`:
 * - paired (we hold a pairing the daemon knows): derive the session keys, send the sealed `session.open`,
 *   and on `session.opened` the bridge is connected (status "connected", back-off reset);
 * - not paired and we hold no pairing: status "not_paired"; the user starts pairing from the popup;
 * - not paired although we hold a pairing: status "not_paired" with the error "pairing not recognised — pair
 *   again". We never re-pair on our own: only the user starts a pairing.
 *
 * A daemon that does not answer `hello` in time, answers another protocol or a malformed `hello.ok`, or
 * refuses `session.open`, gets the connection dropped and retried with back-off.
 */

import { encode as b64encode, decode as b64decode } from "../protocol/b64.js";
import { Codes, WebBridgeError, asWebBridgeError } from "../protocol/errors.js";
import { SID_PATTERN } from "../protocol/frames.js";
import { deriveSessionKeys } from "../protocol/signing.js";
import { bridgeLabel, closeConn, sendPlain } from "./conn.js";
import { attachChannel } from "./daemon_session.js";
import { HINTS } from "./hints.js";
import { count } from "./live.js";
import { IDLE_PAIRING, clearLastError, errorState, readState, setLastError, updateState } from "./state.js";

/**
 * @typedef {import("./conn.js").Conn} Conn
 * @typedef {import("../protocol/frames.js").PlainFrame} PlainFrame
 * @typedef {import("./keystore.js").PairingRecord} PairingRecord
 * @typedef {{proto: string, daemon_version: string, nonce: string, sid: string, paired: boolean, time: number}} HelloOkBody
 */

const PROTO = "wb1";
/** The daemon must answer `hello` within this long, else the connection is dropped and retried. */
export const HELLO_TIMEOUT_MS = 10_000;

/**
 * Send `hello` on a freshly opened connection and start waiting for `hello.ok`.
 * @param {Conn} conn
 * @throws {WebBridgeError} when the hello cannot be built (a bug); the caller closes the connection
 */
export function sendHello(conn) {
  sendPlain(conn, "hello", {
    proto: [PROTO],
    ext_version: chrome.runtime.getManifest().version,
    ext_id: chrome.runtime.id,
    pairing_id: conn.record?.pairing_id ?? null,
    nonce: b64encode(conn.nonceE),
    browser: conn.browser,
    profile: conn.profile,
  }, { id: conn.helloId });
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
  conn.owner.retryLater();
}

/**
 * `hello.ok` answering our `hello`: check it, then open the session if the daemon knows our pairing.
 * @param {Conn} conn
 * @param {PlainFrame} frame  already checked against the schema
 */
export async function onHelloOk(conn, frame) {
  if (conn.phase !== "hello" || frame.reply_to !== conn.helloId) return;
  clearTimeout(conn.helloTimer);
  const body = /** @type {HelloOkBody} */ (/** @type {unknown} */ (frame.body));
  if (body.proto !== PROTO) {
    closeConn(conn, new WebBridgeError(Codes.UNSUPPORTED_PROTOCOL, `daemon speaks ${body.proto}`));
    const err = new WebBridgeError(Codes.UNSUPPORTED_PROTOCOL, `the daemon answered with protocol ${JSON.stringify(body.proto)}`);
    await updateState({ connection: "disconnected", daemon_version: body.daemon_version, last_error: errorState(err, HINTS.protocol) });
    conn.owner.retryLater();
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
    conn.owner.retryLater();
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
  await openSession(conn, conn.record, nonceD, body.sid);
}

/**
 * Derive the session keys from our pairing, send the sealed `session.open` and await `session.opened`.
 * @param {Conn} conn  in phase "hello"
 * @param {PairingRecord} record  our pairing, which the daemon knows
 * @param {Uint8Array} nonceD  the daemon's nonce from `hello.ok`
 * @param {string} sid
 */
async function openSession(conn, record, nonceD, sid) {
  conn.phase = "opening";
  let keys;
  try {
    keys = await deriveSessionKeys(record.secret, conn.nonceE, nonceD, sid);
  } catch (err) {
    // The stored key is unusable (should not happen with a key IndexedDB kept): say so, keep the port.
    conn.phase = "unpaired";
    const unusable = new WebBridgeError(Codes.KEYSTORE_INSECURE, `the stored key cannot be used: ${asWebBridgeError(err).message}`);
    await updateState({ connection: "not_paired", last_error: errorState(unusable, HINTS.notRecognised) });
    return;
  }
  if (conn.closed) return;
  const channel = attachChannel(conn, sid, keys);
  let opened;
  try {
    opened = await channel.request("session.open", {
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
    conn.owner.retryLater();
    return;
  }
  if (conn.closed) return;
  conn.phase = "open";
  count("sessions");
  conn.owner.resetBackoff();
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
