import assert from "node:assert/strict";
import { test } from "node:test";

import {
  deriveSessionKeys,
  hkdf,
  hmac,
  importHkdfKey,
  seal,
  sessionInfo,
  sign,
  utf8,
  verify,
} from "../../extension/protocol/signing.js";
import { b64urlToBytes, signingVectors, toHex } from "./helpers.js";

for (const v of signingVectors.session) {
  test(`vector session keys ${v.name}`, async () => {
    const secret = await importHkdfKey(b64urlToBytes(v.secret));
    const salt = new Uint8Array([...b64urlToBytes(v.nonce_e), ...b64urlToBytes(v.nonce_d)]);
    const info = sessionInfo(v.sid);
    assert.equal(toHex(await hkdf(secret, salt, info.e2d, 32)), v.k_e2d_hex);
    assert.equal(toHex(await hkdf(secret, salt, info.d2e, 32)), v.k_d2e_hex);
  });

  test(`vector session MACs ${v.name}`, async () => {
    const secret = await importHkdfKey(b64urlToBytes(v.secret));
    const keys = await deriveSessionKeys(secret, b64urlToBytes(v.nonce_e), b64urlToBytes(v.nonce_d), v.sid);
    assert.equal(keys.e2d.extractable, false);
    assert.equal(keys.d2e.extractable, false);
    for (const f of v.frames) {
      const key = f.direction === "e2d" ? keys.e2d : keys.d2e;
      const other = f.direction === "e2d" ? keys.d2e : keys.e2d;
      assert.equal(await sign(key, f.p), f.mac);
      assert.equal(await verify(key, f.p, f.mac), true);
      assert.equal(await verify(other, f.p, f.mac), false, "a reflected frame never verifies");
      assert.deepEqual(await seal(key, v.sid, f.p), JSON.parse(f.outer));
    }
  });
}

test("a bit flip anywhere in P or in the MAC is rejected", async () => {
  const v = signingVectors.session[0];
  const secret = await importHkdfKey(b64urlToBytes(v.secret));
  const keys = await deriveSessionKeys(secret, b64urlToBytes(v.nonce_e), b64urlToBytes(v.nonce_d), v.sid);
  const f = v.frames.find((x) => x.direction === "d2e");
  const p = utf8(f.p);
  for (let i = 0; i < p.length; i++) {
    for (const bit of [0x01, 0x80]) {
      const flipped = p.slice();
      flipped[i] ^= bit;
      assert.equal(await verify(keys.d2e, flipped, f.mac), false, `byte ${i} bit ${bit}`);
    }
  }
  const mac = b64urlToBytes(f.mac);
  for (let i = 0; i < mac.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const flipped = mac.slice();
      flipped[i] ^= 1 << bit;
      assert.equal(await verify(keys.d2e, p, Buffer.from(flipped).toString("base64url")), false);
    }
  }
});

test("verify returns false for malformed MACs instead of throwing", async () => {
  const key = await crypto.subtle.importKey("raw", new Uint8Array(32), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  for (const mac of ["", "A", "A".repeat(42), "A".repeat(44), "+".repeat(43), "AA=="]) {
    assert.equal(await verify(key, "x", mac), false, mac);
  }
  assert.equal((await hmac(key, utf8("x"))).length, 32);
});

test("deriveSessionKeys refuses nonces of the wrong size", async () => {
  const secret = await importHkdfKey(new Uint8Array(32));
  await assert.rejects(deriveSessionKeys(secret, new Uint8Array(31), new Uint8Array(32), "A".repeat(22)));
});
