/**
 * Reassembly of chunked daemon → browser frames (PROTOCOL.md §6).
 *
 * The daemon cuts a frame's UTF-8 bytes into pieces of at most 700 000 bytes and sends
 * `{"v":1,"chunk":{"id":CID,"i":I,"n":N},"data":base64url(piece)}` with `I = 0 … N−1` in order. A chunk out of
 * order, for an unknown stream, with an inconsistent `n`, undecodable data, beyond 4 open streams or beyond
 * 64 MiB held in total drops its stream with 1010 `bad_chunk`; the other streams go on.
 * The reassembled bytes are handed back whole; the caller parses them strictly (`parseStrictBytes`) and
 * handles the result as one frame, whose MAC then covers the whole.
 */

import { decode as b64decode } from "./b64.js";
import { Codes, WebBridgeError } from "./errors.js";
import { isPlainObject } from "./messages.js";

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const MAX_STREAMS = 4;
export const MAX_REASSEMBLED_BYTES = 64 * 1024 * 1024;
export const MAX_PIECE_BYTES = 700_000;

/**
 * @typedef {import("./frames.js").ChunkFrame} ChunkFrame
 * @typedef {{n: number, next: number, pieces: Uint8Array[], bytes: number}} Stream
 */

export class ChunkAssembler {
  /**
   * @param {{maxStreams?: number, maxBytes?: number, maxPiece?: number}} [limits]
   */
  constructor(limits = {}) {
    this.maxStreams = limits.maxStreams ?? MAX_STREAMS;
    this.maxBytes = limits.maxBytes ?? MAX_REASSEMBLED_BYTES;
    this.maxPiece = limits.maxPiece ?? MAX_PIECE_BYTES;
    /** @type {Map<string, Stream>} */
    this._streams = new Map();
    /** Bytes held across all open streams. */
    this.heldBytes = 0;
    /** Streams dropped with `bad_chunk` so far. */
    this.dropped = 0;
  }

  /** Number of streams still being reassembled. */
  get openStreams() {
    return this._streams.size;
  }

  /**
   * Take one chunk frame.
   * @param {unknown} frame  a frame with a `chunk` key, as received
   * @returns {Uint8Array | null}  the whole frame's bytes once its last chunk arrived, else null
   * @throws {WebBridgeError} 1010, after dropping the stream concerned (a malformed frame drops nothing:
   *   it names no stream we can trust)
   */
  push(frame) {
    const f = /** @type {ChunkFrame} */ (checkShape(frame));
    const { id, i, n } = f.chunk;
    if (n < 1 || i < 0 || i >= n) this._fail(id, `chunk index ${i} of ${n} is out of range`);
    let stream = this._streams.get(id);
    if (i === 0) {
      if (stream) this._fail(id, `stream ${id} restarted while open`);
      if (this._streams.size >= this.maxStreams) {
        this.dropped++;
        throw new WebBridgeError(Codes.BAD_CHUNK, `more than ${this.maxStreams} chunk streams open`, { stream: id });
      }
      stream = { n, next: 0, pieces: [], bytes: 0 };
      this._streams.set(id, stream);
    } else if (!stream) {
      this.dropped++;
      throw new WebBridgeError(Codes.BAD_CHUNK, `chunk ${i} for unknown stream ${id}`, { stream: id });
    }
    if (stream.n !== n) this._fail(id, `stream ${id} changed its chunk count`);
    if (stream.next !== i) this._fail(id, `stream ${id}: expected chunk ${stream.next}, got ${i}`);
    let piece;
    try {
      piece = b64decode(f.data);
    } catch {
      return this._fail(id, `stream ${id}: chunk data is not base64url`);
    }
    if (piece.length === 0 || piece.length > this.maxPiece) this._fail(id, `stream ${id}: piece of ${piece.length} bytes`);
    if (this.heldBytes + piece.length > this.maxBytes) this._fail(id, `reassembly above ${this.maxBytes} bytes`);
    stream.pieces.push(piece);
    stream.bytes += piece.length;
    this.heldBytes += piece.length;
    stream.next++;
    if (stream.next < stream.n) return null;
    this._drop(id);
    if (stream.pieces.length === 1) return stream.pieces[0];
    const out = new Uint8Array(stream.bytes);
    let o = 0;
    for (const p of stream.pieces) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** Forget every open stream (the connection dropped). */
  reset() {
    this._streams.clear();
    this.heldBytes = 0;
  }

  /** @param {string} id */
  _drop(id) {
    const s = this._streams.get(id);
    if (!s) return;
    this.heldBytes -= s.bytes;
    this._streams.delete(id);
  }

  /**
   * @param {string} id
   * @param {string} message
   * @returns {never}
   */
  _fail(id, message) {
    this._drop(id);
    this.dropped++;
    throw new WebBridgeError(Codes.BAD_CHUNK, message, { stream: id });
  }
}

/**
 * @param {unknown} frame
 * @returns {ChunkFrame}
 * @throws {WebBridgeError} 1010 unless exactly `{v:1, chunk:{id, i, n}, data}` with the right types
 */
function checkShape(frame) {
  const ok =
    isPlainObject(frame) &&
    exactKeys(frame, ["v", "chunk", "data"]) &&
    frame.v === 1 &&
    typeof frame.data === "string" &&
    isPlainObject(frame.chunk) &&
    exactKeys(frame.chunk, ["id", "i", "n"]) &&
    typeof frame.chunk.id === "string" &&
    ID_PATTERN.test(frame.chunk.id) &&
    Number.isSafeInteger(frame.chunk.i) &&
    Number.isSafeInteger(frame.chunk.n);
  if (!ok) throw new WebBridgeError(Codes.BAD_CHUNK, "malformed chunk frame");
  return /** @type {ChunkFrame} */ (/** @type {unknown} */ (frame));
}

/**
 * @param {Record<string, unknown>} obj
 * @param {string[]} keys
 * @returns {boolean}
 */
function exactKeys(obj, keys) {
  const own = Object.keys(obj);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(obj, k));
}
