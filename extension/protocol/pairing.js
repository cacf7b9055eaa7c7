/**
 * Numeric-comparison pairing with a commitment, and key rotation (PROTOCOL.md §4), on WebCrypto ECDH P-256.
 *
 * ```
 * commit = SHA-256(pk_e ‖ n_e)
 * Z      = ECDH(own private, peer public)                        (32-byte x coordinate)
 * T      = SHA-256("wb1 pair" ‖ pk_e ‖ pk_d ‖ n_e)
 * S      = HKDF-SHA256(Z, salt = T, info = "wb1 secret", L = 32)  → non-extractable HKDF CryptoKey
 * SAS    = HKDF-SHA256(Z, salt = T, info = "wb1 sas", L = 4) as big-endian uint32 mod 10⁶, 6 digits
 * ck_e   = HKDF-SHA256(S, salt = T, info = "wb1 confirm e");  pair.confirm mac = HMAC(ck_e, T)
 * ck_d   = HKDF-SHA256(S, salt = T, info = "wb1 confirm d");  pair.done mac    = HMAC(ck_d, T)
 * rotate: S' = HKDF-SHA256(Z', salt = SHA-256("wb1 rotate" ‖ pk_d ‖ pk_e), info = "wb1 secret", L = 32)
 * ```
 *
 * Private keys are generated non-extractable; `Z` and the raw bytes of `S` exist only for the moment they
 * are imported, and are zeroed afterwards.
 */

import { decode as b64decode, encode as b64encode } from "./b64.js";
import { Codes, WebBridgeError } from "./errors.js";
import { concatBytes, deriveHmacKey, hkdf, hmac, importHkdfKey, randomBytes, sha256, utf8 } from "./signing.js";

/** Length of an uncompressed P-256 point. */
export const PUBLIC_KEY_BYTES = 65;
/** A pending pairing expires after this long (the daemon's rule, mirrored for the UI). */
export const PAIRING_TTL_MS = 300_000;

const EC = /** @type {EcKeyImportParams} */ ({ name: "ECDH", namedCurve: "P-256" });

/** @returns {SubtleCrypto} */
function subtle() {
  return globalThis.crypto.subtle;
}

/**
 * @typedef {{privateKey: CryptoKey, pk: Uint8Array}} EphemeralKey  `pk` is the 65-byte uncompressed point
 * @typedef {{key: EphemeralKey, nonce: Uint8Array, commit: Uint8Array}} PairingStart
 * @typedef {{
 *   transcript: Uint8Array,
 *   secretKey: CryptoKey,
 *   sas: string,
 *   confirmMac: Uint8Array,
 *   doneKey: CryptoKey,
 * }} PairingSecrets  `confirmMac` is ours (pair.confirm); `doneKey` checks the daemon's (pair.done)
 */

/**
 * A fresh ephemeral ECDH P-256 key whose private half cannot be exported.
 * @returns {Promise<EphemeralKey>}
 */
export async function generateEphemeral() {
  const pair = /** @type {CryptoKeyPair} */ (await subtle().generateKey(EC, false, ["deriveBits"]));
  const pk = new Uint8Array(await subtle().exportKey("raw", pair.publicKey));
  return { privateKey: pair.privateKey, pk };
}

/**
 * Import a known private scalar (tests and vectors only).
 * @param {Uint8Array} d  32-byte private scalar
 * @param {Uint8Array} pk  its 65-byte uncompressed public point
 * @returns {Promise<EphemeralKey>}
 */
export async function importEphemeral(d, pk) {
  checkPoint(pk);
  const jwk = { kty: "EC", crv: "P-256", d: b64encode(d), x: b64encode(pk.subarray(1, 33)), y: b64encode(pk.subarray(33, 65)) };
  const privateKey = await subtle().importKey("jwk", jwk, EC, false, ["deriveBits"]);
  return { privateKey, pk: pk.slice() };
}

/**
 * Import a private key given as a JWK `{kty:"EC", crv:"P-256", d, x, y}` (tests and vectors only).
 * @param {JsonWebKey} jwk
 * @returns {Promise<EphemeralKey>}
 */
export async function importEphemeralJwk(jwk) {
  if (typeof jwk.x !== "string" || typeof jwk.y !== "string" || typeof jwk.d !== "string") throw new Error("incomplete JWK");
  const pk = concatBytes(new Uint8Array([0x04]), b64decode(jwk.x), b64decode(jwk.y));
  return importEphemeral(b64decode(jwk.d), pk);
}

/**
 * @param {Uint8Array} pk
 */
function checkPoint(pk) {
  if (pk.length !== PUBLIC_KEY_BYTES || pk[0] !== 0x04) {
    throw new WebBridgeError(Codes.PAIRING_FAILED, "public key must be a 65-byte uncompressed P-256 point");
  }
}

/**
 * Decode and import a peer's public key (from base64url), refusing anything but a valid uncompressed point.
 * @param {string | Uint8Array} pk
 * @returns {Promise<{bytes: Uint8Array, key: CryptoKey}>}
 * @throws {WebBridgeError} 3008
 */
export async function importPeerKey(pk) {
  let bytes;
  try {
    bytes = typeof pk === "string" ? b64decode(pk) : pk;
  } catch {
    throw new WebBridgeError(Codes.PAIRING_FAILED, "public key is not base64url");
  }
  checkPoint(bytes);
  try {
    const key = await subtle().importKey("raw", /** @type {BufferSource} */ (bytes), EC, true, []);
    return { bytes, key };
  } catch {
    throw new WebBridgeError(Codes.PAIRING_FAILED, "public key is not a point on P-256");
  }
}

/**
 * The ECDH shared secret `Z` (the x coordinate, 32 bytes). Callers zero it when done.
 * @param {CryptoKey} privateKey
 * @param {string | Uint8Array} peerPk
 * @returns {Promise<Uint8Array>}
 */
export async function ecdh(privateKey, peerPk) {
  const { key } = await importPeerKey(peerPk);
  return new Uint8Array(await subtle().deriveBits({ name: "ECDH", public: key }, privateKey, 256));
}

/**
 * `commit = SHA-256(pk_e ‖ n_e)`
 * @param {Uint8Array} pkE
 * @param {Uint8Array} nE
 * @returns {Promise<Uint8Array>}
 */
export async function commitment(pkE, nE) {
  return sha256(concatBytes(pkE, nE));
}

/**
 * `T = SHA-256("wb1 pair" ‖ pk_e ‖ pk_d ‖ n_e)`
 * @param {Uint8Array} pkE
 * @param {Uint8Array} pkD
 * @param {Uint8Array} nE
 * @returns {Promise<Uint8Array>}
 */
export async function transcript(pkE, pkD, nE) {
  return sha256(concatBytes(utf8("wb1 pair"), pkE, pkD, nE));
}

/**
 * The six-digit code from its four HKDF bytes.
 * @param {Uint8Array} four
 * @returns {string}
 */
export function sasFromBytes(four) {
  const n = new DataView(four.buffer, four.byteOffset, 4).getUint32(0, false);
  return String(n % 1_000_000).padStart(6, "0");
}

/**
 * "123456" → "123 456", as both sides show it.
 * @param {string} sas
 * @returns {string}
 */
export function formatSas(sas) {
  return `${sas.slice(0, 3)} ${sas.slice(3)}`;
}

/**
 * Start pairing: an ephemeral key, a 32-byte nonce and the commitment sent in `pair.begin`.
 * @param {{key?: EphemeralKey, nonce?: Uint8Array}} [fixed]  fixed values for tests and vectors
 * @returns {Promise<PairingStart>}
 */
export async function beginPairing(fixed = {}) {
  const key = fixed.key ?? (await generateEphemeral());
  const nonce = fixed.nonce ?? randomBytes(32);
  return { key, nonce, commit: await commitment(key.pk, nonce) };
}

/**
 * Everything that follows from the daemon's `pair.key`: the transcript, the long-term secret `S` (as a
 * non-extractable HKDF key), the code to show, our confirmation MAC and the key that checks the daemon's.
 * @param {PairingStart} start
 * @param {string | Uint8Array} pkD  the daemon's public key
 * @returns {Promise<PairingSecrets>}
 * @throws {WebBridgeError} 3008 when `pkD` is not a valid point
 */
export async function completePairing(start, pkD) {
  const { bytes: pkDBytes } = await importPeerKey(pkD);
  const z = await ecdh(start.key.privateKey, pkDBytes);
  try {
    const t = await transcript(start.key.pk, pkDBytes, start.nonce);
    const zKey = await importHkdfKey(z);
    const sBytes = await hkdf(zKey, t, "wb1 secret", 32);
    const sasBytes = await hkdf(zKey, t, "wb1 sas", 4);
    let secretKey;
    try {
      secretKey = await importHkdfKey(sBytes);
    } finally {
      sBytes.fill(0);
    }
    const ckE = await deriveHmacKey(secretKey, t, "wb1 confirm e");
    const doneKey = await deriveHmacKey(secretKey, t, "wb1 confirm d");
    return { transcript: t, secretKey, sas: sasFromBytes(sasBytes), confirmMac: await hmac(ckE, t), doneKey };
  } finally {
    z.fill(0);
  }
}

/**
 * Check the daemon's `pair.done` MAC in constant time.
 * @param {PairingSecrets} secrets
 * @param {string} mac  base64url
 * @returns {Promise<boolean>}
 */
export async function verifyDone(secrets, mac) {
  let tag;
  try {
    tag = b64decode(mac);
  } catch {
    return false;
  }
  if (tag.length !== 32) return false;
  return subtle().verify(
    "HMAC",
    secrets.doneKey,
    /** @type {BufferSource} */ (tag),
    /** @type {BufferSource} */ (secrets.transcript),
  );
}

/**
 * Answer `key.rotate {pk}`: a fresh ephemeral key and the new secret `S'`.
 * @param {string | Uint8Array} pkD  the daemon's fresh public key
 * @param {{key?: EphemeralKey}} [fixed]  a fixed key for tests and vectors
 * @returns {Promise<{pk: Uint8Array, secretKey: CryptoKey}>}  send `pk`; store `secretKey` once the reply left
 * @throws {WebBridgeError} 3008 when `pkD` is not a valid point
 */
export async function rotateSecret(pkD, fixed = {}) {
  const { bytes: pkDBytes } = await importPeerKey(pkD);
  const key = fixed.key ?? (await generateEphemeral());
  const z = await ecdh(key.privateKey, pkDBytes);
  try {
    const salt = await sha256(concatBytes(utf8("wb1 rotate"), pkDBytes, key.pk));
    const sBytes = await hkdf(await importHkdfKey(z), salt, "wb1 secret", 32);
    try {
      return { pk: key.pk, secretKey: await importHkdfKey(sBytes) };
    } finally {
      sBytes.fill(0);
    }
  } finally {
    z.fill(0);
  }
}
