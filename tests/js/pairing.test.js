import assert from "node:assert/strict";
import { test } from "node:test";

import {
  beginPairing,
  commitment,
  completePairing,
  ecdh,
  formatSas,
  generateEphemeral,
  importEphemeralJwk,
  importPeerKey,
  rotateSecret,
  sasFromBytes,
  transcript,
  verifyDone,
} from "../../extension/protocol/pairing.js";
import { hkdf, hmac, importHkdfKey, importHmacKey, utf8, concatBytes, sha256 } from "../../extension/protocol/signing.js";
import { b64urlToBytes, bytesToB64url, fromHex, rejectsWith, signingVectors, toHex } from "./helpers.js";

/**
 * Two HKDF keys hold the same secret when they derive the same output (S itself is non-extractable).
 * @param {CryptoKey} key
 * @param {Uint8Array} raw
 */
async function sameSecret(key, raw) {
  const probe = await hkdf(key, utf8("salt"), "probe", 32);
  const expected = await hkdf(await importHkdfKey(raw.slice()), utf8("salt"), "probe", 32);
  assert.equal(toHex(probe), toHex(expected));
}

for (const v of signingVectors.pairing) {
  test(`vector ${v.name}: commitment, Z, T, S, SAS and confirmation MACs`, async () => {
    const keyE = await importEphemeralJwk(v.priv_e_jwk);
    const keyD = await importEphemeralJwk(v.priv_d_jwk);
    assert.equal(bytesToB64url(keyE.pk), v.pk_e);
    assert.equal(bytesToB64url(keyD.pk), v.pk_d);
    const nE = b64urlToBytes(v.n_e);
    const start = await beginPairing({ key: keyE, nonce: nE });
    assert.equal(bytesToB64url(start.commit), v.commit);
    assert.equal(toHex(await ecdh(keyE.privateKey, v.pk_d)), v.z_hex);
    assert.equal(toHex(await ecdh(keyD.privateKey, v.pk_e)), v.z_hex, "both sides agree on Z");
    assert.equal(toHex(await transcript(keyE.pk, keyD.pk, nE)), v.t_hex);

    const secrets = await completePairing(start, v.pk_d);
    assert.equal(toHex(secrets.transcript), v.t_hex);
    assert.equal(secrets.sas, v.sas);
    assert.equal(secrets.secretKey.extractable, false);
    assert.equal(secrets.secretKey.algorithm.name, "HKDF");
    await sameSecret(secrets.secretKey, b64urlToBytes(v.secret));
    assert.equal(toHex(b64urlToBytes(v.secret)), v.secret_hex);
    assert.equal(bytesToB64url(secrets.confirmMac), v.confirm_e);
    // ck_e/ck_d as the vectors give them reproduce both MACs
    assert.equal(bytesToB64url(await hmac(await importHmacKey(fromHex(v.ck_e_hex)), fromHex(v.t_hex))), v.confirm_e);
    assert.equal(await verifyDone(secrets, v.confirm_d), true);
    assert.equal(await verifyDone(secrets, v.confirm_e), false, "our own MAC is not the daemon's");
    const tampered = b64urlToBytes(v.confirm_d);
    tampered[0] ^= 1;
    assert.equal(await verifyDone(secrets, bytesToB64url(tampered)), false);
    assert.equal(await verifyDone(secrets, "not base64!"), false);
  });
}

for (const v of signingVectors.rotation) {
  test(`vector ${v.name}: S' from the daemon's key and ours`, async () => {
    const keyE = await importEphemeralJwk(v.priv_e_jwk);
    const keyD = await importEphemeralJwk(v.priv_d_jwk);
    assert.equal(bytesToB64url(keyE.pk), v.pk_e);
    assert.equal(toHex(await ecdh(keyE.privateKey, v.pk_d)), v.z_hex);
    const salt = await sha256(concatBytes(utf8("wb1 rotate"), keyD.pk, keyE.pk));
    assert.equal(toHex(salt), v.salt_hex);
    const { pk, secretKey } = await rotateSecret(v.pk_d, { key: keyE });
    assert.equal(bytesToB64url(pk), v.pk_e);
    assert.equal(secretKey.extractable, false);
    await sameSecret(secretKey, b64urlToBytes(v.secret));
  });
}

test("a full pairing between two fresh sides agrees on everything", async () => {
  const start = await beginPairing();
  assert.equal(start.key.pk.length, 65);
  assert.equal(start.key.privateKey.extractable, false);
  assert.deepEqual(start.commit, await commitment(start.key.pk, start.nonce));
  const daemon = await generateEphemeral();
  const ours = await completePairing(start, daemon.pk);
  // The daemon's side, computed independently from raw bytes.
  const z = await ecdh(daemon.privateKey, start.key.pk);
  const t = await transcript(start.key.pk, daemon.pk, start.nonce);
  const zKey = await importHkdfKey(z);
  assert.equal(ours.sas, sasFromBytes(await hkdf(zKey, t, "wb1 sas", 4)));
  const s = await hkdf(zKey, t, "wb1 secret", 32);
  const ckE = await hkdf(await importHkdfKey(s.slice()), t, "wb1 confirm e", 32);
  const ckD = await hkdf(await importHkdfKey(s.slice()), t, "wb1 confirm d", 32);
  assert.deepEqual(ours.confirmMac, await hmac(await importHmacKey(ckE), t));
  assert.equal(await verifyDone(ours, bytesToB64url(await hmac(await importHmacKey(ckD), t))), true);
  await sameSecret(ours.secretKey, s);
});

test("the SAS is six digits, zero-padded, from a big-endian uint32", () => {
  assert.equal(sasFromBytes(new Uint8Array([0, 0, 0, 7])), "000007");
  assert.equal(sasFromBytes(new Uint8Array([0xff, 0xff, 0xff, 0xff])), String(0xffffffff % 1_000_000).padStart(6, "0"));
  assert.equal(formatSas("012345"), "012 345");
});

test("invalid peer keys are refused with pairing_failed", async () => {
  const start = await beginPairing();
  const valid = (await generateEphemeral()).pk;
  const compressed = valid.slice(0, 33);
  compressed[0] = 0x02;
  await rejectsWith(() => completePairing(start, compressed), 3008);
  const offCurve = valid.slice();
  offCurve[64] ^= 1;
  await rejectsWith(() => completePairing(start, offCurve), 3008);
  await rejectsWith(() => importPeerKey("!!"), 3008);
  await rejectsWith(() => rotateSecret(new Uint8Array(65)), 3008);
});
