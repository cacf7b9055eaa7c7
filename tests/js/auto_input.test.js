// The `auto` input rule of page.act (background/auto_input.js) and the storage it keeps through state.js.
import assert from "node:assert/strict";
import { test } from "node:test";

import { originOf, planInput, shouldSwitchSite } from "../../extension/background/auto_input.js";
import { addTrustedOrigin, readFrameTable, readTrustedOrigins, removeFrameTable, writeFrameTable } from "../../extension/background/state.js";

function fakeSessionStorage() {
  /** @type {Record<string, unknown>} */
  const data = {};
  const session = {
    data,
    /** @param {string} key */
    async get(key) {
      return key in data ? { [key]: structuredClone(data[key]) } : {};
    },
    /** @param {Record<string, unknown>} items */
    async set(items) {
      for (const [k, v] of Object.entries(items)) data[k] = structuredClone(v);
    },
    /** @param {string} key */
    async remove(key) {
      delete data[key];
    },
  };
  globalThis.chrome = /** @type {any} */ ({ storage: { session } });
  return session;
}

test("the input is chosen before acting, never after", () => {
  assert.equal(planInput({ input: "auto", action: "click", trustedSite: false }), "dom");
  assert.equal(planInput({ input: "auto", action: "click", trustedSite: true }), "trusted");
  assert.equal(planInput({ input: "auto", action: "hover", trustedSite: false }), "hover-probe");
  assert.equal(planInput({ input: "dom", action: "click", trustedSite: true }), "dom");
  assert.equal(planInput({ input: "trusted", action: "click", trustedSite: false }), "trusted");
  // no trusted form: DOM events whatever was asked
  assert.equal(planInput({ input: "trusted", action: "scroll", trustedSite: true }), "dom");
  assert.equal(planInput({ input: "auto", action: "select", trustedSite: true }), "dom");
});

test("a site switches to trusted input only after unhandled DOM events had no effect", () => {
  const base = { action: "click", effect: false, activation: false, handled: false, network: false };
  assert.equal(shouldSwitchSite(base), true);
  assert.equal(shouldSwitchSite({ ...base, action: "press" }), true);
  assert.equal(shouldSwitchSite({ ...base, effect: true }), false);
  // a link, a download, a submit button: the DOM path did what the browser does
  assert.equal(shouldSwitchSite({ ...base, activation: true }), false);
  // page code prevented or stopped the events: it handled them
  assert.equal(shouldSwitchSite({ ...base, handled: true }), false);
  // the tab sent a request: an effect the DOM does not show
  assert.equal(shouldSwitchSite({ ...base, network: true }), false);
  assert.equal(shouldSwitchSite({ ...base, noop: true }), false);
  // hovering, typing and filling never switch a site
  for (const action of ["hover", "type", "fill", "focus", "scroll", "select"]) assert.equal(shouldSwitchSite({ ...base, action }), false, action);
});

test("origins: opaque and unparsable URLs have none", () => {
  assert.equal(originOf("https://a.example:8443/x?y#z"), "https://a.example:8443");
  assert.equal(originOf("about:blank"), "");
  assert.equal(originOf("data:text/html,hi"), "");
  assert.equal(originOf("not a url"), "");
});

test("trusted origins and frame tables live in the session area, through state.js", async () => {
  const session = fakeSessionStorage();
  assert.deepEqual(await readTrustedOrigins(), []);
  await Promise.all([addTrustedOrigin("https://a.example"), addTrustedOrigin("https://b.example"), addTrustedOrigin("https://a.example")]);
  assert.deepEqual((await readTrustedOrigins()).sort(), ["https://a.example", "https://b.example"]);
  for (let i = 0; i < 510; i++) await addTrustedOrigin(`https://s${i}.example`);
  const kept = await readTrustedOrigins();
  assert.equal(kept.length, 500);
  assert.equal(kept.at(-1), "https://s509.example");
  assert.ok(!kept.includes("https://a.example"), "the oldest are dropped");

  assert.equal(await readFrameTable(7), null);
  await writeFrameTable(7, { next: 2, slots: { 1: { n: 0, doc: "d" } }, high: { 0: 12 } });
  assert.deepEqual(await readFrameTable(7), { next: 2, slots: { 1: { n: 0, doc: "d" } }, high: { 0: 12 } });
  assert.ok(Object.keys(session.data).every((k) => k.startsWith("wb.")));
  await removeFrameTable(7);
  assert.equal(await readFrameTable(7), null);
});

test("state.js and its parts in state/ are the only background code that touches chrome.storage (ARCHITECTURE)", async () => {
  const { readdirSync, readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const root = new URL("../../extension/background/", import.meta.url).pathname;
  /** @param {string} dir @returns {string[]} */
  const files = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".js") ? [join(dir, e.name)] : []));
  const offenders = files(root)
    .filter((f) => f.slice(root.length) !== "state.js" && !f.slice(root.length).startsWith("state/"))
    .filter((f) => /\bchrome\.storage\b/.test(readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "")));
  assert.deepEqual(offenders.map((f) => f.slice(root.length)), []);
});
