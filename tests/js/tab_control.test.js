// Visible control in the background, against a fake chrome (storage.session, tabs, tabGroups): which runs
// control a tab (state.js), one tab group per run (run_groups.js), and which run's page opened a tab.
import assert from "node:assert/strict";
import { test } from "node:test";

import { joinRunGroup } from "../../extension/background/run_groups.js";
import {
  addTabRun,
  forgetOpenedBy,
  getOpenedBy,
  getRunGroup,
  getTabRuns,
  recordOpenedBy,
  removeTabRun,
  setRunGroup,
} from "../../extension/background/state.js";
import { describeTab } from "../../extension/background/tab_info.js";

function fakeChrome() {
  /** @type {Record<string, unknown>} */
  const session = {};
  /** @type {Map<number, {id: number, windowId: number, groupId: number}>} */
  const tabs = new Map();
  /** @type {Map<number, {id: number, windowId: number, title: string}>} */
  const groups = new Map();
  let nextGroup = 100;
  const chrome = {
    storage: {
      session: {
        /** @param {string} key */
        async get(key) {
          return key in session ? { [key]: structuredClone(session[key]) } : {};
        },
        /** @param {Record<string, unknown>} items */
        async set(items) {
          for (const [k, v] of Object.entries(items)) session[k] = structuredClone(v);
        },
      },
    },
    tabs: {
      /** @param {number} id */
      async get(id) {
        const tab = tabs.get(id);
        if (!tab) throw new Error(`No tab with id: ${id}.`);
        return { ...tab };
      },
      /** @param {{tabIds: number[], groupId?: number, createProperties?: {windowId: number}}} opts */
      async group({ tabIds, groupId, createProperties }) {
        let id = groupId;
        if (id === undefined) {
          id = nextGroup++;
          groups.set(id, { id, windowId: /** @type {any} */ (createProperties).windowId, title: "" });
        } else if (!groups.has(id)) {
          throw new Error(`No group with id: ${id}.`);
        }
        for (const t of tabIds) /** @type {any} */ (tabs.get(t)).groupId = id;
        return id;
      },
    },
    tabGroups: {
      /** @param {number} id */
      async get(id) {
        const g = groups.get(id);
        if (!g) throw new Error(`No group with id: ${id}.`);
        return { ...g };
      },
      /** @param {number} id @param {{title: string}} props */
      async update(id, { title }) {
        /** @type {any} */ (groups.get(id)).title = title;
      },
    },
  };
  globalThis.chrome = /** @type {any} */ (chrome);
  /** @param {number} id @param {number} windowId */
  const addTab = (id, windowId = 1) => tabs.set(id, { id, windowId, groupId: -1 });
  return { session, tabs, groups, addTab };
}

test("the runs controlling a tab are recorded, with the label, and forgotten one by one", async () => {
  const { session } = fakeChrome();
  assert.deepEqual(await getTabRuns(), {});
  await addTabRun(5, "r-1", "WebBridge: Book a flight");
  await addTabRun(5, "r-1", null); // idempotent; the label stays
  await addTabRun(5, "r-2", null);
  await addTabRun(6, "r-2", "WebBridge: other");
  assert.deepEqual(await getTabRuns(), {
    5: { runs: ["r-1", "r-2"], label: "WebBridge: Book a flight" },
    6: { runs: ["r-2"], label: "WebBridge: other" },
  });
  assert.deepEqual(await removeTabRun(5, "r-1"), { removed: ["r-1"], left: ["r-2"] });
  assert.deepEqual(await removeTabRun(5, "r-9"), { removed: [], left: ["r-2"] });
  assert.deepEqual(await removeTabRun(5, "r-2"), { removed: ["r-2"], left: [] });
  assert.ok(!("5" in /** @type {any} */ (session.tab_runs)), "a tab no run controls is dropped");
  assert.deepEqual(await removeTabRun(6, null), { removed: ["r-2"], left: [] });
  assert.deepEqual(await removeTabRun(7, null), { removed: [], left: [] });
});

test("concurrent updates of two tabs do not lose each other", async () => {
  fakeChrome();
  await Promise.all([addTabRun(1, "r-a", null), addTabRun(2, "r-b", null), addTabRun(1, "r-c", null)]);
  assert.deepEqual(Object.fromEntries(Object.entries(await getTabRuns()).map(([k, v]) => [k, v.runs])), {
    1: ["r-a", "r-c"],
    2: ["r-b"],
  });
});

test("one tab group per run, titled after the task; a closed or far-away group is made anew", async () => {
  const { tabs, groups, addTab } = fakeChrome();
  for (const id of [1, 2, 3, 4]) addTab(id);
  addTab(5, 2); // another window
  const [g1, g2] = await Promise.all([joinRunGroup(1, "r-1", "Book a flight"), joinRunGroup(2, "r-1", "Book a flight")]);
  assert.equal(g1, g2, "two tabs opened at once share the run's group");
  assert.equal(groups.get(g1)?.title, "Book a flight");
  // Another run with the same task gets its own group.
  const g3 = await joinRunGroup(3, "r-2", "Book a flight");
  assert.notEqual(g3, g1);
  assert.equal(await getRunGroup("r-2"), g3);
  // The user closed the run's group: the next tab makes a new one.
  groups.delete(g1);
  const g4 = await joinRunGroup(4, "r-1", "Book a flight");
  assert.ok(g4 !== g1 && groups.get(g4)?.title === "Book a flight");
  // A tab in another window cannot join a group of the first window.
  const g5 = await joinRunGroup(5, "r-1", "Book a flight");
  assert.equal(groups.get(g5)?.windowId, 2);
  assert.deepEqual([1, 2, 3, 4, 5].map((t) => tabs.get(t)?.groupId), [g1, g1, g3, g4, g5]);
  await assert.rejects(joinRunGroup(99, "r-1", "x"), /No tab with id/);
});

test("the run → group map keeps only the newest entries", async () => {
  const { session } = fakeChrome();
  for (let i = 0; i < 70; i++) await setRunGroup(`r-${i}`, i);
  const kept = Object.keys(/** @type {Record<string, number>} */ (session.run_groups));
  assert.equal(kept.length, 64);
  assert.equal(await getRunGroup("r-0"), null);
  assert.equal(await getRunGroup("r-69"), 69);
  await setRunGroup("r-10", 1000); // re-set: becomes the newest
  assert.equal(Object.keys(/** @type {Record<string, number>} */ (session.run_groups)).at(-1), "r-10");
});

test("a tab opened from a tab one run controls is that run's; from the user's own tab it is nobody's", async () => {
  const { session } = fakeChrome();
  // The user opened tab 20 from tab 5 before any run worked there.
  assert.equal(await recordOpenedBy(20, 5), null);
  await addTabRun(5, "r-1", "WebBridge: Read");
  // The run's page opened tab 21 (and a frame of it opened tab 22).
  assert.equal(await recordOpenedBy(21, 5), "r-1");
  assert.equal(await recordOpenedBy(22, 5), "r-1");
  // Two runs in the source tab: which one clicked cannot be told.
  await addTabRun(6, "r-1", null);
  await addTabRun(6, "r-2", null);
  assert.equal(await recordOpenedBy(23, 6), null);
  // The run let go of tab 5: what its page opens from now on is the user's.
  await removeTabRun(5, "r-1");
  assert.equal(await recordOpenedBy(24, 5), null);
  assert.deepEqual(await getOpenedBy(), { 21: "r-1", 22: "r-1" });
  await forgetOpenedBy(21);
  await forgetOpenedBy(99); // idempotent
  assert.deepEqual(session.opened_by, { 22: "r-1" });
});

test("a creation seen before a tab list is in it, and the record keeps only the newest tabs", async () => {
  fakeChrome();
  await addTabRun(1, "r-1", null);
  const recorded = Array.from({ length: 300 }, (_, i) => recordOpenedBy(100 + i, 1));
  const seen = await getOpenedBy(); // asked before any write finished: answered after all of them
  await Promise.all(recorded);
  assert.equal(Object.keys(seen).length, 256);
  assert.equal(seen["399"], "r-1");
  assert.ok(!("143" in seen) && seen["144"] === "r-1", "the oldest are dropped");
});

test("the tab description carries the opening run only when there is one", () => {
  const tab = /** @type {any} */ ({ id: 5, windowId: 2, url: "https://a.test/", title: "A", active: true });
  assert.deepEqual(describeTab(tab), { id: 5, window_id: 2, url: "https://a.test/", title: "A", active: true });
  assert.deepEqual(describeTab(tab, "r-1"), {
    id: 5, window_id: 2, url: "https://a.test/", title: "A", active: true, opened_by_run: "r-1",
  });
});
