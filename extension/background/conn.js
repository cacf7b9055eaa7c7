/**
 * One connection to the daemon: the record every phase works on (handshake, pairing, session), and what
 * every phase does with it: send a plain frame, close it.
 *
 * A `Conn` lives from `connect()` until it closes and is never reused: reconnecting makes a new one. Its live
 * objects (port, session, channel) are in memory because they cannot be stored; everything the UI shows goes
 * through `state.js`. What outlives a connection (the retry timer, the back-off) belongs to its owner,
 * `connection.js`, which the phases reach through `conn.owner`.
 */

import { ChunkAssembler } from "../protocol/chunks.js";
import { Codes, WebBridgeError } from "../protocol/errors.js";
import { newId, plainFrame } from "../protocol/frames.js";
import { validateMessage } from "../protocol/messages.js";
import { randomBytes } from "../protocol/signing.js";
import { NativeLink } from "./native.js";

/**
 * @typedef {import("../protocol/channel.js").Channel} Channel
 * @typedef {import("../protocol/session.js").Session} Session
 * @typedef {import("./keystore.js").PairingRecord} PairingRecord
 * @typedef {import("./handlers/browser_info.js").BrowserDesc} BrowserDesc
 * @typedef {import("./pairing.js").PairingAttempt} PairingAttempt
 * @typedef {"hello" | "unpaired" | "opening" | "open"} Phase
 * @typedef {{
 *   retryLater: () => void,
 *   resetBackoff: () => void,
 *   reconnect: () => Promise<void>,
 * }} Owner  what a connection asks of `connection.js`: reconnect with back-off after it ends, reset the
 *   back-off once a session opens, or drop it and handshake afresh now
 * @typedef {{
 *   serial: number,
 *   owner: Owner,
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
 * @typedef {{
 *   serial: number,
 *   owner: Owner,
 *   record: PairingRecord | null,
 *   browser: BrowserDesc,
 *   profile: string,
 *   onFrame: (conn: Conn, frame: unknown) => void,
 *   onDisconnect: (conn: Conn, message: string) => void,
 * }} ConnInit
 */

/**
 * A new connection in phase "hello", with its native link made but not opened.
 * @param {ConnInit} init
 * @returns {Conn}
 */
export function createConn({ serial, owner, record, browser, profile, onFrame, onDisconnect }) {
  /** @type {Conn} */
  const conn = {
    serial,
    owner,
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
    onDisconnect: (message) => onDisconnect(conn, message),
  });
  return conn;
}

/**
 * Send a plain (unsealed) message, checked against the schema first.
 * @param {Conn} conn
 * @param {string} kind
 * @param {Record<string, unknown>} body
 * @param {{id?: string, replyTo?: string | null}} [opts]
 * @throws {WebBridgeError} when `body` does not match the schema for `kind`
 */
export function sendPlain(conn, kind, body, opts) {
  validateMessage(kind, body, { sealed: false });
  conn.link.post(plainFrame(kind, body, opts));
}

/**
 * Close a connection we no longer want: fail its pending requests, end any pairing in progress, close the
 * port. Idempotent; reports no disconnect.
 * @param {Conn} conn
 * @param {WebBridgeError} reason
 */
export function closeConn(conn, reason) {
  if (conn.closed) return;
  conn.closed = true;
  clearTimeout(conn.helloTimer);
  conn.channel?.close(reason);
  conn.assembler.reset();
  if (conn.pairing && !conn.pairing.finished) {
    conn.pairing.abort(new WebBridgeError(Codes.PAIRING_FAILED, `the connection closed during pairing (${reason.message})`));
  }
  conn.link.close();
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
