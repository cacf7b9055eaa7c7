// Shared set-up for the extension's JavaScript tests: the exported schema, the shared vectors, small codecs.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { installSchema } from "../../extension/protocol/messages.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** @param {string} rel */
export function readJson(rel) {
  return JSON.parse(readFileSync(root + rel, "utf8"));
}

export const schema = readJson("extension/protocol/schema.json");
installSchema(schema);

export const signingVectors = readJson("tests/vectors/signing.json");
export const frameVectors = readJson("tests/vectors/frames.json");

/** @param {string} hex */
export function fromHex(hex) {
  return new Uint8Array(hex.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
}

/** @param {Uint8Array} bytes */
export function toHex(bytes) {
  return Buffer.from(bytes).toString("hex");
}

/** @param {string} text */
export function b64urlToBytes(text) {
  return new Uint8Array(Buffer.from(text, "base64url"));
}

/** @param {Uint8Array} bytes */
export function bytesToB64url(bytes) {
  return Buffer.from(bytes).toString("base64url");
}

/**
 * Assert that `fn` (sync or async) throws a WebBridgeError with `code`.
 * @param {() => unknown} fn
 * @param {number} code
 */
export async function rejectsWith(fn, code) {
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  if (!err) throw new Error(`expected error ${code}, nothing was thrown`);
  if (/** @type {any} */ (err).code !== code) {
    throw new Error(`expected error ${code}, got ${/** @type {any} */ (err).code}: ${/** @type {any} */ (err).message}`);
  }
  return err;
}
