/**
 * One authenticated session (PROTOCOL.md §3): sealing outgoing messages and opening incoming sealed frames.
 * Mirrors `host/webbridge/protocol/session.py`; the role decides which key signs and which verifies
 * (`k_e2d` signs extension → daemon, `k_d2e` daemon → extension, so a reflected frame never verifies).
 *
 * `open()` applies, in this order:
 *  1. `mac` and `p` are strings, `mac` exactly 43 base64url characters (else 3001);
 *  2. the MAC verifies, in constant time, over the UTF-8 bytes of `p`, before `p` is parsed (else 3002);
 *  3. the outer frame is exactly `{v:1, sid, mac, p}`; `p` parses strictly into exactly
 *     `{v, sid, seq, ts, id, reply_to, kind, body}` with the right types; `v == 1`; both `sid`s are this
 *     session's (else 3005, also when `p` is not strict JSON);
 *  4. `seq == last + 1` for this direction, the first being 1 (else 3003);
 *  5. `|ts − now| ≤ 120 000 ms` (else 3004);
 *  6. `kind` and `body` validate (2001 / 2002 / 2003).
 * Failures in 1–5 carry `fatal: true`: the session is over and the connection must be dropped. Failures in 6
 * are not fatal; the error's `detail` names the frame (`id`, `reply_to`, `kind`) so that the caller can answer
 * with a sealed `error` reply.
 *
 * Both `seal()` and `open()` are serialised internally: concurrent calls complete in call order, so frames
 * are posted in sequence order and checked in arrival order.
 */

import { Codes, WebBridgeError } from "./errors.js";
import { isId, newId, SID_PATTERN } from "./frames.js";
import { parseStrict } from "./jsonstrict.js";
import { isPlainObject, validateMessage } from "./messages.js";
import { sign, utf8, utf8View, verify } from "./signing.js";

/** Allowed distance between a frame's timestamp and our clock. */
export const MAX_SKEW_MS = 120_000;
/** The relay's cap on browser → host frames (PROTOCOL.md §1), less a margin for the browser's own JSON writer. */
export const MAX_OUTGOING_FRAME = 33_554_432 - 65_536;

const MAC_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * @typedef {import("./messages.js").Role} Role
 * @typedef {import("./signing.js").SessionKeys} SessionKeys
 * @typedef {import("./signing.js").SealedFrame} SealedFrame
 * @typedef {{
 *   id: string,
 *   reply_to: string | null,
 *   kind: string,
 *   body: Record<string, unknown>,
 *   seq: number,
 *   ts: number,
 * }} Message  an opened (verified, parsed, validated) message
 * @typedef {{
 *   sid: string,
 *   keys: SessionKeys,
 *   role?: Role,
 *   now?: () => number,
 *   validate?: boolean,
 * }} SessionOptions
 * @typedef {{id?: string, replyTo?: string | null, post?: (frame: SealedFrame) => void}} SealOptions
 */

/**
 * @param {number} code
 * @param {string} message
 * @returns {WebBridgeError}
 */
function fatal(code, message) {
  const err = new WebBridgeError(code, message);
  err.fatal = true;
  return err;
}

export class Session {
  /**
   * @param {SessionOptions} opts  `role` defaults to "extension"; `now` (ms since the epoch) to `Date.now`;
   *   `validate: false` skips the message checks on both seal and step 6 (only for tests: it lets a test
   *   forge the invalid messages a faulty peer would send)
   */
  constructor(opts) {
    if (!SID_PATTERN.test(opts.sid)) throw new WebBridgeError(Codes.BAD_SESSION, "session id must be 22 base64url characters");
    /** @readonly */
    this.sid = opts.sid;
    /** @readonly @type {Role} */
    this.role = opts.role ?? "extension";
    const ours = this.role === "extension";
    /** @type {CryptoKey} */
    this._sendKey = ours ? opts.keys.e2d : opts.keys.d2e;
    /** @type {CryptoKey} */
    this._recvKey = ours ? opts.keys.d2e : opts.keys.e2d;
    this._now = opts.now ?? Date.now;
    this._validate = opts.validate ?? true;
    /** Last sequence number sent. */
    this.sendSeq = 0;
    /** Last sequence number accepted from the peer. */
    this.recvSeq = 0;
    /** Set once a step 1–5 failure ended the session; every later call fails with the same error. */
    /** @type {WebBridgeError | null} */
    this.failure = null;
    /** @type {Promise<unknown>} */
    this._sealTail = Promise.resolve();
    /** @type {Promise<unknown>} */
    this._openTail = Promise.resolve();
  }

  /**
   * Seal a message. The message is validated as one we may send; a frame too large for the relay is refused
   * before it takes a sequence number.
   * @param {string} kind
   * @param {Record<string, unknown>} body
   * @param {SealOptions} [opts]  `post`, when given, is called with the frame inside the serialised section,
   *   so that frames reach the wire in sequence order whatever the callers do meanwhile
   * @returns {Promise<{frame: SealedFrame, id: string, seq: number}>}
   * @throws {WebBridgeError} 2001–2003 for a message we may not send, 1003 when too large, or the session's
   *   failure once it has ended
   */
  seal(kind, body, opts = {}) {
    const run = this._sealTail.then(() => this._seal(kind, body, opts));
    this._sealTail = run.catch(() => undefined);
    return run;
  }

  /**
   * @param {string} kind
   * @param {Record<string, unknown>} body
   * @param {SealOptions} opts
   * @returns {Promise<{frame: SealedFrame, id: string, seq: number}>}
   */
  async _seal(kind, body, opts) {
    if (this.failure) throw this.failure;
    if (this._validate) validateMessage(kind, body, { sealed: true });
    const id = opts.id ?? newId();
    const replyTo = opts.replyTo ?? null;
    if (!isId(id) || (replyTo !== null && !isId(replyTo))) {
      throw new WebBridgeError(Codes.INVALID_MESSAGE, "message ids must be 1–64 characters of [A-Za-z0-9_-]");
    }
    const seq = this.sendSeq + 1;
    const p = JSON.stringify({ v: 1, sid: this.sid, seq, ts: Math.round(this._now()), id, reply_to: replyTo, kind, body });
    // The shared buffer of utf8View: measured here and copied by sign() below, with no await in between.
    const bytes = utf8View(p);
    if (bytes.length * 2 + 512 > MAX_OUTGOING_FRAME) {
      // Only large frames pay for measuring the exact serialised size (p travels escaped inside a string).
      // utf8() makes its own array: `bytes` stays intact.
      const outer = utf8(JSON.stringify({ v: 1, sid: this.sid, mac: "A".repeat(43), p })).length;
      if (outer > MAX_OUTGOING_FRAME) {
        throw new WebBridgeError(Codes.FRAME_TOO_LARGE, `frame of ${outer} bytes exceeds ${MAX_OUTGOING_FRAME}`);
      }
    }
    this.sendSeq = seq;
    const mac = await sign(this._sendKey, bytes);
    const frame = /** @type {SealedFrame} */ ({ v: 1, sid: this.sid, mac, p });
    opts.post?.(frame);
    return { frame, id, seq };
  }

  /**
   * Open a sealed frame received from the peer (steps 1–6 above).
   * @param {unknown} frame  the sealed frame object as received
   * @returns {Promise<Message>}
   * @throws {WebBridgeError} `fatal` for steps 1–5 (the session is then over), non-fatal for step 6
   */
  open(frame) {
    const run = this._openTail.then(() => this._open(frame));
    this._openTail = run.catch(() => undefined);
    return run;
  }

  /**
   * @param {unknown} frame
   * @returns {Promise<Message>}
   */
  async _open(frame) {
    if (this.failure) throw this.failure;
    try {
      return await this._openSteps(frame);
    } catch (err) {
      if (err instanceof WebBridgeError && err.fatal) this.failure = err;
      throw err;
    }
  }

  /**
   * @param {unknown} frame
   * @returns {Promise<Message>}
   */
  async _openSteps(frame) {
    const f = isPlainObject(frame) ? frame : {};
    // 1. well-formed MAC and signed part
    if (typeof f.mac !== "string" || typeof f.p !== "string" || !MAC_PATTERN.test(f.mac)) {
      throw fatal(Codes.MISSING_MAC, "sealed frame without a well-formed mac and p");
    }
    const p = f.p;
    // 2. MAC over the exact bytes, before parsing
    if (!(await verify(this._recvKey, p, f.mac))) throw fatal(Codes.BAD_MAC, "MAC does not verify");
    // 3. the envelope: outer keys, strict parse, exact signed-part shape, version, session id
    const outerKeys = Object.keys(f);
    if (outerKeys.length !== 4 || !OUTER_KEYS.every((k) => Object.hasOwn(f, k)) || f.v !== 1) {
      throw fatal(Codes.BAD_SESSION, "sealed frame must be exactly {v:1, sid, mac, p}");
    }
    if (f.sid !== this.sid) throw fatal(Codes.BAD_SESSION, "frame is for another session");
    /** @type {Record<string, unknown>} */
    let env;
    try {
      env = parseStrict(p);
    } catch (err) {
      throw fatal(Codes.BAD_SESSION, `signed part is not strict JSON: ${err instanceof Error ? err.message : err}`);
    }
    const keys = Object.keys(env);
    if (keys.length !== SIGNED_KEYS.length || !SIGNED_KEYS.every((k) => Object.hasOwn(env, k))) {
      throw fatal(Codes.BAD_SESSION, "signed part must have exactly v, sid, seq, ts, id, reply_to, kind, body");
    }
    if (env.v !== 1) throw fatal(Codes.BAD_SESSION, "signed part has v != 1");
    if (env.sid !== this.sid) throw fatal(Codes.BAD_SESSION, "signed part is for another session");
    const { seq, ts, id, reply_to: replyTo, kind, body } = env;
    if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(ts) || !isId(id) || typeof kind !== "string") {
      throw fatal(Codes.BAD_SESSION, "signed part has a malformed seq, ts, id or kind");
    }
    if (!(replyTo === null || isId(replyTo)) || !isPlainObject(body)) {
      throw fatal(Codes.BAD_SESSION, "signed part has a malformed reply_to or body");
    }
    // 4. exactly the next sequence number
    if (seq !== this.recvSeq + 1) throw fatal(Codes.BAD_SEQUENCE, `expected seq ${this.recvSeq + 1}, got ${seq}`);
    // 5. the clock window
    const skew = /** @type {number} */ (ts) - this._now();
    if (Math.abs(skew) > MAX_SKEW_MS) {
      throw fatal(Codes.CLOCK_SKEW, `timestamp ${skew} ms from our clock (at most ±${MAX_SKEW_MS})`);
    }
    this.recvSeq = /** @type {number} */ (seq);
    // 6. the message itself; the session survives these, and the error names the frame for the reply
    if (this._validate) {
      try {
        validateMessage(kind, body, { sealed: true });
      } catch (err) {
        if (err instanceof WebBridgeError) Object.assign(err.detail, { id, reply_to: replyTo, kind: kind.slice(0, 64) });
        throw err;
      }
    }
    return {
      id: /** @type {string} */ (id),
      reply_to: /** @type {string | null} */ (replyTo),
      kind,
      body: /** @type {Record<string, unknown>} */ (body),
      seq: /** @type {number} */ (seq),
      ts: /** @type {number} */ (ts),
    };
  }
}

const SIGNED_KEYS = ["v", "sid", "seq", "ts", "id", "reply_to", "kind", "body"];
const OUTER_KEYS = ["v", "sid", "mac", "p"];
