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

test("attrMask: one bit per attribute the snapshot reads, exact names; nameOf with it reads only those", () => {
  const { attrMask, ATTR, nameOf } = ns.names;
  const withNames = (localName, attrs, props = {}) => {
    const e = el(localName, attrs, props);
    const reads = [];
    const get = e.getAttribute;
    e.getAttribute = (n) => (reads.push(n), get(n));
    e.hasAttributes = () => Object.keys(attrs).length > 0;
    e.getAttributeNames = () => Object.keys(attrs);
    return { e, reads };
  };
  assert.equal(attrMask(withNames("span", {}).e), 0);
  assert.equal(attrMask(withNames("a", { href: "#", class: "x", "data-role": "y" }).e), 0);
  assert.equal(attrMask(withNames("div", { role: "tab", "aria-selected": "true", "aria-label": "T" }).e), ATTR.ROLE | ATTR.STATE | ATTR.LABEL);
  assert.equal(attrMask(withNames("div", { "aria-valuenow": "3", tabindex: "0", onclick: "" }).e), ATTR.VALUE | ATTR.TABINDEX | ATTR.ONCLICK);
  // names are compared exactly, as getAttribute compares a lower-case name with stored qualified names
  assert.equal(attrMask(withNames("svg", { "ARIA-LABEL": "x" }).e), 0);

  const cases = [
    ["input", { "aria-label": "Field 3" }, { type: "text", value: "" }],
    ["input", { placeholder: "Search…" }, { type: "search", value: "" }],
    ["input", { title: "T", placeholder: "P" }, { type: "email", value: "" }],
    ["input", {}, { type: "button", value: " " }],
    ["input", { title: "Go" }, { type: "button", value: "" }],
    ["textarea", { placeholder: "Notes" }, {}],
    ["select", { title: "Pick" }, {}],
    ["div", { role: "button", title: "Close" }, {}],
    ["div", { role: "button" }, {}],
  ];
  for (const [tag, attrs, props] of cases) {
    const role = ns.roles.roleOf(el(tag, attrs, props)) ?? "generic";
    const plain = withNames(tag, attrs, { labels: [], getRootNode: () => null, firstChild: null, shadowRoot: null, ...props });
    const masked = withNames(tag, attrs, { labels: [], getRootNode: () => null, firstChild: null, shadowRoot: null, ...props });
    const expected = nameOf(plain.e, role, tag);
    assert.equal(nameOf(masked.e, role, tag, attrMask(masked.e)), expected, `${tag} ${JSON.stringify(attrs)}`);
    for (const n of masked.reads) assert.ok(n in attrs || n === "alt", `${tag}: read ${n}, which it does not have`);
  }
});
