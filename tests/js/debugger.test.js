// debugger.js against a fake chrome.debugger: one attach for concurrent callers, event fan-out per tab,
// holds that keep the attachment, detach (user, tab closed, idle) telling listeners and clearing state, and
// attach failures typed as 6007.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as dbg from "../../extension/background/debugger.js";

/** A fake chrome event: addListener / removeListener / fire. */
function fakeEvent() {
  /** @type {Set<Function>} */
  const fns = new Set();
  return {
    fns,
    /** @param {Function} f */ addListener: (f) => fns.add(f),
    /** @param {Function} f */ removeListener: (f) => fns.delete(f),
    /** @param {unknown[]} args */ fire: (...args) => [...fns].forEach((f) => f(...args)),
  };
}

// One fake for the whole file: debugger.js registers its Chrome listeners once per service worker.
const onEvent = fakeEvent();
const onDetach = fakeEvent();
/** @type {{attach: number[], detach: number[], commands: [number, string, unknown][], refuse: Set<number>}} */
const log = { attach: [], detach: [], commands: [], refuse: new Set() };
/** @type {Set<number>} */
const attachedNow = new Set();
/** @type {any} */ (globalThis).chrome = {
  debugger: {
    onEvent,
    onDetach,
    /** @param {{tabId: number}} t */
    async attach(t) {
      await Promise.resolve();
      if (log.refuse.has(t.tabId)) throw new Error("Another debugger is already attached to the tab with id: " + t.tabId);
      log.attach.push(t.tabId);
      attachedNow.add(t.tabId);
    },
    /** @param {{tabId: number}} t */
    async detach(t) {
      log.detach.push(t.tabId);
      attachedNow.delete(t.tabId);
    },
    /** @param {{tabId: number}} t @param {string} method @param {unknown} params */
    async sendCommand(t, method, params) {
      if (!attachedNow.has(t.tabId)) throw new Error("Debugger is not attached to the tab with id: " + t.tabId);
      log.commands.push([t.tabId, method, params]);
      if (method === "Fail.please") throw new Error("boom");
      return { echoed: method };
    },
  },
};

test("concurrent callers share one attach; send returns the command's result", async () => {
  await Promise.all([dbg.ensureAttached(1), dbg.ensureAttached(1), dbg.send(1, "Page.enable")]);
  assert.deepEqual(log.attach, [1]);
  assert.ok(dbg.isAttached(1));
  assert.deepEqual(await dbg.send(1, "Runtime.evaluate", { expression: "1" }), { echoed: "Runtime.evaluate" });
  const err = await dbg.send(1, "Fail.please").catch((e) => e);
  assert.equal(err.code, 6007);
  assert.match(err.message, /Fail\.please failed: boom/);
  await dbg.detach(1);
});

test("events fan out to the listeners of their tab and method only", async () => {
  await dbg.ensureAttached(2);
  /** @type {unknown[]} */
  const got = [];
  const off = dbg.onEvent(2, "Page.loadEventFired", (p) => got.push(["a", p]));
  dbg.onEvent(2, "Page.loadEventFired", () => {
    throw new Error("a broken listener");
  });
  dbg.onEvent(2, "Page.loadEventFired", (p) => got.push(["b", p]));
  const origError = console.error;
  console.error = () => undefined;
  try {
    onEvent.fire({ tabId: 2 }, "Page.loadEventFired", { n: 1 });
    onEvent.fire({ tabId: 3 }, "Page.loadEventFired", { n: 2 });
    onEvent.fire({ tabId: 2 }, "Other.event", { n: 3 });
    off();
    off();
    onEvent.fire({ tabId: 2 }, "Page.loadEventFired", { n: 4 });
  } finally {
    console.error = origError;
  }
  assert.deepEqual(got, [["a", { n: 1 }], ["b", { n: 1 }], ["b", { n: 4 }]]);
  await dbg.detach(2);
});

test("a detach by Chrome tells listeners once, clears state, and stale releases do nothing", async () => {
  const release = await dbg.hold(4);
  /** @type {string[]} */
  const reasons = [];
  dbg.onDetach(4, (r) => reasons.push(r));
  let events = 0;
  dbg.onEvent(4, "Log.entryAdded", () => events++);
  onDetach.fire({ tabId: 4 }, "canceled_by_user");
  onDetach.fire({ tabId: 4 }, "canceled_by_user");
  assert.deepEqual(reasons, ["canceled_by_user"]);
  assert.equal(dbg.isAttached(4), false);
  onEvent.fire({ tabId: 4 }, "Log.entryAdded", {});
  assert.equal(events, 0, "listeners are cleared with the state");
  release();
  release();
  // Attaching again starts fresh: no holds carried over, so the idle timer runs.
  attachedNow.delete(4);
  await dbg.ensureAttached(4);
  assert.equal(log.attach.filter((t) => t === 4).length, 2);
  await dbg.detach(4);
  assert.ok(log.detach.includes(4));
});

test("a refused attach is 6007 and leaves nothing attached", async () => {
  log.refuse.add(5);
  /** @type {string[]} */
  const reasons = [];
  dbg.onDetach(5, (r) => reasons.push(r));
  const err = await dbg.hold(5).catch((e) => e);
  assert.equal(err.code, 6007);
  assert.match(err.message, /cannot attach/);
  assert.equal(dbg.isAttached(5), false);
  assert.deepEqual(reasons, ["attach_failed"]);
});

test("idle detach waits for every holder to release", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const r1 = await dbg.hold(6);
  const r2 = await dbg.hold(6);
  /** @type {string[]} */
  const reasons = [];
  dbg.onDetach(6, (r) => reasons.push(r));
  t.mock.timers.tick(dbg.IDLE_MS * 3);
  assert.ok(dbg.isAttached(6), "held: no idle detach");
  r1();
  r1(); // a second call of the same release must not drop the other holder's count
  t.mock.timers.tick(dbg.IDLE_MS * 3);
  assert.ok(dbg.isAttached(6), "still held by the second holder");
  r2();
  t.mock.timers.tick(dbg.IDLE_MS - 1);
  assert.ok(dbg.isAttached(6));
  t.mock.timers.tick(1);
  assert.deepEqual(reasons, ["idle"]);
  assert.equal(dbg.isAttached(6), false);
});
