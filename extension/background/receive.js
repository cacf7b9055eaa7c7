/**
 * Frames from the daemon, as the port delivers them: reassemble chunks, hand sealed frames to the session,
 * check plain frames against the schema and dispatch them by kind to the handshake or the pairing.
 *
 * An unusable frame is dropped and counted, never fatal here: a lost sealed frame shows up as a sequence gap
 * on the next one, which ends the session (`daemon_session.js`).
 */

import { Codes, WebBridgeError } from "../protocol/errors.js";
import { classifyFrame } from "../protocol/frames.js";
import { parseStrictBytes } from "../protocol/jsonstrict.js";
import { validateMessage } from "../protocol/messages.js";
import { receiveSealed } from "./daemon_session.js";
import { onHelloOk } from "./handshake.js";
import { HINTS } from "./hints.js";
import { countDropped } from "./live.js";
import { onPairCancel, onPairDone, onPairError, onPairKey, refusesPairing } from "./pairing.js";
import { setLastError } from "./state.js";

/**
 * @typedef {import("./conn.js").Conn} Conn
 * @typedef {import("../protocol/frames.js").PlainFrame} PlainFrame
 * @typedef {import("../protocol/errors.js").WireError} WireError
 */

/**
 * The port's `onMessage`, for one connection.
 * @param {Conn} conn
 * @param {unknown} raw  a frame as parsed by the browser
 */
export function onFrame(conn, raw) {
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
    // An unusable frame from the transport: drop it, count it, and go on.
    countDropped(conn);
    console.warn("webbridge: dropped a frame:", String(err));
    return;
  }
  if (c.type === "sealed") {
    receiveSealed(conn, c.frame);
    return;
  }
  void onPlain(conn, c.frame).catch((err) => console.error("webbridge: handling a plain frame failed", err));
}

/**
 * @param {Conn} conn
 * @param {PlainFrame} frame
 */
async function onPlain(conn, frame) {
  try {
    validateMessage(frame.kind, frame.body, { sealed: false });
  } catch (err) {
    countDropped(conn);
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
      conn.dropped++; // a kind we never expect in plain: counted on the connection only
  }
}

/**
 * A plain `error`: it refuses our pairing, or it explains why the daemon is about to close the connection.
 * @param {Conn} conn
 * @param {PlainFrame} frame
 */
async function onPlainError(conn, frame) {
  if (refusesPairing(conn, frame)) {
    await onPairError(conn, frame);
    return;
  }
  const body = /** @type {WireError} */ (/** @type {unknown} */ (frame.body));
  // The daemon ends a failed session (or refuses a hello) with a plain error and closes; the disconnect
  // follows, and this error explains it.
  conn.explained = true;
  const sessionEnded = body.code >= 3001 && body.code <= 3005;
  await setLastError(body, sessionEnded ? HINTS.session : body.code === Codes.UNSUPPORTED_PROTOCOL ? HINTS.protocol : "");
}
