// The page hook (content/page_hook.js, the page's own world) and its relay (content/page_relay.js, the
// extension's isolated world) together, in node: each classic script runs in its own `vm` context, and the
// two share one `window` EventTarget, as the two worlds of a frame share its DOM events. `chrome.runtime`
// is a fake that records the reports; the browser's own dialogs are fakes that record being shown.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mock, test } from "node:test";
import vm from "node:vm";

const root = new URL("../../extension/content/", import.meta.url);
const HOOK = readFileSync(new URL("page_hook.js", root), "utf8");
const RELAY = readFileSync(new URL("page_relay.js", root), "utf8");

const addListener = EventTarget.prototype.addEventListener;
const dispatch = EventTarget.prototype.dispatchEvent;

/**
 * One frame: the page's world (with the hook) and the relay's world.
 * @param {{hello?: unknown, relay?: boolean}} [opts]  `hello`: the background's answer to the relay's hello
 */
function frame(opts = {}) {
  /** @type {Array<Record<string, any>>} */
  const reports = [];
  /** @type {Array<[string, unknown[]]>} the browser's own dialogs shown */
  const shown = [];
  /** @type {unknown[][]} what reached the browser's console */
  const logged = [];
  /** what the background answers to every report (null: nothing) */
  const replies = { report: /** @type {unknown} */ (undefined) };

  // The page's world: its own EventTarget class (the hook patches its prototype, as in a page).
  class PageTarget extends EventTarget {}
  const win = /** @type {any} */ (new PageTarget());
  let handler = /** @type {unknown} */ (null);
  Object.defineProperty(win, "onbeforeunload", {
    configurable: true, enumerable: true, get: () => handler, set: (v) => void (handler = v),
  });
  const browserConsole = Object.fromEntries(
    ["debug", "log", "info", "warn", "error", "trace", "assert"].map((m) => [m, (/** @type {unknown[]} */ ...a) => void logged.push(a)]),
  );
  Object.assign(win, {
    window: win, EventTarget: PageTarget, CustomEvent, console: browserConsole,
    location: { href: "https://page.test/app" }, document: new EventTarget(),
    Element: class Element {}, ErrorEvent: class ErrorEvent extends Event {},
    alert: (/** @type {unknown[]} */ ...a) => void shown.push(["alert", a]),
    confirm: (/** @type {unknown[]} */ ...a) => (shown.push(["confirm", a]), true),
    prompt: (/** @type {unknown[]} */ ...a) => (shown.push(["prompt", a]), "typed by the user"),
  });
  const page = vm.createContext(win);
  vm.runInContext(HOOK, page);

  // The relay's world: the same window for events, its own globals.
  const relayWorld = vm.createContext({
    window: {
      addEventListener: (/** @type {string} */ t, /** @type {any} */ f) => addListener.call(win, t, f),
      dispatchEvent: (/** @type {Event} */ e) => dispatch.call(win, e),
    },
    CustomEvent, location: win.location, queueMicrotask, setTimeout,
    Date, // the test's (mockable) clock
    navigator: { userActivation: { hasBeenActive: true } },
    chrome: {
      runtime: {
        sendMessage: async (/** @type {any} */ m) => {
          if (m.k === "hello") return opts.hello ?? { active: true, armed: null };
          reports.push(m);
          return replies.report;
        },
      },
    },
  });
  if (opts.relay !== false) vm.runInContext(RELAY, relayWorld);
  const run = (/** @type {string} */ code) => vm.runInContext(code, page);
  const setHandlerUnseen = (/** @type {unknown} */ v) => void (handler = v);
  return { win, run, setHandlerUnseen, reports, shown, logged, replies, relay: () => /** @type {any} */ (relayWorld).__webbridgeRelay };
}

/** Let the relay's hello answer and its microtask flushes run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test("a dialog with a huge message is still answered, never shown by the browser", async () => {
  const f = frame();
  await settle();
  f.run(`alert("x".repeat(70000)); window.got = confirm("y".repeat(70000));`);
  assert.deepEqual(f.shown, [], "the browser showed a dialog: the page would block");
  assert.equal(f.win.got, false);
  await settle();
  const dialogs = f.reports.filter((r) => r.k === "dialog").map((r) => r.dialog);
  assert.deepEqual(dialogs.map((d) => [d.type, d.message.length, d.answer]), [["alert", 8192, "dismiss"], ["confirm", 8192, "dismiss"]]);
});

test("an accepted prompt returns the page's whole default, and null and undefined as the browser reads them", async () => {
  const f = frame();
  await settle();
  const long = "d".repeat(9000);
  f.relay().arm({ accept: true });
  f.win.long = long;
  assert.equal(f.run("prompt('Name?', long)"), long);
  f.relay().arm({ accept: true });
  assert.equal(f.run("prompt('Name?', null)"), "null");
  f.relay().arm({ accept: true });
  assert.equal(f.run("prompt('Name?')"), "");
  f.relay().arm({ accept: true, text: "armed text" });
  assert.equal(f.run("prompt('Name?', 'x')"), "armed text");
  assert.equal(f.run("prompt('Name?', 'x')"), null, "dismissed once the armed answer is used");
  f.run("alert(null)");
  await settle();
  const dialogs = f.reports.filter((r) => r.k === "dialog").map((r) => r.dialog);
  assert.equal(dialogs[0].prompt_text.length, 8192, "the record keeps a cut copy");
  assert.equal(dialogs.at(-1).message, "null");
  assert.deepEqual(f.shown, []);
});

test("a page logging in a loop sends a bounded report, the newest entries, and says how many it lost", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
  try {
    const f = frame();
    await settle();
    f.run("for (let i = 0; i < 100000; i++) console.log('line', i)");
    assert.equal(f.logged.length, 100000, "the page's own console still gets every line");
    await settle();
    const batches = f.reports.filter((r) => r.k === "console");
    assert.equal(batches.length, 1);
    assert.equal(batches[0].entries.length, 1000);
    assert.equal(batches[0].lost, 99000);
    assert.equal(batches[0].entries.at(-1).text, "line 99999");

    // over the second's budget: the next report waits for the next second
    f.run("console.log('later')");
    await settle();
    assert.equal(f.reports.filter((r) => r.k === "console").length, 1);
    mock.timers.tick(1000);
    await settle();
    const next = f.reports.filter((r) => r.k === "console");
    assert.equal(next.length, 2);
    assert.deepEqual(Array.from(next[1].entries, (/** @type {any} */ e) => e.text), ["later"]);
    assert.equal(next[1].lost, 0);

    // many small reports are capped per second too
    for (let i = 0; i < 100; i++) {
      f.run(`console.log('tick ${i}')`);
      await settle();
    }
    const within = f.reports.filter((r) => r.k === "console").length - 2;
    assert.ok(within <= 20, `${within} reports in one second`);
    mock.timers.tick(1000);
    await settle();
    const all = f.reports.filter((r) => r.k === "console").slice(2).flatMap((r) => Array.from(r.entries, (/** @type {any} */ e) => e.text));
    assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => `tick ${i}`), "nothing lost below the entry budget");
  } finally {
    mock.timers.reset();
  }
});

test("a page calling alert in a loop is answered every time but reported at a bounded rate", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 2_000_000 });
  try {
    const f = frame();
    await settle();
    f.run("for (let i = 0; i < 5000; i++) alert(i)");
    assert.deepEqual(f.shown, []);
    assert.equal(f.relay().count(), 5000);
    await settle();
    assert.equal(f.reports.filter((r) => r.k === "dialog").length, 20);
  } finally {
    mock.timers.reset();
  }
});

test("a hook dormant in a tab the agent does not work in runs none of the page's getters", async () => {
  const f = frame({ hello: { active: false, armed: null } });
  await settle();
  f.run(`
    window.reads = 0;
    class Thing { static get name() { window.reads++; return "Thing"; } }
    console.log(new Thing());
    window.answer = confirm("mine?");
  `);
  assert.equal(f.win.reads, 0);
  assert.equal(f.win.answer, true, "the browser's own dialog, answered by the user");
  assert.equal(f.logged.length, 1);
  assert.deepEqual(f.reports, []);
});

test("console arguments whose getters throw, Proxies and huge strings never break the page's logging", async () => {
  const f = frame();
  await settle();
  f.run(`
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const fn = () => 1;
    Object.defineProperty(fn, "name", { get() { throw new Error("no name"); } });
    const ctor = Object.create({ get constructor() { throw new Error("no constructor"); } });
    const trap = new Proxy({}, { getPrototypeOf() { throw new Error("trap"); } });
    console.log("start", proxy, fn, ctor, trap, "x".repeat(5_000_000), "end");
  `);
  assert.equal(f.logged.length, 1);
  await settle();
  const [entry] = f.reports.filter((r) => r.k === "console").flatMap((r) => r.entries);
  assert.ok(entry.text.startsWith("start Object Object Object Object xxx"), entry.text.slice(0, 80));
  assert.equal(entry.text.length, 4000);
});

test("onbeforeunload set as a property guards the page, as a listener does", async () => {
  const f = frame();
  await settle();
  assert.equal(f.relay().leaveGuarded(), false);
  f.run("onbeforeunload = (e) => { e.preventDefault(); return 'stay?'; }");
  await settle();
  assert.deepEqual(f.reports.filter((r) => r.k === "leave_guard").length, 1);
  assert.equal(f.relay().leaveGuarded(), true);
  f.run("onbeforeunload = null");
  assert.equal(f.relay().leaveGuarded(), false, "a handler taken away no longer guards");

  // set where the hook's setter does not see it (an HTML attribute): found at the next user gesture
  const g = frame();
  await settle();
  g.setHandlerUnseen(() => "stay?");
  await settle();
  assert.equal(g.reports.filter((r) => r.k === "leave_guard").length, 0);
  dispatch.call(g.win, new Event("pointerdown"));
  await settle();
  assert.equal(g.reports.filter((r) => r.k === "leave_guard").length, 1);
});

test("a relay the background no longer knows (its worker restarted) stands aside: dialogs are the browser's again", async () => {
  const f = frame();
  await settle();
  f.replies.report = { active: false }; // what the background answers a report from a tab it does not hook
  f.run("alert('first')");
  assert.deepEqual(f.shown, []);
  await settle();
  f.run("alert('second')"); // the reply to the first report arrived: stood aside
  await settle();
  assert.deepEqual(f.shown, [["alert", ["second"]]]);
  f.run("console.log('unseen')");
  await settle();
  assert.deepEqual(f.reports.map((r) => r.k), ["dialog"]);
});
