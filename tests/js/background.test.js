// The background modules' pure parts (no browser): sender checks, routing, browser detection, back-off,
// and the native link against a fake `chrome.runtime.connectNative`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { detectBrowser } from "../../extension/background/handlers/browser_info.js";
import { ping } from "../../extension/background/handlers/ping.js";
import { Backoff, NativeLink, HOST_NAME } from "../../extension/background/native.js";
import { createDaemonRouter, isOwnPage, routeUiMessage } from "../../extension/background/router.js";
import { bridgeLabel } from "../../extension/background/conn.js";
import { rejectsWith } from "./helpers.js";

const ID = "jcnjbmkppfofcdpdbpdjdjhkdooekkno";
const SELF = { id: ID, origin: `chrome-extension://${ID}/` };

test("only our own extension pages pass the sender check", () => {
  const popup = { id: ID, url: `chrome-extension://${ID}/ui/popup.html` };
  assert.equal(isOwnPage(popup, SELF.id, SELF.origin), true);
  assert.equal(isOwnPage({ id: ID, url: "https://evil.example/", tab: /** @type {any} */ ({ id: 1 }) }, SELF.id, SELF.origin), false, "content script");
  assert.equal(isOwnPage({ id: "abcdefghijklmnopabcdefghijklmnop", url: `chrome-extension://abcdefghijklmnopabcdefghijklmnop/x.html` }, SELF.id, SELF.origin), false);
  assert.equal(isOwnPage({ id: ID, url: `chrome-extension://${ID}.evil/` }, SELF.id, SELF.origin), false);
  assert.equal(isOwnPage({ id: ID }, SELF.id, SELF.origin), false, "no url");
  assert.equal(isOwnPage(undefined, SELF.id, SELF.origin), false);
  assert.equal(isOwnPage({ id: ID, url: "chrome-extension://" }, SELF.id, "chrome-extension://"), false, "empty origin");
});

test("UI messages are checked before dispatch; unknown types are refused", async () => {
  let called = 0;
  const actions = { status: async () => { called++; return { connection: "connected" }; } };
  const popup = { id: ID, url: `chrome-extension://${ID}/ui/popup.html` };
  assert.deepEqual(await routeUiMessage({ type: "status" }, popup, actions, SELF), { ok: true, result: { connection: "connected" } });
  const refused = await routeUiMessage({ type: "status" }, { id: ID, url: "https://x.test/" }, actions, SELF);
  assert.equal(refused.ok, false);
  assert.equal(/** @type {any} */ (refused).error.code, 3010);
  assert.equal(called, 1, "the refused message reached no action");
  const unknown = await routeUiMessage({ type: "__proto__" }, popup, actions, SELF);
  assert.equal(/** @type {any} */ (unknown).error.code, 2001);
  const junk = await routeUiMessage("status", popup, actions, SELF);
  assert.equal(junk.ok, false);
});

test("UI action errors come back as wire errors", async () => {
  const popup = { id: ID, url: `chrome-extension://${ID}/ui/popup.html` };
  const res = await routeUiMessage({ type: "boom" }, popup, { boom: async () => { throw new Error("x"); } }, SELF);
  assert.deepEqual(res, { ok: false, error: { code: 5003, name: "internal", message: "x" } });
});

test("daemon requests route by kind; unknown kinds are refused with 2001", async () => {
  const route = createDaemonRouter({ "key.rotate": async () => ({ kind: "key.rotated", body: { pk: "x" } }) });
  const msg = (kind) => ({ id: "d1", reply_to: null, kind, body: {}, seq: 1, ts: 0 });
  assert.equal((await route(msg("ping"))).kind, "pong");
  assert.equal((await route(msg("key.rotate"))).kind, "key.rotated");
  await rejectsWith(() => route(msg("shell.exec")), 2001);
  await rejectsWith(() => route(msg("constructor")), 2001);
});

test("ping answers with our clock", async () => {
  assert.deepEqual(await ping(() => 1234.4), { kind: "pong", body: { time: 1234 } });
});

test("browser detection from brands, navigator.brave and the user agent", () => {
  const ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
  const grease = { brand: "Not)A;Brand", version: "99" };
  assert.deepEqual(
    detectBrowser({ brands: [grease, { brand: "Chromium", version: "156" }], userAgent: ua }),
    { name: "Chromium", version: "156", user_agent: ua },
  );
  assert.equal(detectBrowser({ brands: [{ brand: "Chromium", version: "156" }, { brand: "Google Chrome", version: "156" }], userAgent: ua }).name, "Chrome");
  assert.equal(detectBrowser({ brands: [{ brand: "Chromium", version: "156" }, { brand: "Microsoft Edge", version: "156" }], userAgent: ua }).name, "Edge");
  assert.equal(detectBrowser({ brands: [{ brand: "Chromium", version: "156" }, { brand: "Brave", version: "156" }], userAgent: ua }).name, "Brave");
  assert.deepEqual(detectBrowser({ brands: [{ brand: "Chromium", version: "156" }], isBrave: true, userAgent: ua }).name, "Brave");
  const full = detectBrowser({
    brands: [{ brand: "Google Chrome", version: "156" }],
    fullVersionList: [{ brand: "Google Chrome", version: "156.0.7000.12" }],
    userAgent: ua,
  });
  assert.equal(full.version, "156.0.7000.12");
  assert.deepEqual(detectBrowser({ userAgent: ua }), { name: "Chromium", version: "156.0.0.0", user_agent: ua });
  assert.equal(detectBrowser({ userAgent: `${ua} Edg/156.0.1.2` }).name, "Edge");
});

test("bridge labels are CLI-friendly slugs", () => {
  assert.equal(bridgeLabel({ name: "Chromium", version: "1", user_agent: "" }, "Default"), "chromium-default");
  assert.equal(bridgeLabel({ name: "Edge", version: "1", user_agent: "" }, "Work — laptop"), "edge-work-laptop");
});

test("back-off: 50 ms doubling to a 5 s cap, reset after a session opens", () => {
  const b = new Backoff();
  const delays = Array.from({ length: 10 }, () => b.take());
  assert.deepEqual(delays, [50, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  b.reset();
  assert.equal(b.take(), 50);
});

/** A fake `chrome.runtime` port for the native link. */
function fakeChrome() {
  /** @type {any} */
  const state = { posted: [], connects: [], lastError: undefined, msgListeners: [], discListeners: [], disconnected: false };
  const port = {
    postMessage: (m) => {
      if (state.disconnected) throw new Error("Attempting to use a disconnected port object");
      state.posted.push(m);
    },
    disconnect: () => { state.disconnected = true; },
    onMessage: { addListener: (f) => state.msgListeners.push(f) },
    onDisconnect: { addListener: (f) => state.discListeners.push(f) },
  };
  globalThis.chrome = /** @type {any} */ ({
    runtime: {
      connectNative: (name) => { state.connects.push(name); return port; },
      get lastError() { return state.lastError; },
    },
  });
  return state;
}

test("the native link delivers frames, reports the disconnect reason once, and stays closed", () => {
  const fake = fakeChrome();
  const frames = [];
  const reasons = [];
  const link = new NativeLink({ onFrame: (f) => frames.push(f), onDisconnect: (m) => reasons.push(m) });
  link.open();
  assert.deepEqual(fake.connects, [HOST_NAME]);
  assert.equal(link.post({ a: 1 }), true);
  fake.msgListeners[0]({ v: 1 });
  assert.deepEqual(frames, [{ v: 1 }]);
  fake.lastError = { message: "Specified native messaging host not found." };
  fake.discListeners[0]();
  assert.deepEqual(reasons, ["Specified native messaging host not found."]);
  assert.equal(link.closed, true);
  assert.equal(link.post({ a: 2 }), false);
  fake.msgListeners[0]({ v: 2 });
  assert.equal(frames.length, 1, "nothing after close");
});

test("closing the link ourselves reports nothing; a refused postMessage reports once", () => {
  const fake = fakeChrome();
  const reasons = [];
  const link = new NativeLink({ onFrame: () => {}, onDisconnect: (m) => reasons.push(m) });
  link.open();
  link.close();
  assert.equal(fake.disconnected, true);
  fake.discListeners[0]();
  assert.deepEqual(reasons, []);

  const fake2 = fakeChrome();
  const link2 = new NativeLink({ onFrame: () => {}, onDisconnect: (m) => reasons.push(m) });
  link2.open();
  fake2.disconnected = true;
  assert.equal(link2.post({}), false);
  assert.equal(reasons.length, 1);
  assert.match(reasons[0], /could not send/);
});
