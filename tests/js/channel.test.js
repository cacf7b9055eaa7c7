import assert from "node:assert/strict";
import { test } from "node:test";

import { Channel } from "../../extension/protocol/channel.js";
import { RemoteError, WebBridgeError, Codes } from "../../extension/protocol/errors.js";
import { Session } from "../../extension/protocol/session.js";
import { deriveSessionKeys, importHkdfKey, randomBytes } from "../../extension/protocol/signing.js";
import { rejectsWith } from "./helpers.js";

/**
 * An extension channel and a daemon channel wired back to back, with hooks to intercept frames.
 * @param {{extension?: Partial<import("../../extension/protocol/channel.js").ChannelOptions>, daemon?: Partial<import("../../extension/protocol/channel.js").ChannelOptions>}} [opts]
 */
async function wired(opts = {}) {
  const sid = Buffer.from(randomBytes(16)).toString("base64url");
  const keys = await deriveSessionKeys(await importHkdfKey(randomBytes(32)), randomBytes(32), randomBytes(32), sid);
  /** @type {{toDaemon: any[], toExtension: any[], hold: boolean}} */
  const wire = { toDaemon: [], toExtension: [], hold: false };
  /** @type {{ext: Channel, daemon: Channel}} */
  const ends = /** @type {any} */ ({});
  const errors = [];
  ends.ext = new Channel({
    session: new Session({ sid, keys, role: "extension" }),
    post: (f) => {
      wire.toDaemon.push(f);
      if (!wire.hold) queueMicrotask(() => ends.daemon.receive(f).catch((e) => errors.push(e)));
    },
    ...opts.extension,
  });
  ends.daemon = new Channel({
    session: new Session({ sid, keys, role: "daemon" }),
    post: (f) => {
      wire.toExtension.push(f);
      if (!wire.hold) queueMicrotask(() => ends.ext.receive(f).catch((e) => errors.push(e)));
    },
    ...opts.daemon,
  });
  return { ...ends, wire, errors, keys, sid };
}

test("request and reply, both directions", async () => {
  const { ext, daemon } = await wired({
    extension: { onRequest: async (m) => ({ kind: "pong", body: { time: 42 } }) },
    daemon: {
      onRequest: async (m) =>
        m.kind === "echo" ? { kind: "echo.result", body: { data: m.body.data } } : { kind: "pong", body: { time: 1 } },
    },
  });
  const r = await ext.request("echo", { data: "hi ✓", mode: "echo" });
  assert.equal(r.kind, "echo.result");
  assert.equal(r.body.data, "hi ✓");
  const p = await daemon.request("ping", {});
  assert.deepEqual(p.body, { time: 42 });
  assert.equal(ext.pendingCount, 0);
});

test("an error reply rejects with RemoteError carrying the peer's code", async () => {
  const { ext } = await wired({
    daemon: { onRequest: async () => { throw new WebBridgeError(Codes.BUSY, "later"); } },
  });
  const err = await rejectsWith(() => ext.request("ping", {}), 4003);
  assert.ok(err instanceof RemoteError);
  assert.equal(err.remoteCode, 4004);
});

test("a request without handler gets unknown_kind; an unexpected exception becomes internal", async () => {
  const { ext } = await wired();
  const err = await rejectsWith(() => ext.request("ping", {}), 4003);
  assert.equal(/** @type {any} */ (err).remoteCode, 2001);
  const b = await wired({ daemon: { onRequest: async () => { throw new TypeError("bug"); } } });
  const e2 = await rejectsWith(() => b.ext.request("ping", {}), 4003);
  assert.equal(/** @type {any} */ (e2).remoteCode, 5003);
});

test("every pending request fails with channel_closed when the channel closes", async () => {
  const { ext, wire } = await wired();
  wire.hold = true;
  const pending = [ext.request("ping", {}), ext.request("echo", { data: "x", mode: "echo" }), ext.request("ping", {})];
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(ext.pendingCount, 3);
  ext.close(new WebBridgeError(Codes.CHANNEL_CLOSED, "port dropped"));
  for (const p of pending) await rejectsWith(() => p, 4002);
  assert.equal(ext.pendingCount, 0);
  await rejectsWith(() => ext.request("ping", {}), 4002);
  ext.close(); // idempotent
});

test("closing while a request is still being sealed fails it too", async () => {
  const { ext, wire } = await wired();
  wire.hold = true;
  const p = ext.request("ping", {});
  ext.close();
  await rejectsWith(() => p, 4002);
  assert.equal(wire.toDaemon.length, 0, "nothing is posted after close");
});

test("requests time out with 4001 and a late reply is dropped as unsolicited", async () => {
  const { ext, daemon, wire } = await wired({ extension: { defaultTimeoutMs: 20 } });
  wire.hold = true;
  const p = ext.request("ping", {});
  await rejectsWith(() => p, 4001);
  assert.equal(ext.stats.timeouts, 1);
  // Deliver the request now; the reply comes back after the deadline.
  const msg = await daemon.session.open(wire.toDaemon[0]);
  const late = await daemon.session.seal("pong", { time: 1 }, { replyTo: msg.id });
  await ext.receive(late.frame);
  assert.equal(ext.stats.unsolicited, 1);
});

test("a reply to no open request is dropped and counted, never answered", async () => {
  const { ext, daemon, wire } = await wired();
  wire.hold = true;
  const forged = await daemon.session.seal("pong", { time: 1 }, { replyTo: "nobody" });
  await ext.receive(forged.frame);
  assert.equal(ext.stats.unsolicited, 1);
  assert.equal(wire.toDaemon.length, 0);
});

test("in-flight requests are bounded (busy)", async () => {
  const { ext, wire } = await wired({ extension: { maxInFlight: 2 } });
  wire.hold = true;
  const a = ext.request("ping", {});
  const b = ext.request("ping", {});
  await rejectsWith(() => ext.request("ping", {}), 4004);
  ext.close();
  await rejectsWith(() => a, 4002);
  await rejectsWith(() => b, 4002);
});

test("incoming requests beyond the bound are answered busy", async () => {
  /** @type {(v: any) => void} */
  let release = () => {};
  const gate = new Promise((r) => { release = r; });
  const { ext, daemon } = await wired({
    extension: { maxInFlight: 1, onRequest: async () => { await gate; return { kind: "pong", body: { time: 1 } }; } },
  });
  const first = daemon.request("ping", {});
  const second = daemon.request("ping", {});
  const err = await rejectsWith(() => second, 4003);
  assert.equal(/** @type {any} */ (err).remoteCode, 4004);
  release(null);
  assert.equal((await first).kind, "pong");
  assert.ok(ext);
});

test("a reply of the wrong kind fails the request with invalid_message", async () => {
  const { ext } = await wired({ daemon: { onRequest: async () => ({ kind: "echo.result", body: { data: "x" } }) } });
  await rejectsWith(() => ext.request("ping", {}), 2002);
});

test("a fatal frame closes the channel, fails pending requests and rejects receive()", async () => {
  const { ext, daemon, wire } = await wired();
  wire.hold = true;
  const p = ext.request("ping", {});
  const f1 = (await daemon.session.seal("ping", {})).frame;
  await ext.receive(f1); // seq 1: fine (answered with unknown_kind: no handler)
  await rejectsWith(() => ext.receive(f1), 3003); // replay ends the session
  assert.equal(ext.closed, true);
  await rejectsWith(() => p, 4002);
});

test("a step-6 failure is answered with a sealed error and the channel goes on", async () => {
  const { ext, daemon, wire, keys, sid } = await wired();
  wire.hold = true;
  const forger = new Session({ sid, keys, role: "daemon", validate: false });
  const bad = await forger.seal("browser.info", { extra: 1 });
  await ext.receive(bad.frame);
  assert.equal(ext.closed, false);
  assert.equal(wire.toDaemon.length, 1);
  const answer = await daemon.session.open(wire.toDaemon[0]);
  assert.equal(answer.kind, "error");
  assert.equal(answer.body.code, 2002);
  assert.equal(answer.reply_to, bad.id);
});

test("frames received concurrently are opened in arrival order", async () => {
  const { ext, daemon, wire } = await wired({ extension: { onRequest: async () => ({ kind: "pong", body: { time: 1 } }) } });
  wire.hold = true;
  const frames = [];
  for (let i = 0; i < 30; i++) frames.push((await daemon.session.seal("ping", {})).frame);
  await Promise.all(frames.map((f) => ext.receive(f)));
  assert.equal(ext.session.recvSeq, 30);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(wire.toDaemon.length, 30);
  for (const f of wire.toDaemon) await daemon.session.open(f); // posted in sequence order
});

test("afterSend runs once the reply has been posted", async () => {
  const order = [];
  const { daemon } = await wired({
    extension: {
      onRequest: async () => ({ kind: "pong", body: { time: 1 }, afterSend: () => { order.push("after"); } }),
    },
  });
  await daemon.request("ping", {});
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(order, ["after"]);
});
