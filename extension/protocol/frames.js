/**
 * Frame shapes (PROTOCOL.md §2): which type a frame is follows from its keys, and any other shape is
 * refused with 2002. The browser does the length framing of native messaging for us; chunked frames are
 * reassembled by `chunks.js` and parsed by `jsonstrict.js` before they come here.
 */

import { encode as b64encode } from "./b64.js";
import { Codes, WebBridgeError } from "./errors.js";
import { isPlainObject } from "./messages.js";
import { randomBytes } from "./signing.js";

/** Message and chunk ids: 1–64 characters of `[A-Za-z0-9_-]`. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Session ids: 22 base64url characters (16 bytes). */
export const SID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/**
 * @typedef {{v: 1, id: string, reply_to: string | null, kind: string, body: Record<string, unknown>}} PlainFrame
 * @typedef {import("./signing.js").SealedFrame} SealedFrame
 * @typedef {{v: 1, chunk: {id: string, i: number, n: number}, data: string}} ChunkFrame
 * @typedef {{type: "plain", frame: PlainFrame} | {type: "sealed", frame: SealedFrame} | {type: "chunk", frame: ChunkFrame}}
 *   ClassifiedFrame
 */

/**
 * A fresh message id: 16 random bytes, base64url (22 characters).
 * @returns {string}
 */
export function newId() {
  return b64encode(randomBytes(16));
}

/**
 * @param {unknown} value
 * @returns {value is string}
 */
export function isId(value) {
  return typeof value === "string" && ID_PATTERN.test(value);
}

/**
 * @param {Record<string, unknown>} obj
 * @param {string[]} keys
 * @returns {boolean}
 */
function hasExactly(obj, keys) {
  const own = Object.keys(obj);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(obj, k));
}

/**
 * Decide the type of a received frame from its keys and check the envelope fields (not the message).
 * For a sealed frame only the outer shape is checked here: `mac` and `p` are the session's business
 * (§3 step 1, error 3001).
 * @param {unknown} frame
 * @returns {ClassifiedFrame}
 * @throws {WebBridgeError} 2002 for any other shape, 2004 for a version other than 1
 */
export function classifyFrame(frame) {
  if (!isPlainObject(frame)) throw new WebBridgeError(Codes.INVALID_MESSAGE, "a frame must be a JSON object");
  if (Object.hasOwn(frame, "sid")) {
    // Everything else about a sealed frame (its exact keys, mac, p) is the session's to check, in the order
    // of PROTOCOL.md §3, so that a malformed one ends the session like any other forgery.
    return { type: "sealed", frame: /** @type {SealedFrame} */ (/** @type {unknown} */ (frame)) };
  }
  if (frame.v !== 1) {
    if (Object.hasOwn(frame, "v")) throw new WebBridgeError(Codes.UNSUPPORTED_PROTOCOL, "frame version is not 1");
    throw new WebBridgeError(Codes.INVALID_MESSAGE, "frame without a version");
  }
  if (Object.hasOwn(frame, "chunk")) {
    // Its shape is the assembler's to check (1010 bad_chunk).
    return { type: "chunk", frame: /** @type {ChunkFrame} */ (/** @type {unknown} */ (frame)) };
  }
  if (
    hasExactly(frame, ["v", "id", "reply_to", "kind", "body"]) &&
    isId(frame.id) &&
    (frame.reply_to === null || isId(frame.reply_to)) &&
    typeof frame.kind === "string" &&
    isPlainObject(frame.body)
  ) {
    return { type: "plain", frame: /** @type {PlainFrame} */ (/** @type {unknown} */ (frame)) };
  }
  throw new WebBridgeError(Codes.INVALID_MESSAGE, "unrecognised frame shape");
}

/**
 * Build a plain frame (handshake and pairing kinds only).
 * @param {string} kind
 * @param {Record<string, unknown>} body
 * @param {{id?: string, replyTo?: string | null}} [opts]
 * @returns {PlainFrame}
 */
export function plainFrame(kind, body, opts = {}) {
  return { v: 1, id: opts.id ?? newId(), reply_to: opts.replyTo ?? null, kind, body };
}
