/**
 * Requests, replies and events over one session (PROTOCOL.md §5), mirroring
 * `host/webbridge/protocol/channel.py`.
 *
 * - Every outgoing request has an id and a deadline (default 30 s → 4001 `timeout`); at most `maxInFlight`
 *   are pending (else 4004 `busy`, at once). A reply of kind `error` rejects with a `RemoteError`.
 * - Every pending request fails with 4002 `channel_closed` when the channel closes (the port dropped, or the
 *   session ended); `close()` is idempotent.
 * - A reply whose `reply_to` names no pending request is dropped and counted (3007, no answer is sent).
 * - Incoming requests go to `onRequest`; its result is sealed as the reply, a thrown error as a sealed
 *   `error` reply. At most `maxInFlight` incoming requests run at once (else a `busy` error reply).
 * - A frame that fails §3 steps 1–5 ends the session: the channel closes and `receive()` rejects with that
 *   fatal error, for the owner to drop the connection. A step-6 failure is answered with a sealed `error`
 *   reply (or, for a malformed reply, fails the request it answers) and the channel goes on.
 *
 * Frames are received one at a time, in order: `receive()` queues behind the previous frame.
 */

import { Codes, fromWire, WebBridgeError, asWebBridgeError } from "./errors.js";
import { newId } from "./frames.js";
import { specOf } from "./messages.js";

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_IN_FLIGHT = 64;

/**
 * @typedef {import("./session.js").Session} Session
 * @typedef {import("./session.js").Message} Message
 * @typedef {import("./signing.js").SealedFrame} SealedFrame
 * @typedef {{kind: string, body: Record<string, unknown>, afterSend?: () => (void | Promise<void>)}} Reply
 *   what a request handler returns; `afterSend` runs once the reply has been posted
 * @typedef {{
 *   kind: string,
 *   expect: string | undefined,
 *   resolve: (m: Message) => void,
 *   reject: (e: Error) => void,
 *   timer: ReturnType<typeof setTimeout> | undefined,
 * }} Pending
 * @typedef {{
 *   session: Session,
 *   post: (frame: SealedFrame) => void,
 *   onRequest?: (msg: Message) => Promise<Reply>,
 *   onEvent?: (msg: Message) => void,
 *   onClose?: (err: WebBridgeError) => void,
 *   maxInFlight?: number,
 *   defaultTimeoutMs?: number,
 * }} ChannelOptions
 */

export class Channel {
  /** @param {ChannelOptions} opts */
  constructor(opts) {
    this.session = opts.session;
    this._post = opts.post;
    this._onRequest = opts.onRequest;
    this._onEvent = opts.onEvent;
    this._onClose = opts.onClose;
    this.maxInFlight = opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    /** @type {Map<string, Pending>} */
    this._pending = new Map();
    this._incoming = 0;
    /** @type {WebBridgeError | null} */
    this.closedBy = null;
    /** @type {Promise<unknown>} */
    this._recvTail = Promise.resolve();
    /** Counters for the debug hook and tests. */
    this.stats = { sent: 0, received: 0, unsolicited: 0, rejected: 0, timeouts: 0 };
  }

  get closed() {
    return this.closedBy !== null;
  }

  /** Number of our requests awaiting a reply. */
  get pendingCount() {
    return this._pending.size;
  }

  /**
   * Send a request and wait for its reply.
   * @param {string} kind
   * @param {Record<string, unknown>} body
   * @param {{timeoutMs?: number}} [opts]
   * @returns {Promise<Message>}  the reply message
   * @throws {WebBridgeError} 4001 timeout, 4002 channel closed, 4003 the peer's error, 4004 busy, or the
   *   sealing error (2001–2003, 1003)
   */
  async request(kind, body, opts = {}) {
    if (this.closedBy) throw this._closedError();
    if (this._pending.size >= this.maxInFlight) {
      throw new WebBridgeError(Codes.BUSY, `${this._pending.size} requests already in flight`);
    }
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    const id = newId();
    /** @type {Promise<Message>} */
    const done = new Promise((resolve, reject) => {
      this._pending.set(id, { kind, expect: specOf(kind)?.reply ?? undefined, resolve, reject, timer: undefined });
    });
    // The caller may only await `done` after the seal: keep an early rejection (close) from reading as unhandled.
    done.catch(() => undefined);
    try {
      await this.session.seal(kind, body, {
        id,
        post: (frame) => {
          const pending = this._pending.get(id);
          if (!pending || this.closedBy) return; // closed meanwhile: `done` already failed with 4002
          pending.timer = setTimeout(() => {
            if (this._pending.get(id) !== pending) return;
            this._pending.delete(id);
            this.stats.timeouts++;
            pending.reject(new WebBridgeError(Codes.TIMEOUT, `${kind} had no reply within ${timeoutMs} ms`));
          }, timeoutMs);
          this._send(frame);
        },
      });
    } catch (err) {
      const pending = this._pending.get(id);
      if (pending) {
        this._pending.delete(id);
        clearTimeout(pending.timer);
      }
      throw err;
    }
    return done;
  }

  /**
   * Send an event (no reply expected).
   * @param {string} kind
   * @param {Record<string, unknown>} body
   * @returns {Promise<void>}
   */
  async notify(kind, body) {
    if (this.closedBy) throw this._closedError();
    await this.session.seal(kind, body, { post: (frame) => this._sendOpen(frame) });
  }

  /**
   * Handle one sealed frame from the peer. Resolves when it has been dispatched (a request's handler runs
   * on after that); rejects only with a fatal session error, after closing the channel.
   * @param {unknown} frame
   * @returns {Promise<void>}
   */
  receive(frame) {
    const run = this._recvTail.then(() => this._receive(frame));
    this._recvTail = run.catch(() => undefined);
    return run;
  }

  /** @param {unknown} frame */
  async _receive(frame) {
    if (this.closedBy) return;
    /** @type {Message} */
    let msg;
    try {
      msg = await this.session.open(frame);
    } catch (err) {
      const e = asWebBridgeError(err);
      this.stats.rejected++;
      if (e.fatal) {
        this.close(e);
        throw e;
      }
      await this._answerInvalid(e);
      return;
    }
    this.stats.received++;
    if (msg.reply_to !== null) return this._settle(msg);
    const spec = specOf(msg.kind);
    if (spec?.role === "request") return this._serve(msg);
    if (spec?.role === "event") {
      this._onEvent?.(msg);
      return;
    }
    // A reply kind without reply_to.
    await this._replyError(msg.id, new WebBridgeError(Codes.INVALID_MESSAGE, `${msg.kind} must answer a request`));
  }

  /**
   * A frame that verified but failed step 6: fail the request it answers, or answer it with an error.
   * @param {WebBridgeError} err
   */
  async _answerInvalid(err) {
    const replyTo = /** @type {string | null} */ (err.detail.reply_to ?? null);
    const id = /** @type {string | null} */ (err.detail.id ?? null);
    if (replyTo !== null) {
      const pending = this._pending.get(replyTo);
      if (pending) {
        this._pending.delete(replyTo);
        clearTimeout(pending.timer);
        pending.reject(err);
      } else {
        this.stats.unsolicited++;
      }
      return;
    }
    if (id !== null) await this._replyError(id, err);
  }

  /** @param {Message} msg */
  _settle(msg) {
    const pending = this._pending.get(/** @type {string} */ (msg.reply_to));
    if (!pending) {
      // §3 step 7: a reply to no open request is dropped and counted, never answered (3007).
      this.stats.unsolicited++;
      return;
    }
    this._pending.delete(/** @type {string} */ (msg.reply_to));
    clearTimeout(pending.timer);
    if (msg.kind === "error") {
      pending.reject(fromWire(msg.body));
    } else if (pending.expect !== undefined && msg.kind !== pending.expect) {
      pending.reject(new WebBridgeError(Codes.INVALID_MESSAGE, `${pending.kind} answered with ${msg.kind}`));
    } else {
      pending.resolve(msg);
    }
  }

  /**
   * Run a request handler without blocking the receive queue; answer with its result or its error.
   * @param {Message} msg
   */
  _serve(msg) {
    if (this._incoming >= this.maxInFlight) {
      void this._replyError(msg.id, new WebBridgeError(Codes.BUSY, "too many requests in flight"));
      return;
    }
    if (!this._onRequest) {
      void this._replyError(msg.id, new WebBridgeError(Codes.UNKNOWN_KIND, `no handler for ${msg.kind}`));
      return;
    }
    this._incoming++;
    const handler = this._onRequest;
    void (async () => {
      try {
        /** @type {Reply} */
        let reply;
        try {
          reply = await handler(msg);
        } catch (err) {
          await this._replyError(msg.id, asWebBridgeError(err));
          return;
        }
        if (this.closedBy) return;
        let sent = false;
        try {
          await this.session.seal(reply.kind, reply.body, {
            replyTo: msg.id,
            post: (frame) => {
              sent = this._sendOpen(frame);
            },
          });
        } catch (err) {
          await this._replyError(msg.id, asWebBridgeError(err));
          return;
        }
        if (!sent) return;
        await reply.afterSend?.();
      } catch (err) {
        console.error("webbridge: request handler failed after replying", err);
      } finally {
        this._incoming--;
      }
    })();
  }

  /**
   * @param {string} replyTo
   * @param {WebBridgeError} err
   */
  async _replyError(replyTo, err) {
    if (this.closedBy) return;
    try {
      await this.session.seal("error", err.toWire(), { replyTo, post: (frame) => this._sendOpen(frame) });
    } catch (sealErr) {
      console.error("webbridge: could not send an error reply", sealErr);
    }
  }

  /**
   * Post unless the channel closed meanwhile.
   * @param {SealedFrame} frame
   * @returns {boolean} whether it was posted
   */
  _sendOpen(frame) {
    if (this.closedBy) return false;
    this._send(frame);
    return true;
  }

  /** @param {SealedFrame} frame */
  _send(frame) {
    this.stats.sent++;
    this._post(frame);
  }

  _closedError() {
    return new WebBridgeError(Codes.CHANNEL_CLOSED, `channel closed: ${this.closedBy?.message ?? "closed"}`);
  }

  /**
   * Close the channel: every pending request fails with 4002 `channel_closed`. Idempotent.
   * @param {WebBridgeError} [reason]
   */
  close(reason) {
    if (this.closedBy) return;
    this.closedBy = reason ?? new WebBridgeError(Codes.CHANNEL_CLOSED, "closed");
    const failure = this._closedError();
    for (const pending of this._pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(failure);
    }
    this._pending.clear();
    this._onClose?.(this.closedBy);
  }
}
