/**
 * The long-term pairing key, in IndexedDB: `{pairing_id, secret}` where `secret` is the non-extractable HKDF
 * `CryptoKey` `S` (PROTOCOL.md §4). IndexedDB stores a `CryptoKey` by structured clone without ever exposing
 * its bytes, so the secret cannot be read back by script, including ours. This is the only place keys live;
 * `chrome.storage` never sees them.
 */

const DB_NAME = "webbridge";
const DB_VERSION = 1;
const STORE = "keys";
const RECORD = "pairing";

/**
 * @typedef {{pairing_id: string, secret: CryptoKey, created: number}} PairingRecord
 */

/** @type {Promise<IDBDatabase> | null} */
let opening = null;

/** @returns {Promise<IDBDatabase>} */
function db() {
  opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
    };
    req.onsuccess = () => {
      const conn = req.result;
      // Another context upgrading, or the browser closing the database: open afresh next time.
      conn.onversionchange = () => {
        conn.close();
        opening = null;
      };
      conn.onclose = () => {
        opening = null;
      };
      resolve(conn);
    };
    req.onerror = () => {
      opening = null;
      reject(req.error ?? new Error("IndexedDB open failed"));
    };
  });
  return opening;
}

/**
 * @template T
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest} op
 * @returns {Promise<T>}
 */
async function run(mode, op) {
  const conn = await db();
  return new Promise((resolve, reject) => {
    const tx = conn.transaction(STORE, mode);
    const req = op(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(/** @type {T} */ (req.result));
    tx.onerror = () => reject(tx.error ?? req.error ?? new Error("IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}

/**
 * The stored pairing, or null when this browser profile is not paired.
 * @returns {Promise<PairingRecord | null>}
 */
export async function loadPairing() {
  /** @type {unknown} */
  const rec = await run("readonly", (s) => s.get(RECORD));
  if (!rec || typeof rec !== "object") return null;
  const r = /** @type {Record<string, unknown>} */ (rec);
  if (typeof r.pairing_id !== "string" || !(r.secret instanceof CryptoKey)) return null;
  return /** @type {PairingRecord} */ (r);
}

/**
 * Store (or replace) the pairing. The key must be a non-extractable HKDF key.
 * @param {string} pairingId
 * @param {CryptoKey} secret
 * @returns {Promise<void>}
 */
export async function savePairing(pairingId, secret) {
  if (secret.extractable || secret.algorithm.name !== "HKDF") throw new Error("the pairing secret must be a non-extractable HKDF key");
  /** @type {PairingRecord} */
  const rec = { pairing_id: pairingId, secret, created: Date.now() };
  await run("readwrite", (s) => s.put(rec, RECORD));
}

/**
 * Replace the secret of the stored pairing (key rotation); the pairing id stays.
 * @param {string} pairingId  must be the stored one
 * @param {CryptoKey} secret
 * @returns {Promise<void>}
 */
export async function replaceSecret(pairingId, secret) {
  const current = await loadPairing();
  if (!current || current.pairing_id !== pairingId) throw new Error("no such pairing to rotate");
  await savePairing(pairingId, secret);
}

/**
 * Forget the pairing (the user re-pairs, or the daemon revoked it).
 * @returns {Promise<void>}
 */
export async function deletePairing() {
  await run("readwrite", (s) => s.delete(RECORD));
}
