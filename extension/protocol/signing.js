/**
 * Session keys and envelope MACs (PROTOCOL.md §3), on WebCrypto only.
 *
 * ```
 * salt  = nonce_e ‖ nonce_d
 * k_e2d = HKDF-SHA256(IKM = S, salt, info = "wb1 session " + SID + " e2d", L = 32)
 * k_d2e = HKDF-SHA256(IKM = S, salt, info = "wb1 session " + SID + " d2e", L = 32)
 * MAC   = base64url_nopad(HMAC-SHA256(key, utf8(P)))
 * ```
 *
 * `S` is always a non-extractable HKDF `CryptoKey`; the derived HMAC keys are non-extractable too. The MAC is
 * checked with `crypto.subtle.verify` (constant time) over the exact bytes of `P`, before anything parses it.
 */

import { decode as b64decode, encode as b64encode } from "./b64.js";

const enc = new TextEncoder();

/** Length of a MAC on the wire: 32 bytes in unpadded base64url. */
export const MAC_LENGTH = 43;
/** Nonce length in bytes (hello and hello.ok). */
export const NONCE_BYTES = 32;

/** @typedef {{e2d: CryptoKey, d2e: CryptoKey}} SessionKeys */

/** @returns {SubtleCrypto} */
function subtle() {
  return globalThis.crypto.subtle;
}

/**
 * UTF-8 of `text`, in a new array of exactly its length. `encodeInto` an array sized for one byte per UTF-16
 * unit (grown once when the text is not ASCII) is several times faster than `TextEncoder.encode` on
 * megabytes of text in Chromium.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function utf8(text) {
  return encodeInto(text, new Uint8Array(text.length));
}

/** The buffer `utf8View` reuses; a larger one is allocated for a single call and not kept. */
const SCRATCH_MAX = 16 * 1024 * 1024;
let scratch = new Uint8Array(0);

/**
 * UTF-8 of `text` in a buffer shared by every call: the view is valid only until the next call, so it must go
 * straight, with no `await` in between, to an API that copies its input synchronously — as WebCrypto's
 * `sign`, `verify` and `digest` do before they return their promise ("get a copy of the bytes held by the
 * data parameter"). Sealing and opening use it for the bytes they MAC: no fresh multi-megabyte array to
 * allocate and fault in per frame.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function utf8View(text) {
  if (text.length > SCRATCH_MAX) return utf8(text);
  if (scratch.length < text.length) {
    scratch = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(text.length, 2 * scratch.length)));
  }
  const view = encodeInto(text, scratch);
  // Grown for non-ASCII text: keep the larger buffer for next time.
  if (view.buffer !== scratch.buffer && view.buffer.byteLength <= SCRATCH_MAX) {
    scratch = new Uint8Array(/** @type {ArrayBuffer} */ (view.buffer));
  }
  return view;
}

/**
 * Encode `text` into `buf`, or into a larger array when it does not fit (never more than 3 bytes per
 * UTF-16 unit left: a surrogate pair is 2 units for 4 bytes).
 * @param {string} text
 * @param {Uint8Array} buf
 * @returns {Uint8Array}  a view of exactly the encoded bytes
 */
function encodeInto(text, buf) {
  const first = enc.encodeInto(text, buf);
  if (first.read === text.length) return buf.subarray(0, first.written);
  // encodeInto stops at a code point boundary, so the rest encodes on its own.
  const grown = new Uint8Array(first.written + (text.length - first.read) * 3);
  grown.set(buf.subarray(0, first.written));
  const rest = enc.encodeInto(text.slice(first.read), grown.subarray(first.written));
  return grown.subarray(0, first.written + rest.written);
}

/**
 * @param {...Uint8Array} parts
 * @returns {Uint8Array}
 */
export function concatBytes(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * @param {number} n
 * @returns {Uint8Array}
 */
export function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/**
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array>}
 */
export async function sha256(data) {
  return new Uint8Array(await subtle().digest("SHA-256", /** @type {BufferSource} */ (data)));
}

/**
 * Import raw secret bytes as a non-extractable HKDF key (the long-term `S`, or an ECDH output `Z`).
 * @param {Uint8Array} raw
 * @returns {Promise<CryptoKey>}
 */
export async function importHkdfKey(raw) {
  return subtle().importKey("raw", /** @type {BufferSource} */ (raw), "HKDF", false, ["deriveBits", "deriveKey"]);
}

/**
 * HKDF-SHA256 output bytes. Only tests and key derivation call it; callers zero the result when done.
 * @param {CryptoKey} ikm  an HKDF key
 * @param {Uint8Array} salt
 * @param {string | Uint8Array} info
 * @param {number} length  in bytes
 * @returns {Promise<Uint8Array>}
 */
export async function hkdf(ikm, salt, info, length) {
  const bits = await subtle().deriveBits(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: /** @type {BufferSource} */ (salt),
      info: /** @type {BufferSource} */ (typeof info === "string" ? utf8(info) : info),
    },
    ikm,
    length * 8,
  );
  return new Uint8Array(bits);
}

/**
 * Import raw bytes as a non-extractable HMAC-SHA256 key, zeroing the bytes afterwards.
 * @param {Uint8Array} raw
 * @returns {Promise<CryptoKey>}
 */
export async function importHmacKey(raw) {
  try {
    return await subtle().importKey(
      "raw",
      /** @type {BufferSource} */ (raw),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
  } finally {
    raw.fill(0);
  }
}

/**
 * HMAC-SHA256 key derived by HKDF from `ikm` (non-extractable).
 * @param {CryptoKey} ikm
 * @param {Uint8Array} salt
 * @param {string} info
 * @returns {Promise<CryptoKey>}
 */
export async function deriveHmacKey(ikm, salt, info) {
  return importHmacKey(await hkdf(ikm, salt, info, 32));
}

/**
 * `info` strings for the two session keys.
 * @param {string} sid
 * @returns {{e2d: string, d2e: string}}
 */
export function sessionInfo(sid) {
  return { e2d: `wb1 session ${sid} e2d`, d2e: `wb1 session ${sid} d2e` };
}

/**
 * Derive the per-connection keys from the long-term secret and both hello nonces.
 * @param {CryptoKey} secretKey  `S`, a non-extractable HKDF key
 * @param {Uint8Array} nonceE  32 bytes from our `hello`
 * @param {Uint8Array} nonceD  32 bytes from the daemon's `hello.ok`
 * @param {string} sid  the daemon's session id
 * @returns {Promise<SessionKeys>}
 */
export async function deriveSessionKeys(secretKey, nonceE, nonceD, sid) {
  if (nonceE.length !== NONCE_BYTES || nonceD.length !== NONCE_BYTES) throw new Error("nonces must be 32 bytes");
  const salt = concatBytes(nonceE, nonceD);
  const info = sessionInfo(sid);
  const [e2d, d2e] = await Promise.all([
    deriveHmacKey(secretKey, salt, info.e2d),
    deriveHmacKey(secretKey, salt, info.d2e),
  ]);
  return { e2d, d2e };
}

/**
 * Raw HMAC-SHA256.
 * @param {CryptoKey} key
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array>}
 */
export async function hmac(key, data) {
  return new Uint8Array(await subtle().sign("HMAC", key, /** @type {BufferSource} */ (data)));
}

/**
 * MAC of the signed part `P`.
 * @param {CryptoKey} key  the sending direction's key
 * @param {string | Uint8Array} p  the signed part, as text or as its exact UTF-8 bytes
 * @returns {Promise<string>}  43 base64url characters
 */
export async function sign(key, p) {
  return b64encode(await hmac(key, typeof p === "string" ? utf8View(p) : p));
}

/**
 * Constant-time check of a MAC over the exact UTF-8 bytes of `P`. Never throws for a malformed MAC: it is
 * simply not valid.
 * @param {CryptoKey} key  the receiving direction's key
 * @param {string | Uint8Array} p
 * @param {string} mac
 * @returns {Promise<boolean>}
 */
export async function verify(key, p, mac) {
  let tag;
  try {
    tag = b64decode(mac);
  } catch {
    return false;
  }
  if (tag.length !== 32) return false;
  // WebCrypto copies `data` before verify() returns, so the shared buffer of utf8View is safe here.
  const data = typeof p === "string" ? utf8View(p) : p;
  return subtle().verify("HMAC", key, /** @type {BufferSource} */ (tag), /** @type {BufferSource} */ (data));
}

/**
 * @typedef {{v: 1, sid: string, mac: string, p: string}} SealedFrame
 */

/**
 * Build a sealed envelope around the signed part `P`.
 * @param {CryptoKey} key  the sending direction's key
 * @param {string} sid
 * @param {string} p
 * @returns {Promise<SealedFrame>}
 */
export async function seal(key, sid, p) {
  return { v: 1, sid, mac: await sign(key, p), p };
}
