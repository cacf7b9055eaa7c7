// The browser-control background modules' pure parts, against small fakes of the chrome.* APIs they use:
// tab filters and descriptions, event waits (settle once, time out, always unsubscribe), the Stop event's
// sender check, and the controlled-tab records.
import assert from "node:assert/strict";
import { test } from "node:test";

import { onContentMessage } from "../../extension/background/agent_tabs.js";
import { filterTabs } from "../../extension/background/handlers/tabs_list.js";
import { getControlledTabs, readStopRequests, setControlledTab } from "../../extension/background/state.js";
import { describeTab, tabApiError } from "../../extension/background/tab_info.js";
import { eventWait } from "../../extension/background/tab_waits.js";

const ID = "jcnjbmkppfofcdpdbpdjdjhkdooekkno";

function fakeChrome() {
  /** @type {Record<string, unknown>} */
  const data = {};
  const session = {
    /** @param {string} key */
    async get(key) {
      return key in data ? { [key]: structuredClone(data[key]) } : {};
    },
    /** @param {Record<string, unknown>} items */
    async set(items) {
      for (const [k, v] of Object.entries(items)) data[k] = structuredClone(v);
    },
  };
  return { runtime: { id: ID }, storage: { session }, data };
}

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

const TABS = [
  { id: 1, window_id: 1, url: "https://mail.example/inbox", title: "Inbox (3)", active: true },
  { id: 2, window_id: 1, url: "https://bank.example/", title: "My Bank", active: false },
];

test("tabs.list filters: case-insensitive substrings, both must match", () => {
  assert.deepEqual(filterTabs(TABS, {}).map((t) => t.id), [1, 2]);
  assert.deepEqual(filterTabs(TABS, { title: "INBOX" }).map((t) => t.id), [1]);
  assert.deepEqual(filterTabs(TABS, { url: "bank", title: "inbox" }), []);
  assert.deepEqual(filterTabs(TABS, { url: null, title: "bank" }).map((t) => t.id), [2]);
});

test("a loading tab is described by its pending URL; tab API failures are typed", () => {
  const t = describeTab(/** @type {any} */ ({ id: 5, windowId: 2, url: "", pendingUrl: "https://a.test/", title: "", active: false }));
  assert.deepEqual(t, { id: 5, window_id: 2, url: "https://a.test/", title: "", active: false });
  assert.equal(tabApiError(new Error("No tab with id: 5."), 5).code, 6005);
  assert.equal(tabApiError(new Error("Cannot find a next page in history."), 5).code, 6007);
});

test("eventWait settles once, unsubscribes, and times out with the given error", async () => {
  const ev = fakeEvent();
  const w = eventWait((done) => {
    ev.addListener(done);
    return () => ev.removeListener(done);
  }, 1_000, () => new Error("late"));
  assert.equal(ev.fns.size, 1);
  ev.fire("first");
  ev.fire("second");
  assert.equal(await w.promise, "first");
  assert.equal(ev.fns.size, 0);

  const ev2 = fakeEvent();
  const t = eventWait((done) => {
    ev2.addListener(done);
    return () => ev2.removeListener(done);
  }, 20, () => Object.assign(new Error("too slow"), { code: 6006 }));
  await assert.rejects(t.promise, /too slow/);
  assert.equal(ev2.fns.size, 0);

  const ev3 = fakeEvent();
  const c = eventWait((done) => {
    ev3.addListener(done);
    return () => ev3.removeListener(done);
  }, 20, () => new Error("x"));
  c.cancel();
  assert.equal(ev3.fns.size, 0, "cancel removes the listeners (and the timer: the test would hang otherwise)");

  const sync = eventWait((done) => {
    done("now");
    return () => undefined;
  }, 1_000, () => new Error("x"));
  assert.equal(await sync.promise, "now");
});

test("only our own content script in a tab's top frame can report Stop", async () => {
  const fake = fakeChrome();
  /** @type {any} */ (globalThis).chrome = fake;
  try {
    const msg = { wbe: 1, event: "indicator.stop" };
    const tab = /** @type {any} */ ({ id: 7, url: "https://a.test/" });
    const refused = [
      [msg, { id: "abcdefghijklmnopabcdefghijklmnop", tab, frameId: 0, url: "https://a.test/" }], // other extension
      [msg, { id: ID, frameId: 0, url: `chrome-extension://${ID}/ui/popup.html` }], // our page, not a tab
      [msg, { id: ID, tab, frameId: 3, url: "https://ads.test/" }], // a subframe
      [{ wbe: 1, event: "something.else" }, { id: ID, tab, frameId: 0 }],
      ["indicator.stop", { id: ID, tab, frameId: 0 }],
    ];
    for (const [m, sender] of refused) assert.equal(onContentMessage(m, /** @type {any} */ (sender)), false);
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(await readStopRequests(), []);

    await setControlledTab(7, true);
    assert.deepEqual(Object.keys(await getControlledTabs()), ["7"]);
    assert.equal(onContentMessage(msg, /** @type {any} */ ({ id: ID, tab, frameId: 0, url: "https://a.test/x" })), false);
    await new Promise((r) => setTimeout(r, 10));
    const [stop] = await readStopRequests();
    assert.equal(stop.tab_id, 7);
    assert.equal(stop.url, "https://a.test/x");
    assert.deepEqual(await getControlledTabs(), {}, "the stopped tab is released");
  } finally {
    delete (/** @type {any} */ (globalThis).chrome);
  }
});
