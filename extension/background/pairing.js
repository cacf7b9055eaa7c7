/**
 * Pairing (PROTOCOL.md §4), on a connection whose `hello.ok` said "not paired": `pair.begin` → `pair.key` →
 * `pair.reveal`, the code is shown, the user clicks "Codes match" → `pair.confirm`, the user also confirms in
 * `webbridge pair` → `pair.done`, whose MAC we verify before storing the key; then the connection's owner
 * reconnects and the handshake uses the new key.
 *
 * Only the user starts a pairing. An attempt ends at the latest after `PAIRING_TTL_MS`; the daemon must
 * answer `pair.begin` within `PAIR_KEY_TIMEOUT_MS`. A failed attempt is reported in the popup's state
 * (`pairing.phase` "failed" and the error) and, where the daemon may still be waiting, with `pair.cancel`.
 */

import { encode as b64encode } from "../protocol/b64.js";
import { Codes, WebBridgeError, asWebBridgeError } from "../protocol/errors.js";
import { newId } from "../protocol/frames.js";
import { beginPairing, completePairing, PAIRING_TTL_MS, verifyDone } from "../protocol/pairing.js";
import { bridgeLabel, sendPlain } from "./conn.js";
import { HINTS } from "./hints.js";
import { savePairing } from "./keystore.js";
import { IDLE_PAIRING, clearLastError, errorState, readState, updateState } from "./state.js";

/**
 * @typedef {import("./conn.js").Conn} Conn
 * @typedef {import("../protocol/frames.js").PlainFrame} PlainFrame
 * @typedef {import("../protocol/errors.js").WireError} WireError
 * @typedef {import("../protocol/pairing.js").PairingStart} PairingStart
 * @typedef {import("../protocol/pairing.js").PairingSecrets} PairingSecrets
 * @typedef {{pair_id: string, sas: string}} ShownCode
 * @typedef {{
 *   beginId: string,
 *   confirmId: string | null,
 *   start: PairingStart,
 *   pairId: string | null,
 *   secrets: PairingSecrets | null,
 *   finished: boolean,
 *   timer: ReturnType<typeof setTimeout>,
 *   ready: {resolve: (v: ShownCode) => void, reject: (e: Error) => void},
 *   abort: (err: WebBridgeError) => void,
 * }} PairingAttempt  `abort`: fail the attempt (the connection closed under it)
 */

/** The daemon must answer `pair.begin` with `pair.key` within this long. */
export const PAIR_KEY_TIMEOUT_MS = 30_000;

/**
 * Start pairing (the user clicked "Pair this browser"). Resolves once the code is on screen.
 * @param {Conn | null} conn  the open connection, if any
 * @returns {Promise<ShownCode>}
 * @throws {WebBridgeError} 2003 when not connected to the daemon or already paired and connected
 */
export async function startPairing(conn) {
  if (!conn || conn.closed || conn.phase === "hello") {
    throw new WebBridgeError(Codes.UNEXPECTED_KIND, "not connected to the daemon yet: wait for “Not paired”, then pair");
  }
  if (conn.phase !== "unpaired") {
    throw new WebBridgeError(Codes.UNEXPECTED_KIND, "this browser is already paired and connected");
  }
  if (conn.pairing && !conn.pairing.finished) {
    throw new WebBridgeError(Codes.UNEXPECTED_KIND, "a pairing is already in progress");
  }
  const start = await beginPairing();
  /** @type {PairingAttempt["ready"]} */
  let ready = /** @type {any} */ (null);
  /** @type {Promise<ShownCode>} */
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
    abort: (err) => void failPairing(conn, err),
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
 * `pair.key`: complete the key exchange, reveal our key and show the code.
 * @param {Conn} conn
 * @param {PlainFrame} frame
 */
export async function onPairKey(conn, frame) {
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
 * The user confirmed that both codes match. Idempotent once sent.
 * @param {Conn | null} conn  the open connection, if any
 * @returns {Promise<{pair_id: string}>}
 * @throws {WebBridgeError} 2003 when no code is shown
 */
export async function confirmPairing(conn) {
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
 * `pair.done`: verify the daemon's MAC, store the key, and reconnect to handshake with it.
 * @param {Conn} conn
 * @param {PlainFrame} frame
 */
export async function onPairDone(conn, frame) {
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
  await conn.owner.reconnect();
}

/**
 * `pair.cancel` from the daemon (the user refused in `webbridge pair`, or it gave up).
 * @param {Conn} conn
 * @param {PlainFrame} frame
 */
export async function onPairCancel(conn, frame) {
  const attempt = conn.pairing;
  if (!attempt || attempt.finished) return;
  const body = /** @type {{pair_id: string | null, reason: string}} */ (/** @type {unknown} */ (frame.body));
  if (body.pair_id !== null && body.pair_id !== attempt.pairId) return;
  await failPairing(conn, new WebBridgeError(Codes.PAIRING_FAILED, `the daemon cancelled the pairing: ${body.reason}`));
}

/**
 * Whether a plain `error` answers our `pair.begin` or `pair.confirm` (then `onPairError` handles it).
 * @param {Conn} conn
 * @param {PlainFrame} frame
 * @returns {boolean}
 */
export function refusesPairing(conn, frame) {
  const attempt = conn.pairing;
  return !!attempt && !attempt.finished && (frame.reply_to === attempt.beginId || frame.reply_to === attempt.confirmId);
}

/**
 * The daemon refused the pairing with a plain `error` (see `refusesPairing`): the attempt fails.
 * @param {Conn} conn
 * @param {PlainFrame} frame
 */
export async function onPairError(conn, frame) {
  const body = /** @type {WireError} */ (/** @type {unknown} */ (frame.body));
  await failPairing(conn, new WebBridgeError(Codes.PAIRING_FAILED, `the daemon refused the pairing: [${body.code} ${body.name}] ${body.message}`));
}

/**
 * The user cancelled. Always succeeds: without an attempt in progress it only resets the popup's state.
 * @param {Conn | null} conn  the open connection, if any
 * @returns {Promise<void>}
 */
export async function cancelPairing(conn) {
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
 * End the attempt in progress (if any) with `err`. Idempotent.
 * @param {Conn} conn
 * @param {WebBridgeError} err
 * @param {{tellDaemon?: boolean}} [opts]  also send `pair.cancel` (the daemon may still be waiting)
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
