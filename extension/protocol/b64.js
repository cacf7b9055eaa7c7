/**
 * base64url without padding (RFC 4648 §5), strict both ways: every binary value on the wire uses it
 * (PROTOCOL.md §3). Decoding refuses padding, characters outside `[A-Za-z0-9_-]`, impossible lengths
 * (length mod 4 == 1) and non-canonical encodings (unused trailing bits set), so a value has exactly one
 * spelling.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** char code → 6-bit value, or -1 */
const LOOKUP = (() => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

const ENCODE = new Uint8Array(64);
for (let i = 0; i < 64; i++) ENCODE[i] = ALPHABET.charCodeAt(i);

/** A strict base64url decoding error; callers map it to their own protocol error. */
export class Base64Error extends Error {}

/**
 * Native `Uint8Array` base64 methods (Chrome 140+, not in Node 20); used when present because they are
 * much faster on the 700 kB chunk pieces.
 * @typedef {{toBase64?: (o: {alphabet: string, omitPadding: boolean}) => string}} WithToBase64
 * @typedef {{fromBase64?: (s: string, o: {alphabet: string, lastChunkHandling: string}) => Uint8Array}}
 *   WithFromBase64
 */
const nativeFrom = /** @type {WithFromBase64} */ (/** @type {unknown} */ (Uint8Array)).fromBase64;
/** What the native decoder tolerates beyond the alphabet: ASCII whitespace and padding. */
const LENIENT = /[\t\n\f\r =]/;
const nativeTo = /** @type {WithToBase64} */ (/** @type {unknown} */ (Uint8Array.prototype)).toBase64;

/**
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function encode(bytes) {
  if (nativeTo) return nativeTo.call(bytes, { alphabet: "base64url", omitPadding: true });
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil((n * 4) / 3));
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o++] = ENCODE[v >> 18];
    out[o++] = ENCODE[(v >> 12) & 63];
    out[o++] = ENCODE[(v >> 6) & 63];
    out[o++] = ENCODE[v & 63];
  }
  if (n - i === 1) {
    const v = bytes[i] << 16;
    out[o++] = ENCODE[v >> 18];
    out[o++] = ENCODE[(v >> 12) & 63];
  } else if (n - i === 2) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out[o++] = ENCODE[v >> 18];
    out[o++] = ENCODE[(v >> 12) & 63];
    out[o++] = ENCODE[(v >> 6) & 63];
  }
  return new TextDecoder().decode(out.subarray(0, o));
}

/**
 * @param {string} text
 * @returns {Uint8Array}
 * @throws {Base64Error} on anything but canonical unpadded base64url
 */
export function decode(text) {
  if (typeof text !== "string") throw new Base64Error("not a string");
  const n = text.length;
  const rem = n % 4;
  if (rem === 1) throw new Base64Error("impossible base64url length");
  if (nativeFrom) {
    // The native decoder accepts padding and ASCII whitespace, and in "loose" mode ignores unused trailing
    // bits: refuse all three here so that both paths accept exactly the same spellings. Any other character
    // outside the alphabet makes it throw. (Searching for these few characters is much faster than matching
    // the whole alphabet over a 933 kB chunk.)
    if (LENIENT.test(text)) throw new Base64Error("character outside the base64url alphabet");
    if (rem !== 0 && sextet(text, n - 1) & (rem === 2 ? 15 : 3)) {
      throw new Base64Error("non-canonical base64url (trailing bits set)");
    }
    try {
      return nativeFrom(text, { alphabet: "base64url", lastChunkHandling: "loose" });
    } catch {
      throw new Base64Error("character outside the base64url alphabet");
    }
  }
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let o = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = sextet(text, i + 2);
    const d = sextet(text, i + 3);
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  if (rem === 2) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    if (b & 15) throw new Base64Error("non-canonical base64url (trailing bits set)");
    out[o++] = (a << 2) | (b >> 4);
  } else if (rem === 3) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = sextet(text, i + 2);
    if (c & 3) throw new Base64Error("non-canonical base64url (trailing bits set)");
    const v = (a << 12) | (b << 6) | c;
    out[o++] = v >> 10;
    out[o++] = (v >> 2) & 255;
  }
  return out;
}

/**
 * @param {string} text
 * @param {number} i
 * @returns {number}
 */
function sextet(text, i) {
  const c = text.charCodeAt(i);
  const v = c < 128 ? LOOKUP[c] : -1;
  if (v < 0) throw new Base64Error("character outside the base64url alphabet");
  return v;
}

/**
 * True when `text` is base64url of exactly `byteLength` bytes.
 * @param {unknown} text
 * @param {number} byteLength
 * @returns {boolean}
 */
export function isB64(text, byteLength) {
  if (typeof text !== "string" || text.length !== Math.ceil((byteLength * 4) / 3)) return false;
  try {
    return decode(text).length === byteLength;
  } catch {
    return false;
  }
}
