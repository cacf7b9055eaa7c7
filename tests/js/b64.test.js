import assert from "node:assert/strict";
import { test } from "node:test";

import { Base64Error, decode, encode, isB64 } from "../../extension/protocol/b64.js";

test("encode matches Node's base64url without padding for every length 0..300", () => {
  for (let n = 0; n <= 300; n++) {
    const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n) & 255);
    const text = encode(bytes);
    assert.equal(text, Buffer.from(bytes).toString("base64url"));
    assert.deepEqual(decode(text), bytes);
  }
});

test("decode refuses padding, other alphabets, whitespace and impossible lengths", () => {
  for (const bad of ["AA==", "AAA=", "A+B/", "AB CD", "AB\nC", "A", "AAAAA", "é", "AB*D"]) {
    assert.throws(() => decode(bad), Base64Error, bad);
  }
});

test("decode refuses non-canonical trailing bits", () => {
  assert.deepEqual(decode("AA"), new Uint8Array([0]));
  assert.throws(() => decode("AB"), Base64Error); // 4 unused bits set
  assert.deepEqual(decode("AAA"), new Uint8Array([0, 0]));
  assert.throws(() => decode("AAB"), Base64Error); // 2 unused bits set
});

test("decode of the empty string is empty", () => {
  assert.equal(decode("").length, 0);
});

test("isB64 checks the decoded length", () => {
  const nonce = encode(new Uint8Array(32).fill(7));
  assert.equal(isB64(nonce, 32), true);
  assert.equal(isB64(nonce, 31), false);
  assert.equal(isB64(`${nonce.slice(0, -1)}=`, 32), false);
  assert.equal(isB64(42, 32), false);
});

test("with a native Uint8Array.fromBase64, decode still refuses what that decoder tolerates", async () => {
  // A stand-in as lenient as the native one (TC39 Uint8Array.fromBase64): it skips ASCII whitespace and
  // accepts "=" padding; any other character outside the alphabet throws a SyntaxError.
  const lenient = (/** @type {string} */ s, /** @type {{alphabet: string}} */ opts) => {
    assert.equal(opts.alphabet, "base64url");
    const clean = s.replace(/[\t\n\f\r ]/g, "").replace(/=+$/, "");
    if (/[^A-Za-z0-9_-]/.test(clean) || clean.length % 4 === 1) throw new SyntaxError("bad base64");
    return new Uint8Array(Buffer.from(clean, "base64url"));
  };
  const ctor = /** @type {{fromBase64?: unknown}} */ (/** @type {unknown} */ (Uint8Array));
  const had = Object.hasOwn(ctor, "fromBase64");
  ctor.fromBase64 = lenient;
  try {
    const native = await import("../../extension/protocol/b64.js?native-stand-in");
    for (const bad of ["AA==", "AAA=", "A+B/", "AB CD", "AB\nC", "AB\tCD", "AB\fCD", "AB\rCD", " ABC", "A", "é", "AB*D", "ABCé"]) {
      assert.throws(() => native.decode(bad), native.Base64Error, JSON.stringify(bad));
    }
    assert.throws(() => native.decode("AB"), native.Base64Error); // trailing bits
    for (let n = 0; n <= 40; n++) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 53 + n) & 255);
      assert.deepEqual(native.decode(Buffer.from(bytes).toString("base64url")), bytes);
    }
  } finally {
    if (!had) delete ctor.fromBase64;
  }
});
