// The page I/O modules' logic against small fakes of the chrome.* APIs: the bounded log, the webRequest
// tracker and its network-idle wait, the network and console logs, dialogs and the tab guard (6020/6021),
// evaluate's result checks, and page text's frame stitching.
import assert from "node:assert/strict";
import { mock, test } from "node:test";

import { Ring } from "../../extension/background/ring.js";
import { stitchText } from "../../extension/background/text_stitch.js";
import { argText, cut, fromConsoleApi, fromException, fromLogEntry, MAX_TEXT, readConsole, replayEarlier } from "../../extension/background/console_log.js";
import { describeDialog, fromOpening } from "../../extension/background/dialogs.js";
import { settleOutcome } from "../../extension/background/handlers/page_evaluate.js";
import { WebBridgeError } from "../../extension/protocol/errors.js";

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

function fakeChrome() {
  const wr = Object.fromEntries(
    ["onBeforeRequest", "onSendHeaders", "onHeadersReceived", "onBeforeRedirect", "onCompleted", "onErrorOccurred"].map((n) => [n, fakeEvent()]),
  );
  /** @type {Array<[string, Record<string, unknown>]>} */
  const commands = [];
  const debuggerApi = {
    onEvent: fakeEvent(),
    onDetach: fakeEvent(),
    attach: async () => undefined,
    detach: async () => undefined,
    /** @param {unknown} _t @param {string} method @param {Record<string, unknown>} params */
    sendCommand: async (_t, method, params) => {
      commands.push([method, params]);
      return {};
    },
  };
  /** @type {any[]} */
  const scripts = [];
  const scripting = {
    /** what `leaveGuarded`'s probe answers in every frame */
    leaveAnswer: false,
    /** @type {any[]} */
    registered: [],
    /** @param {any} opts */
    executeScript: async (opts) => {
      scripts.push(opts);
      return [{ frameId: 0, documentId: "doc1", result: opts.func ? scripting.leaveAnswer : undefined }];
    },
    /** @param {any[]} list */
    registerContentScripts: async (list) => void scripting.registered.push(...list),
    unregisterContentScripts: async () => void (scripting.registered.length = 0),
  };
  let detaches = 0;
  debuggerApi.detach = async () => void (detaches += 1);
  /** @type {Map<number, any>} the declarativeNetRequest session rules (id → rule) */
  const sessionRules = new Map();
  const declarativeNetRequest = {
    getSessionRules: async () => [...sessionRules.values()],
    /** @param {{removeRuleIds?: number[], addRules?: any[]}} u */
    updateSessionRules: async (u) => {
      for (const id of u.removeRuleIds ?? []) sessionRules.delete(id);
      for (const r of u.addRules ?? []) sessionRules.set(r.id, r);
    },
  };
  return {
    declarativeNetRequest,
    sessionRules,
    webRequest: wr,
    tabs: { onRemoved: fakeEvent(), get: async (/** @type {number} */ id) => ({ id, url: "https://a.test/" }) },
    debugger: debuggerApi,
    runtime: { id: "ext-id", onMessage: fakeEvent() },
    scripting,
    commands,
    scripts,
    detaches: () => detaches,
  };
}

const fake = fakeChrome();
/** @type {any} */ (globalThis).chrome = fake;
const netHook = await import("../../extension/background/net_hook.js");
const netLog = await import("../../extension/background/net_log.js");
const { guardTab } = await import("../../extension/background/tab_guard.js");
const { isWatched, unwatchTab } = await import("../../extension/background/tab_watch.js");
const { noteAnswered, openDialog } = await import("../../extension/background/dialogs.js");
const { hookTab, onReport } = await import("../../extension/background/page_hooks.js");
netHook.registerNetListeners();

let nextId = 0;
/** Start a request in a tab; returns its id. */
function start(tabId, url, type = "xmlhttprequest", at = 1000) {
  const requestId = String(++nextId);
  fake.webRequest.onBeforeRequest.fire({ requestId, tabId, method: "GET", url, type, timeStamp: at });
  return requestId;
}

test("a ring keeps the newest entries and counts what a reader missed", () => {
  const ring = new Ring(3);
  for (let i = 1; i <= 5; i++) ring.push({ seq: ring.nextSeq(), v: i });
  assert.deepEqual(ring.entries.map((e) => e.seq), [3, 4, 5]);
  assert.deepEqual(ring.read(0, 10), { entries: ring.entries, dropped: 2, next: 5 });
  assert.equal(ring.read(3, 10).dropped, 0);
  const page = ring.read(0, 2);
  assert.deepEqual(page.entries.map((e) => e.seq), [3, 4]);
  assert.equal(page.next, 4);
  assert.deepEqual(ring.read(4, 2).entries.map((e) => e.seq), [5]);
  // a filter skips entries but the cursor moves past them
  assert.deepEqual(ring.read(0, 10, (e) => e.v === 4), { entries: [ring.entries[1]], dropped: 2, next: 5 });
  ring.clear();
  assert.deepEqual(ring.read(5, 10), { entries: [], dropped: 0, next: 5 });
  assert.throws(() => ring.push({ seq: 9 }), RangeError);
});

test("content lengths are read only when valid", () => {
  assert.equal(netHook.contentLength([{ name: "Content-Length", value: " 123 " }]), 123);
  assert.equal(netHook.contentLength([{ name: "content-length", value: "-1" }]), null);
  assert.equal(netHook.contentLength([{ name: "X", value: "1" }]), null);
  assert.equal(netHook.contentLength(undefined), null);
});

test("network idle waits for requests that started before it, and restarts its quiet period", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const early = start(1, "https://a.test/early");
    const idle = netHook.networkIdle(1, 500, 10_000, () => new Error("timeout"));
    let done = false;
    idle.promise.then(() => (done = true));
    mock.timers.tick(2000);
    await Promise.resolve();
    assert.equal(done, false, "a request started before the wait is in flight");
    fake.webRequest.onCompleted.fire({ requestId: early, statusCode: 200, fromCache: false, timeStamp: 3000 });
    mock.timers.tick(300);
    const late = start(1, "https://a.test/late");
    mock.timers.tick(400);
    await Promise.resolve();
    assert.equal(done, false, "a new request restarts the quiet period");
    fake.webRequest.onErrorOccurred.fire({ requestId: late, error: "net::ERR_ABORTED", timeStamp: 4000 });
    start(2, "https://b.test/other-tab"); // another tab's request does not count
    start(1, "wss://a.test/socket", "websocket"); // a websocket stays open by design
    mock.timers.tick(500);
    await idle.promise;
    assert.equal(done, true);

    const never = netHook.networkIdle(2, 500, 1000, () => new Error("timeout"));
    mock.timers.tick(1000);
    await assert.rejects(never.promise, /timeout/);
  } finally {
    mock.timers.reset();
  }
});

test("the network log starts when the tab is first touched and includes requests in flight", () => {
  const before = start(7, "https://c.test/before-touch");
  fake.webRequest.onCompleted.fire({ requestId: before, statusCode: 200, fromCache: false, timeStamp: 1100 });
  const inflight = start(7, "https://c.test/in-flight", "script", 1200);
  netLog.startNetLog(7);
  const redirected = start(7, "https://c.test/old", "main_frame", 1300);
  fake.webRequest.onSendHeaders.fire({ requestId: redirected, requestHeaders: [{ name: "Cookie", value: "secret" }] });
  fake.webRequest.onBeforeRedirect.fire({ requestId: redirected, statusCode: 302, fromCache: false, timeStamp: 1350 });
  fake.webRequest.onBeforeRequest.fire({ requestId: redirected, tabId: 7, method: "GET", url: "https://c.test/new", type: "main_frame", timeStamp: 1350 });
  fake.webRequest.onHeadersReceived.fire({ requestId: redirected, statusCode: 200, responseHeaders: [{ name: "Content-Length", value: "42" }] });
  fake.webRequest.onCompleted.fire({ requestId: redirected, statusCode: 200, fromCache: true, timeStamp: 1400 });
  const got = netLog.readNetLog(7, { since: 0, limit: 10 });
  assert.deepEqual(got.requests.map((r) => [r.url, r.status, r.duration_ms]), [
    ["https://c.test/in-flight", null, null],
    ["https://c.test/old", 302, 50],
    ["https://c.test/new", 200, 50],
  ]);
  assert.deepEqual(got.requests[2], {
    seq: 3, method: "GET", url: "https://c.test/new", type: "main_frame", status: 200, error: null, from_cache: true,
    started: 1350, duration_ms: 50, request_size: null, response_size: 42,
  });
  assert.ok(!JSON.stringify(got).includes("secret"), "headers are never kept");
  fake.webRequest.onErrorOccurred.fire({ requestId: inflight, error: "net::ERR_FAILED", timeStamp: 1500 });
  const failed = netLog.readNetLog(7, { since: 0, limit: 1, url: "in-flight" }).requests[0];
  assert.equal(failed.status, null);
  assert.equal(failed.error, "net::ERR_FAILED");
  assert.deepEqual(netLog.readNetLog(8, { since: 0, limit: 10 }), { requests: [], dropped: 0, next: 0 });
});

test("console messages are printed from CDP events", () => {
  assert.equal(argText({ type: "string", value: "hi" }), "hi");
  assert.equal(argText({ type: "number", value: 4 }), "4");
  assert.equal(argText({ type: "number", unserializableValue: "NaN" }), "NaN");
  assert.equal(argText({ type: "object", subtype: "null", value: null }), "null");
  assert.equal(argText({ type: "object", className: "Object", description: "Object" }), "Object");
  assert.equal(argText({ type: "undefined" }), "undefined");
  const m = fromConsoleApi({
    type: "warning", args: [{ type: "string", value: "low" }, { type: "number", value: 3 }], timestamp: 1234.6,
    stackTrace: { callFrames: [{ url: "https://a.test/app.js", lineNumber: 9 }] },
  });
  assert.deepEqual(m, { level: "warning", source: "console", text: "low 3", url: "https://a.test/app.js", line: 10, time: 1235 });
  assert.equal(fromConsoleApi({ type: "table", args: [] }).level, "log");
  assert.equal(fromConsoleApi({ type: "assert", args: [] }).level, "error");
  const e = fromException({ timestamp: 5, exceptionDetails: { text: "Uncaught", exception: { type: "object", description: "Error: boom\n    at x" }, url: "u", lineNumber: 0 } });
  assert.equal(e.text, "Error: boom\n    at x");
  assert.equal(e.line, 1);
  assert.equal(fromLogEntry({ entry: { level: "verbose", text: "v", timestamp: 1 } }).level, "debug");
  assert.equal(cut("y".repeat(MAX_TEXT + 50)).length, MAX_TEXT);
  assert.ok(cut("y".repeat(MAX_TEXT + 50)).endsWith("…"));
  assert.equal(cut("short"), "short");
});

test("evaluate results are checked again in the worker", () => {
  assert.deepEqual(settleOutcome({ ok: true, type: "object", json: '{"a":[1]}' }, 100), { type: "object", value: { a: [1] } });
  const code = (/** @type {() => unknown} */ f) => {
    try {
      f();
    } catch (err) {
      return err instanceof WebBridgeError ? err.code : -1;
    }
    return 0;
  };
  assert.equal(code(() => settleOutcome({ ok: true, type: "string", json: '"xxxxx"' }, 3)), 6024);
  assert.equal(code(() => settleOutcome({ ok: true, type: "string", json: "{not json" }, 100)), 6024);
  assert.equal(code(() => settleOutcome(null, 100)), 6024);
  assert.equal(code(() => settleOutcome({ ok: false, why: "threw", message: "Error: x" }, 100)), 6023);
  assert.equal(code(() => settleOutcome({ ok: false, why: "csp", message: "EvalError" }, 100)), 6023);
  assert.equal(code(() => settleOutcome({ ok: false, why: "result", message: "a function" }, 100)), 6024);
});

test("dialogs are described from what the page opened", () => {
  const d = fromOpening({ type: "confirm", message: "Sure?", url: "https://a.test/", defaultPrompt: "" });
  assert.equal(d.type, "confirm");
  assert.equal(describeDialog(d), 'a JavaScript confirm dialog "Sure?" from https://a.test/');
  assert.equal(fromOpening({ type: "weird" }).type, "alert");
  assert.equal(fromOpening({ message: "m".repeat(9000) }).message.length, 8192);
});

test("the guard hooks a tab without the debugger and reports the dialogs the hook answered", async () => {
  const tab = 41;
  /** @type {string[]} */
  const ran = [];
  const handler = async (/** @type {any} */ msg) => {
    ran.push(msg.kind);
    return { kind: `${msg.kind}.result`, body: {} };
  };
  // the first request naming the tab hooks it: scripts injected and registered, no debugger command
  assert.deepEqual(await guardTab({ kind: "page.snapshot", body: { tab_id: tab } }, handler), { kind: "page.snapshot.result", body: {} });
  assert.equal(isWatched(tab), true);
  assert.deepEqual(fake.commands, []);
  assert.ok(fake.scripts.some((o) => o.world === "MAIN" && o.files?.[0] === "content/page_hook.js"));
  assert.deepEqual(fake.scripting.registered.map((r) => r.world), ["MAIN", "ISOLATED"]);
  // its documents are marked, so a new document's relay knows at document_start
  const rule = fake.sessionRules.get(tab);
  assert.deepEqual(rule?.condition, { tabIds: [tab], resourceTypes: ["main_frame", "sub_frame"] });
  assert.deepEqual(rule?.action.responseHeaders, [{ header: "Server-Timing", operation: "append", value: "webbridge-hooked" }]);

  // a dialog nobody armed an answer for, during a request: 6021 after the request ran
  const opening = (/** @type {number} */ n, by = "default") =>
    noteAnswered(tab, "doc1", { n, type: "confirm", message: "Sure?", url: "https://a.test/", answer: by === "armed" ? "accept" : "dismiss", by });
  ran.length = 0;
  await assert.rejects(
    guardTab({ kind: "page.act", body: { tab_id: tab } }, async () => {
      ran.push("page.act");
      opening(1);
      assert.equal(opening(1), null, "the same dialog reported twice is recorded once");
      return { kind: "page.acted", body: {} };
    }),
    (err) => err instanceof WebBridgeError && err.code === 6021 && /confirm dialog "Sure\?".*dismissed \(Cancel\) because no answer was armed/.test(err.message),
  );
  assert.deepEqual(ran, ["page.act"]);

  // answered as armed: no error
  assert.deepEqual(
    await guardTab({ kind: "page.act", body: { tab_id: tab } }, async () => (opening(2, "armed"), { kind: "page.acted", body: {} })),
    { kind: "page.acted", body: {} },
  );

  // one that opened between requests: the next request that needs the page is not run, the one after is
  opening(3);
  ran.length = 0;
  await guardTab({ kind: "page.console", body: { tab_id: tab } }, handler); // logs do not need the page
  await assert.rejects(guardTab({ kind: "page.text", body: { tab_id: tab } }, handler), (err) => err instanceof WebBridgeError && err.code === 6021 && /Nothing was done/.test(err.message));
  await guardTab({ kind: "page.text", body: { tab_id: tab } }, handler);
  assert.deepEqual(ran, ["page.console", "page.text"]);
});

test("a page that asks before it is left is watched with the debugger around the request that leaves it", async () => {
  const tab = 42;
  const cdp = (/** @type {string} */ method, /** @type {unknown} */ params) => fake.debugger.onEvent.fire({ tabId: tab }, method, params);
  /** @type {string[]} */
  const ran = [];
  const handler = async (/** @type {any} */ msg) => {
    ran.push(msg.kind);
    return { kind: `${msg.kind}.result`, body: {} };
  };
  await guardTab({ kind: "page.snapshot", body: { tab_id: tab } }, handler);
  fake.commands.length = 0;
  // without a beforeunload listener reported, leaving needs no watch
  await guardTab({ kind: "page.navigate", body: { tab_id: tab } }, handler);
  assert.deepEqual(fake.commands, []);

  // the hook reports a listener (only our own content scripts in a tab are heard), and the page has had a
  // user gesture: the watch starts before the navigation
  fake.runtime.onMessage.fire({ wbr: 1, k: "leave_guard" }, { id: "another-extension", tab: { id: tab } });
  fake.scripting.leaveAnswer = true;
  await guardTab({ kind: "page.navigate", body: { tab_id: tab } }, handler);
  assert.deepEqual(fake.commands, [], "a report from another extension is ignored");
  fake.runtime.onMessage.fire({ wbr: 1, k: "leave_guard" }, { id: "ext-id", tab: { id: tab } });

  /** @type {() => void} */
  let acting = () => undefined;
  const started = new Promise((resolve) => (acting = () => resolve(undefined)));
  const hung = guardTab({ kind: "page.navigate", body: { tab_id: tab } }, () => {
    acting();
    return new Promise(() => undefined);
  });
  await started;
  assert.deepEqual(fake.commands.map(([m]) => m), ["Page.enable"]);
  cdp("Page.javascriptDialogOpening", { type: "beforeunload", message: "", url: "https://a.test/" });
  await assert.rejects(hung, (err) => err instanceof WebBridgeError && err.code === 6021 && /beforeunload/.test(err.message));

  // while it is open: refused at once, the handler is not even called; log reads pass
  ran.length = 0;
  await assert.rejects(guardTab({ kind: "page.text", body: { tab_id: tab } }, handler), (err) => err instanceof WebBridgeError && err.code === 6020);
  await guardTab({ kind: "page.console", body: { tab_id: tab } }, handler);
  await guardTab({ kind: "tabs.list", body: {} }, handler);
  assert.deepEqual(ran, ["page.console", "tabs.list"]);

  const detachesBefore = fake.detaches();
  cdp("Page.javascriptDialogClosed", { result: false, userInput: "" });
  fake.scripting.leaveAnswer = false;
  await guardTab({ kind: "page.text", body: { tab_id: tab } }, handler);
  assert.deepEqual(ran, ["page.console", "tabs.list", "page.text"]);
  assert.equal(fake.detaches(), detachesBefore + 1, "the watch, and the debugger with it, ends once no dialog is open");

  // the user stopped the agent in this tab: unhooked, the relays told to stand aside
  unwatchTab(tab);
  assert.equal(isWatched(tab), false);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(fake.sessionRules.has(tab), false, "the mark goes with the hook");
  cdp("Page.javascriptDialogOpening", { type: "alert", message: "unheard", url: "https://a.test/" });
  assert.equal(openDialog(tab), null);
});

test("page text puts each frame where its iframe is", () => {
  const parts = [
    { frameId: 0, parentFrameId: -1, url: "https://a.test/", markdown: "# Top\n\nBefore\n\n\u0001t1\u0001\n\nBetween\n\n| cell \u0001t2\u0001 |\n\nAfter", token: null },
    { frameId: 5, parentFrameId: 0, url: "https://a.test/inner", markdown: "Inner\n\n\u0001t3\u0001", token: "t1" },
    { frameId: 6, parentFrameId: 0, url: "https://b.test/cell", markdown: "Cell\n\ntext", token: "t2" },
    { frameId: 7, parentFrameId: 5, url: "https://a.test/nested", markdown: "Nested", token: "t3" },
    { frameId: 8, parentFrameId: 0, url: "https://c.test/lost", markdown: "Unplaced", token: null },
  ];
  assert.equal(
    stitchText(parts),
    [
      "# Top", "", "Before", "", "--- frame: https://a.test/inner ---", "", "Inner", "",
      "--- frame: https://a.test/nested ---", "", "Nested", "", "--- end of frame ---", "", "--- end of frame ---", "",
      "Between", "", "| cell Cell text |", "", "After", "", "--- frame: https://c.test/lost ---", "", "Unplaced", "",
      "--- end of frame ---",
    ].join("\n"),
  );
  // a marker no frame claims disappears; a forged second marker cannot print a frame twice
  const forged = stitchText([
    { frameId: 0, parentFrameId: -1, url: "u", markdown: "\u0001zz\u0001\n\nA\n\n\u0001t1\u0001\n\n\u0001t1\u0001", token: null },
    { frameId: 1, parentFrameId: 0, url: "v", markdown: "Child", token: "t1" },
  ]);
  assert.equal(forged, "A\n\n--- frame: v ---\n\nChild\n\n--- end of frame ---");
  assert.equal(stitchText([]), "");
});

test("console reports: the newest entries are kept, and what the relay dropped is said in the log", async () => {
  const tab = 44;
  await hookTab(tab);
  const sender = { id: "ext-id", tab: { id: tab } };
  const entries = Array.from({ length: 1500 }, (_, i) => ({ level: "log", source: "console", text: `line ${i}`, url: "u", line: 1, time: 5 }));
  onReport({ wbr: 1, k: "console", entries, lost: 10 }, sender);
  const got = readConsole(tab, { since: 0, limit: 1000 });
  assert.equal(got.messages.length, 1000);
  assert.deepEqual([got.messages[0].level, got.messages[0].text], ["warning", "WebBridge dropped 511 console messages of this page: it logged faster than they are recorded"]);
  assert.equal(got.messages[1].text, "line 501");
  assert.equal(got.messages.at(-1)?.text, "line 1499");
  onReport({ wbr: 1, k: "console", entries: [entries[0]], lost: "many" }, sender);
  assert.equal(readConsole(tab, { since: got.next, limit: 10 }).messages.length, 1, "a lost count that is not a number is ignored");
});

test("a report from a tab that is not hooked (a relay an earlier worker left active) is told to stand aside", () => {
  /** @type {unknown[]} */
  const replies = [];
  onReport({ wbr: 1, k: "dialog", dialog: { n: 1, type: "alert" } }, { id: "ext-id", tab: { id: 4040 } }, (r) => replies.push(r));
  assert.deepEqual(replies, [{ active: false }]);
  assert.deepEqual(readConsole(4040, { since: 0, limit: 10 }).messages, []);
  onReport({ wbr: 1, k: "dialog" }, { id: "another-extension", tab: { id: 4040 } }, (r) => replies.push(r));
  assert.equal(replies.length, 1, "nothing is answered to other extensions");
});

test("console history from before the hook keeps what was logged in the millisecond recording began, before it", async () => {
  const tab = 45;
  const sendCommand = fake.debugger.sendCommand;
  fake.debugger.sendCommand = async (t, method, params) => {
    if (method === "Runtime.enable") {
      for (const timestamp of [999.4, 999.6, 1000.3]) {
        fake.debugger.onEvent.fire({ tabId: tab }, "Runtime.consoleAPICalled", { type: "log", args: [{ type: "string", value: `at ${timestamp}` }], timestamp });
      }
    }
    return sendCommand(t, method, params);
  };
  try {
    // recording began at 1000 (Date.now() of the relay: somewhere in [1000, 1001))
    assert.equal(await replayEarlier(tab, "doc-a", 1000), 2);
  } finally {
    fake.debugger.sendCommand = sendCommand;
  }
  assert.deepEqual(readConsole(tab, { since: 0, limit: 10 }).messages.map((m) => [m.text, m.time]), [["at 999.4", 999], ["at 999.6", 1000]]);
});
