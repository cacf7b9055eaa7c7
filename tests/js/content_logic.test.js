// Content-script logic that needs no page: roles, names, keys, line format and diffs. The classic scripts
// register into the namespace object, which the test provides as ns.js would.
import assert from "node:assert/strict";
import { test } from "node:test";

const ns = {
  loaded: new Set(),
  ops: {},
  frame: 0,
  error(code, message) {
    return Object.assign(new Error(message), { code });
  },
};
globalThis.__webbridgeContent = ns;
await import("../../extension/content/roles.js");
await import("../../extension/content/names.js");
await import("../../extension/content/keys.js");
await import("../../extension/content/snapshot_format.js");

/** A stand-in element: tag, attributes and a few properties. */
function el(localName, attrs = {}, props = {}) {
  const { closest, byId, ...rest } = props;
  return {
    localName,
    getAttribute: (n) => (n in attrs ? attrs[n] : null),
    hasAttribute: (n) => n in attrs,
    closest: () => closest ?? null,
    ownerDocument: { getElementById: (id) => byId?.[id] ?? null },
    ...rest,
  };
}

test("implicit roles follow HTML-AAM as Playwright computes them", () => {
  const role = (e) => ns.roles.roleOf(e);
  assert.equal(role(el("a", { href: "/" })), "link");
  assert.equal(role(el("a")), null);
  assert.equal(role(el("input", {}, { type: "text" })), "textbox");
  assert.equal(role(el("input", {}, { type: "search" })), "searchbox");
  assert.equal(role(el("input", { list: "d" }, { type: "text", byId: { d: { localName: "datalist" } } })), "combobox");
  assert.equal(role(el("input", {}, { type: "checkbox" })), "checkbox");
  assert.equal(role(el("input", {}, { type: "range" })), "slider");
  assert.equal(role(el("input", {}, { type: "number" })), "spinbutton");
  assert.equal(role(el("input", {}, { type: "file" })), "button");
  assert.equal(role(el("input", {}, { type: "hidden" })), null);
  assert.equal(role(el("input", {}, { type: "date" })), "textbox");
  assert.equal(role(el("select", {}, { multiple: false, size: 0 })), "combobox");
  assert.equal(role(el("select", {}, { multiple: true, size: 0 })), "listbox");
  assert.equal(role(el("h3")), "heading");
  assert.equal(role(el("header")), "banner");
  assert.equal(role(el("header", {}, { closest: {} })), null); // inside article/section/…
  assert.equal(role(el("section")), null);
  assert.equal(role(el("section", { "aria-label": "x" })), "region");
  assert.equal(role(el("img", { alt: "" })), "presentation");
});

test("explicit roles: the first valid token; none/presentation yield to focusable elements", () => {
  assert.equal(ns.roles.roleOf(el("div", { role: "bogus tab" })), "tab");
  assert.equal(ns.roles.roleOf(el("div", { role: "presentation" })), "presentation");
  assert.equal(ns.roles.roleOf(el("button", { role: "none" })), "button");
  assert.equal(ns.roles.roleOf(el("li", { role: "none", tabindex: "0" })), "listitem");
});

test("names are whitespace-normalised and cut with an ellipsis", () => {
  assert.equal(ns.names.normalize("  a \n\t b\u200b  "), "a b");
  const long = ns.names.normalize("x".repeat(300));
  assert.equal(long.length, 100);
  assert.ok(long.endsWith("…"));
});

test("keys: shortcuts, aliases, the plus key, typed text", () => {
  const k = ns.keys.parseKeys("Control+Shift+K");
  assert.deepEqual([k.key, k.code, k.keyCode, k.text, k.modifiers, k.bits], ["K", "KeyK", 75, "", ["Control", "Shift"], 10]);
  assert.deepEqual(ns.keys.parseKeys("Enter"), { key: "Enter", code: "Enter", keyCode: 13, text: "\r", modifiers: [], bits: 0 });
  assert.equal(ns.keys.parseKeys("esc").key, "Escape");
  assert.equal(ns.keys.parseKeys("ctrl+a").modifiers[0], "Control");
  assert.equal(ns.keys.parseKeys("+").key, "+");
  assert.equal(ns.keys.parseKeys("Control++").key, "+");
  assert.equal(ns.keys.parseKeys("Shift+a").text, "A");
  assert.equal(ns.keys.parseKeys("F5").keyCode, 116);
  assert.throws(() => ns.keys.parseKeys("Hyper+x"), (e) => e.code === 6007);
  assert.throws(() => ns.keys.parseKeys("NoSuchKey"), (e) => e.code === 6007);
  assert.deepEqual(ns.keys.keysOfText("a1\n").map((x) => [x.key, x.text]), [["a", "a"], ["1", "1"], ["Enter", "\r"]]);
});

test("lines: role, quoted name, ref, states, value; classes carry where the line is", () => {
  const f = ns.format;
  const e = { t: 0, d: 1, key: 1, role: "textbox", name: 'Say "hi"', ref: "f0e3", states: " required", value: "x", pos: 2, el: null };
  assert.equal(f.content(e), 'textbox "Say \\"hi\\"" f0e3 required ="x"');
  assert.equal(f.wireLines([e]), 'i textbox "Say \\"hi\\"" f0e3 required ="x"');
  assert.equal(f.lineClass({ t: 1, role: "text", pos: 1 }), "u");
  assert.equal(f.lineClass({ t: 3, role: "h2", pos: 0 }), "v");
  assert.equal(f.lineClass({ t: 3, role: "main", pos: 2 }), "L");
  assert.equal(f.lineClass({ t: 0, role: "button", pos: 5 }), "x");
  assert.equal(f.content({ t: 1, role: "text", name: "Hello", ref: "", states: "", value: null }), "- Hello");
});

test("delta: added, changed and removed lines; scrolling alone is no change", () => {
  const f = ns.format;
  const a = { t: 0, d: 0, key: 1, role: "button", name: "A", ref: "f0e1", states: "", value: null, pos: 0, el: null };
  const b = { t: 0, d: 0, key: 2, role: "checkbox", name: "B", ref: "f0e2", states: "", value: null, pos: 0, el: null };
  const base = f.baseline([a, b]);
  assert.deepEqual(f.diff(base, [{ ...a, pos: 2 }, b]).lines, []);
  const c = { t: 0, d: 0, key: 3, role: "link", name: "C", ref: "f0e3", states: "", value: null, pos: 0, el: null };
  const d = f.diff(base, [{ ...b, states: " checked" }, c]);
  assert.deepEqual(d.lines, ['v~ checkbox "B" f0e2 checked', 'v+ link "C" f0e3', 'v- button "A" f0e1']);
  assert.deepEqual([d.added, d.removed, d.changed], [1, 1, 1]);
});
