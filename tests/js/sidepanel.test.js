// The side panel's logic without a browser: the run reducer (order, gaps, text pieces, tool steps), the task
// tab choice, the context a right-click hands over, and the panel ports (sender check, event relay) against a
// small fake `chrome.runtime`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { contextOf, MENU_ID } from "../../extension/background/context_menu.js";
import { eventCounters, onDaemonEvent } from "../../extension/background/handlers/run_event.js";
import { onPanelConnect, panelCount, PANEL_PORT } from "../../extension/background/panel_ports.js";
import {
  applyEvent,
  applyEvents,
  describeContext,
  emptyRun,
  isFinished,
  pickTaskTab,
  shortArgs,
} from "../../extension/ui/run_model.js";

const ID = "jcnjbmkppfofcdpdbpdjdjhkdooekkno";
const ORIGIN = `chrome-extension://${ID}/`;

/** A recorded run: the sequence a side-panel task produces (the scripted model reads a page, answers). */
const RUN = [
  { type: "run.started", run_id: "r-1", seq: 1, time: 1, task: "Find the total", model: "scripted", tab_id: 7, source: "sidepanel" },
  { type: "model.text", run_id: "r-1", seq: 2, time: 2, step: 1, text: "Let me ", final: false },
  { type: "model.text", run_id: "r-1", seq: 3, time: 2, step: 1, text: "look.", final: false },
  { type: "model.text", run_id: "r-1", seq: 4, time: 3, step: 1, text: "Let me look.", final: true },
  { type: "tool.started", run_id: "r-1", seq: 5, time: 3, step: 1, call_id: "c1", tool: "page_snapshot", arguments: { tab_id: 7, mode: "default" } },
  { type: "tool.finished", run_id: "r-1", seq: 6, time: 4, step: 1, call_id: "c1", tool: "page_snapshot", ok: true, summary: "12 refs", duration_ms: 8.4, artifacts: [], error_code: null },
  { type: "tool.started", run_id: "r-1", seq: 7, time: 5, step: 1, call_id: "c2", tool: "screenshot", arguments: {} },
  { type: "tool.finished", run_id: "r-1", seq: 8, time: 6, step: 1, call_id: "c2", tool: "screenshot", ok: true, summary: "saved", duration_ms: 40, artifacts: ["/a/shot.png", "/a/page.pdf"], error_code: null },
  { type: "step.finished", run_id: "r-1", seq: 9, time: 6, step: 1, usage: {}, total_usage: {} },
  { type: "run.notice", run_id: "r-1", seq: 10, time: 6, level: "warning", message: "same action twice" },
  { type: "run.finished", run_id: "r-1", seq: 11, time: 7, outcome: "done", message: "The total is 42.", total_usage: {}, steps: 1, error_code: null },
];

test("a recorded run renders as text, steps with outcome and screenshots, a notice and the answer", () => {
  let view = emptyRun("r-1");
  for (const e of RUN) view = applyEvent(view, e);
  assert.equal(view.status, "done");
  assert.equal(view.answer, "The total is 42.");
  assert.equal(view.tab_id, 7);
  assert.equal(view.lastSeq, 11);
  assert.ok(isFinished(view));
  assert.deepEqual(view.items.map((i) => i.kind), ["text", "tool", "tool", "notice"]);
  assert.deepEqual(view.items[0], { kind: "text", step: 1, text: "Let me look.", done: true });
  const [snap, shot] = /** @type {any[]} */ (view.items.slice(1, 3));
  assert.equal(snap.state, "ok");
  assert.equal(snap.args, "tab_id=7, mode=default");
  assert.equal(snap.summary, "12 refs");
  assert.deepEqual(shot.images, ["/a/shot.png"]);
  assert.deepEqual(shot.files, ["/a/page.pdf"]);
});

test("events apply strictly in seq order: duplicates and early events change nothing", () => {
  let view = emptyRun("r-1");
  view = applyEvent(view, RUN[0]);
  assert.equal(applyEvent(view, RUN[0]), view, "duplicate");
  assert.equal(applyEvent(view, RUN[4]), view, "a gap before it");
  assert.equal(applyEvent(view, { ...RUN[1], run_id: "r-2" }), view, "another run");
  const { view: filled, waiting } = applyEvents(view, [RUN[5], RUN[4], RUN[7]]);
  assert.equal(filled.lastSeq, 1, "seq 2 is missing: nothing after it applies");
  assert.deepEqual(waiting.map((e) => e.seq).sort((a, b) => a - b), [5, 6, 8]);
  const after = applyEvents(filled, [...waiting, RUN[1], RUN[2], RUN[3], RUN[6], RUN[1]]);
  assert.equal(after.view.lastSeq, 8);
  assert.deepEqual(after.waiting, []);
});

test("a panel that joined mid-turn shows the whole text once it is final", () => {
  let view = emptyRun("r-1");
  view = applyEvents(view, RUN.slice(0, 1)).view;
  // The pieces were missed: only the final text arrives (seq 2 here).
  view = applyEvent(view, { ...RUN[3], seq: 2 });
  assert.deepEqual(view.items, [{ kind: "text", step: 1, text: "Let me look.", done: true }]);
});

test("a run stopped mid-step marks the unfinished call and ends cancelled", () => {
  let view = emptyRun("r-1");
  for (const e of RUN.slice(0, 7)) view = applyEvent(view, e);
  assert.equal(/** @type {any} */ (view.items[2]).state, "running");
  assert.ok(!isFinished(view));
  view = applyEvent(view, { type: "run.finished", run_id: "r-1", seq: 8, time: 9, outcome: "cancelled", message: "stopped by the user", total_usage: {}, steps: 1, error_code: 7056 });
  assert.equal(view.status, "cancelled");
  assert.equal(view.error_code, 7056);
  assert.equal(/** @type {any} */ (view.items[2]).state, "error");
  assert.ok(isFinished(view));
});

test("short arguments cut long values and lines", () => {
  assert.equal(shortArgs({ text: "x".repeat(50), n: 3 }), `text=${"x".repeat(30)}…, n=3`);
  assert.equal(shortArgs(null), "");
  assert.ok(shortArgs(Object.fromEntries([...Array(20)].map((_, i) => [`k${i}`, "value"]))).length <= 80);
});

test("the task tab is the active web tab, else the most recent web tab, never our own page", () => {
  const tabs = [
    { id: 1, url: "https://a.test/", active: false, lastAccessed: 10 },
    { id: 2, url: "https://b.test/", active: false, lastAccessed: 30 },
    { id: 3, url: `${ORIGIN}ui/sidepanel.html`, active: true, lastAccessed: 40 },
    { id: 4, url: "chrome://settings/", active: false, lastAccessed: 50 },
  ];
  assert.equal(pickTaskTab(tabs, ORIGIN), 2);
  assert.equal(pickTaskTab(tabs.map((t) => ({ ...t, active: t.id === 1 })), ORIGIN), 1);
  assert.equal(pickTaskTab([tabs[2], tabs[3]], ORIGIN), null);
});

test("a right-click hands over what was clicked; selection beats link beats image beats page", () => {
  const tab = /** @type {any} */ ({ id: 9, url: "https://shop.test/item", title: "Item" });
  const base = { menuItemId: MENU_ID, editable: false, pageUrl: "https://shop.test/item" };
  assert.deepEqual(contextOf(/** @type {any} */ ({ ...base, selectionText: "42 EUR", linkUrl: "https://x.test/" }), tab), {
    what: "selection", page_url: "https://shop.test/item", page_title: "Item", selection: "42 EUR", link_url: null, image_url: null,
  });
  assert.equal(contextOf(/** @type {any} */ ({ ...base, linkUrl: "https://x.test/" }), tab).link_url, "https://x.test/");
  const image = contextOf(/** @type {any} */ ({ ...base, srcUrl: "https://shop.test/p.png", mediaType: "image" }), tab);
  assert.deepEqual([image.what, image.image_url], ["image", "https://shop.test/p.png"]);
  assert.equal(contextOf(/** @type {any} */ (base), tab).what, "page");
  assert.equal(contextOf(/** @type {any} */ ({ ...base, selectionText: "y".repeat(30_000) }), tab).selection?.length, 20_000);
  assert.equal(describeContext(image), "Image: https://shop.test/p.png");
  assert.equal(describeContext(contextOf(/** @type {any} */ (base), tab)), "Page: Item — https://shop.test/item");
});

/** A fake port and `chrome.runtime` just big enough for panel_ports.js. */
function fakePort(name, sender) {
  const port = {
    name, sender, posted: /** @type {unknown[]} */ ([]), disconnected: false,
    /** @type {Array<() => void>} */ onDisc: [],
    postMessage(/** @type {unknown} */ m) { if (this.disconnected) throw new Error("closed"); this.posted.push(m); },
    disconnect() { this.disconnected = true; },
    onDisconnect: { addListener(/** @type {() => void} */ f) { port.onDisc.push(f); } },
  };
  return port;
}

test("only our own pages may open a panel port; run events reach every open panel", () => {
  globalThis.chrome = /** @type {any} */ ({ runtime: { id: ID, getURL: (/** @type {string} */ p) => ORIGIN + p } });
  const panel = fakePort(PANEL_PORT, { id: ID, url: `${ORIGIN}ui/sidepanel.html` });
  const page = fakePort(PANEL_PORT, { id: ID, url: "https://evil.test/", tab: { id: 1 } });
  const other = fakePort("something-else", { id: ID, url: `${ORIGIN}ui/sidepanel.html` });
  onPanelConnect(/** @type {any} */ (panel));
  onPanelConnect(/** @type {any} */ (page));
  onPanelConnect(/** @type {any} */ (other));
  assert.equal(panelCount(), 1);
  assert.ok(page.disconnected, "a content script's port is closed at once");
  const before = eventCounters.run_events;
  onDaemonEvent(/** @type {any} */ ({ kind: "run.event", body: { event: RUN[0] } }));
  onDaemonEvent(/** @type {any} */ ({ kind: "something.else", body: {} }));
  assert.deepEqual(panel.posted, [{ type: "run.event", event: RUN[0] }]);
  assert.deepEqual(page.posted, []);
  assert.equal(eventCounters.run_events, before + 1);
  panel.onDisc.forEach((f) => f());
  assert.equal(panelCount(), 0);
});
