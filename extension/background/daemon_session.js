/**
 * The authenticated session with the daemon, once the handshake has derived its keys: the channel over the
 * port, the router that answers the daemon's requests (with `key.rotate`, which needs the connection), and
 * what happens when a sealed frame fails §3 steps 1–5 (the session is dropped and handshaken afresh).
 */

import { encode as b64encode } from "../protocol/b64.js";
import { Channel } from "../protocol/channel.js";
import { Codes, WebBridgeError, asWebBridgeError, endsSession } from "../protocol/errors.js";
import { rotateSecret } from "../protocol/pairing.js";
import { Session } from "../protocol/session.js";
import { closeConn, sendPlain } from "./conn.js";
import { HINTS } from "./hints.js";
import { replaceSecret } from "./keystore.js";
import { countDropped } from "./live.js";
import { onDaemonEvent } from "./handlers/run_event.js";
import { createDaemonRouter } from "./router.js";
import { errorState, updateState } from "./state.js";

/**
 * @typedef {import("./conn.js").Conn} Conn
 * @typedef {import("../protocol/session.js").Message} Message
 * @typedef {import("../protocol/session.js").SessionKeys} SessionKeys
 * @typedef {import("../protocol/frames.js").SealedFrame} SealedFrame
 * @typedef {import("../protocol/channel.js").Reply} Reply
 */

/**
 * Put a session on the connection: its channel posts on the port and routes the daemon's requests.
 * @param {Conn} conn
 * @param {string} sid
 * @param {SessionKeys} keys
 * @returns {Channel}
 */
export function attachChannel(conn, sid, keys) {
  const session = new Session({ sid, keys, role: "extension" });
  const route = createDaemonRouter({ "key.rotate": (msg) => onKeyRotate(conn, msg) });
  conn.session = session;
  conn.channel = new Channel({
    session,
    post: (f) => {
      conn.link.post(f);
    },
    onRequest: route,
    onEvent: onDaemonEvent,
  });
  return conn.channel;
}

/**
 * Hand a sealed frame to the session. Without one yet it is dropped and counted; a frame that fails
 * verification ends the session.
 * @param {Conn} conn
 * @param {SealedFrame} frame
 */
export function receiveSealed(conn, frame) {
  if (!conn.channel) {
    countDropped(conn);
    return;
  }
  conn.channel.receive(frame).catch((err) => void onSessionFailure(conn, asWebBridgeError(err)));
}

/**
 * The open channel, for requests the extension itself makes (echo, ping).
 * @param {Conn | null} conn
 * @returns {Channel}
 * @throws {WebBridgeError} 4002 when no session is open
 */
export function openChannelOf(conn) {
  if (!conn || conn.closed || conn.phase !== "open" || !conn.channel) {
    throw new WebBridgeError(Codes.CHANNEL_CLOSED, "no open session with the daemon");
  }
  return conn.channel;
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
  conn.owner.retryLater();
}

/**
 * `key.rotate {pk}` (C8): answer with our fresh key, then replace the stored secret once the reply is out.
 * @param {Conn} conn
 * @param {Message} msg
 * @returns {Promise<Reply>}
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
