import assert from "node:assert/strict";
import { test } from "node:test";

import { Session, MAX_OUTGOING_FRAME } from "../../extension/protocol/session.js";
import { parseStrict } from "../../extension/protocol/jsonstrict.js";
import { deriveSessionKeys, importHkdfKey, randomBytes } from "../../extension/protocol/signing.js";
import { b64urlToBytes, rejectsWith, signingVectors } from "./helpers.js";

/** @param {any} v */
async function keysOf(v) {
  const secret = await importHkdfKey(b64urlToBytes(v.secret));
  return deriveSessionKeys(secret, b64urlToBytes(v.nonce_e), b64urlToBytes(v.nonce_d), v.sid);
}

async function pair(now = () => Date.now()) {
  const sid = Buffer.from(randomBytes(16)).toString("base64url");
  const secret = await importHkdfKey(randomBytes(32));
  const keys = await deriveSessionKeys(secret, randomBytes(32), randomBytes(32), sid);
  return {
    ext: new Session({ sid, keys, role: "extension", now }),
    daemon: new Session({ sid, keys, role: "daemon", now }),
  };
}

for (const v of signingVectors.session) {
  test(`vector conversation ${v.name}: both ends open every frame in order`, async () => {
    const keys = await keysOf(v);
    const now = () => 1_700_000_001_000;
    const ends = {
      extension: new Session({ sid: v.sid, keys, role: "extension", now }),
      daemon: new Session({ sid: v.sid, keys, role: "daemon", now }),
    };
    for (const f of v.frames) {
      const receiver = f.direction === "e2d" ? ends.daemon : ends.extension;
      const msg = await receiver.open(parseStrict(f.outer));
      const signed = JSON.parse(f.p);
      assert.equal(msg.kind, signed.kind);
      assert.deepEqual(msg.body, signed.body);
      assert.equal(msg.seq, signed.seq);
      assert.equal(msg.id, signed.id);
      assert.equal(msg.reply_to, signed.reply_to);
    }
  });

  test(`vector sealing ${v.name}: our seal reproduces the frames byte for byte`, async () => {
    const keys = await keysOf(v);
    /** @type {Record<string, Session>} */
    const ends = {};
    for (const f of v.frames) {
      const signed = JSON.parse(f.p);
      const role = f.direction === "e2d" ? "extension" : "daemon";
      ends[role] ??= new Session({ sid: v.sid, keys, role, now: () => signed.ts, validate: false });
      const s = ends[role];
      s._now = () => signed.ts;
      const { frame } = await s.seal(signed.kind, signed.body, { id: signed.id, replyTo: signed.reply_to });
      // JSON.stringify and Python's compact dumps agree on these bodies (non-ASCII kept, \u2028 raw).
      assert.equal(frame.p, f.p);
      assert.equal(frame.mac, f.mac);
    }
  });

  for (const r of v.rejects) {
    test(`vector reject ${v.name} ${r.receiver} ${r.name}`, async () => {
      const keys = await keysOf(v);
      const s = new Session({ sid: v.sid, keys, role: r.receiver, now: () => r.now });
      s.recvSeq = r.received_seq;
      const frame = parseStrict(r.outer);
      if (r.code === null) {
        await s.open(frame);
        assert.equal(s.recvSeq, r.received_seq + 1);
      } else {
        const err = await rejectsWith(() => s.open(frame), r.code);
        const fatal = r.code >= 3001 && r.code <= 3005;
        assert.equal(/** @type {any} */ (err).fatal, fatal, "steps 1-5 end the session");
        if (!fatal) assert.equal(s.recvSeq, r.received_seq + 1, "a step-6 failure consumes the sequence number");
      }
    });
  }
}

test("round trip both ways, sequence numbers from 1 per direction", async () => {
  const { ext, daemon } = await pair();
  const a = await ext.seal("ping", {});
  const b = await ext.seal("echo", { data: "héllo\u2028", mode: "echo" });
  assert.equal(a.seq, 1);
  assert.equal(b.seq, 2);
  assert.equal((await daemon.open(a.frame)).kind, "ping");
  const opened = await daemon.open(b.frame);
  assert.equal(opened.body.data, "héllo\u2028");
  const reply = await daemon.seal("pong", { time: 5 }, { replyTo: a.id });
  assert.equal(reply.seq, 1);
  const got = await ext.open(reply.frame);
  assert.equal(got.reply_to, a.id);
});

test("replay, reorder and skips are rejected with bad_sequence and end the session", async () => {
  const { ext, daemon } = await pair();
  const f1 = (await daemon.seal("ping", {})).frame;
  const f2 = (await daemon.seal("ping", {})).frame;
  const f3 = (await daemon.seal("ping", {})).frame;
  await ext.open(f1);
  await rejectsWith(() => ext.open(f1), 3003); // replay
  await rejectsWith(() => ext.open(f2), 3003); // the session is over: every later frame fails the same

  const s2 = await pair();
  const g1 = (await s2.daemon.seal("ping", {})).frame;
  const g2 = (await s2.daemon.seal("ping", {})).frame;
  await rejectsWith(() => s2.ext.open(g2), 3003); // reorder (2 before 1)
  await rejectsWith(() => s2.ext.open(g1), 3003);

  const s3 = await pair();
  await s3.daemon.seal("ping", {});
  const h2 = (await s3.daemon.seal("ping", {})).frame;
  await rejectsWith(() => s3.ext.open(h2), 3003); // skip
  assert.ok(f3);
});

test("timestamps outside ±120 s are clock skew; exactly 120 s is accepted", async () => {
  let clock = 1_000_000_000;
  const { ext, daemon } = await pair(() => clock);
  const f1 = (await daemon.seal("ping", {})).frame;
  const f2 = (await daemon.seal("ping", {})).frame;
  clock += 120_000;
  await ext.open(f1);
  clock += 1;
  await rejectsWith(() => ext.open(f2), 3004);

  clock = 1_000_000_000;
  const s = await pair(() => clock);
  const g = (await s.daemon.seal("ping", {})).frame;
  clock -= 120_001;
  await rejectsWith(() => s.ext.open(g), 3004);
});

test("a frame for another session, or reflected back, is refused", async () => {
  const a = await pair();
  const f = (await a.daemon.seal("ping", {})).frame;
  const keys = { e2d: a.ext._sendKey, d2e: a.ext._recvKey };
  const other = new Session({ sid: "B".repeat(22), keys, role: "extension" });
  await rejectsWith(() => other.open(f), 3005); // same keys, another session id
  await rejectsWith(() => other.open({ ...f, sid: other.sid }), 3005); // outer sid rewritten: inner differs
  const own = (await a.ext.seal("ping", {})).frame;
  await rejectsWith(() => a.ext.open(own), 3002); // reflected: signed with e2d, we verify with d2e
});

test("a bit flip at every byte of a sealed frame's p is rejected", async () => {
  const { ext, daemon } = await pair();
  const { frame } = await daemon.seal("pong", { time: 1 });
  const bytes = Buffer.from(frame.p, "utf8");
  for (let i = 0; i < bytes.length; i++) {
    const flipped = Buffer.from(bytes);
    flipped[i] ^= 0x01;
    const s = new Session({ sid: ext.sid, keys: { e2d: ext._sendKey, d2e: ext._recvKey }, role: "extension" });
    await rejectsWith(() => s.open({ ...frame, p: flipped.toString("utf8") }), 3002);
  }
  const mac = Buffer.from(frame.mac, "base64url");
  for (let i = 0; i < mac.length; i++) {
    const flipped = Buffer.from(mac);
    flipped[i] ^= 0x80;
    const s = new Session({ sid: ext.sid, keys: { e2d: ext._sendKey, d2e: ext._recvKey }, role: "extension" });
    await rejectsWith(() => s.open({ ...frame, mac: flipped.toString("base64url") }), 3002);
  }
  assert.equal((await ext.open(frame)).kind, "pong");
});

test("step-6 failures keep the session and name the frame", async () => {
  const { ext, daemon } = await pair();
  const bad = (await new Session({ sid: daemon.sid, keys: { e2d: daemon._recvKey, d2e: daemon._sendKey }, role: "daemon", validate: false })
    .seal("pong", { time: "x" })).frame;
  const err = await rejectsWith(() => ext.open(bad), 2002);
  assert.equal(/** @type {any} */ (err).fatal, false);
  assert.ok(/** @type {any} */ (err).detail.id);
  assert.equal(ext.recvSeq, 1);
});

test("seal refuses unknown kinds, plain-only kinds and invalid bodies without using a sequence number", async () => {
  const { ext } = await pair();
  await rejectsWith(() => ext.seal("shell.exec", {}), 2001);
  await rejectsWith(() => ext.seal("hello", {}), 2003);
  await rejectsWith(() => ext.seal("echo", { data: 1, mode: "echo" }), 2002);
  assert.equal((await ext.seal("ping", {})).seq, 1);
});

test("a frame too large for the relay is refused before it takes a sequence number", async () => {
  const { ext } = await pair();
  await rejectsWith(() => ext.seal("echo", { data: "\u0001".repeat(MAX_OUTGOING_FRAME / 6), mode: "echo" }), 1003);
  assert.equal((await ext.seal("ping", {})).seq, 1);
});

test("concurrent seals resolve and post in sequence order", async () => {
  const { ext, daemon } = await pair();
  /** @type {any[]} */
  const posted = [];
  await Promise.all(
    Array.from({ length: 50 }, (_, i) => ext.seal("echo", { data: "x".repeat((50 - i) * 1000), mode: "echo" }, { post: (f) => posted.push(f) })),
  );
  for (const f of posted) await daemon.open(f);
  assert.equal(daemon.recvSeq, 50);
});

test("the session id must be 22 base64url characters", () => {
  assert.throws(() => new Session({ sid: "short", keys: /** @type {any} */ ({}), role: "extension" }));
});
