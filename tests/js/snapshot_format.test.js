// The content side of the snapshot text that needs no page: whitespace normalisation (with its fast path
// for text that is already normal) and wire lines built together with the next delta's comparison base.
import assert from "node:assert/strict";
import { test } from "node:test";

const ns = globalThis.__webbridgeContent ?? {
  loaded: new Set(),
  ops: {},
  frame: 0,
  error(code, message) {
    return Object.assign(new Error(message), { code });
  },
};
globalThis.__webbridgeContent = ns;
await import("../../extension/content/names.js");
await import("../../extension/content/snapshot_format.js");

/** What `normalize` computed before it had a fast path: the reference. */
function reference(s, max = 100) {
  let t = s.replace(/[\u200b\u00ad]/g, "").replace(/\s+/g, " ").trim();
  if (t.length > max) t = t.slice(0, max - 1).trimEnd() + "…";
  return t;
}

test("normalize equals the reference on text with every kind of whitespace, already normal or not", () => {
  const pieces = ["a", "Link 12", "é", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\ufeff", "\u200b", "\u00ad", "x y", "|"];
  // a fixed pseudo-random sequence: the same strings on every run
  let seed = 7;
  const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  for (let i = 0; i < 5000; i++) {
    let s = "";
    const len = rand(12);
    for (let j = 0; j < len; j++) s += pieces[rand(pieces.length)];
    assert.equal(ns.names.normalize(s), reference(s), JSON.stringify(s));
    assert.equal(ns.names.normalize(s, 5), reference(s, 5), JSON.stringify(s));
  }
  // already normal: returned as it is
  assert.equal(ns.names.normalize("Paragraph 5 with a few words"), "Paragraph 5 with a few words");
  assert.equal(ns.names.normalize("x".repeat(101)), "x".repeat(99) + "…");
});

/** @returns {any} an entry as the walk makes it */
function entry(key, d, t, role, name, ref, pos = 0, extra = {}) {
  return { key, d, t, role, name, ref, states: "", value: null, pos, el: null, ...extra };
}

test("wireLines fills the comparison base with the same content lines as baseline()", () => {
  const f = ns.format;
  const entries = [
    entry(1, 0, 3, "main", "", "f0e1"),
    entry(2, 1, 0, "link", "Link 0", "f0e2"),
    entry(3, 1, 1, "text", "Text 2", ""),
    entry(4, 3, 0, "checkbox", "Check 3", "f0e4", 2, { states: " checked" }),
    entry(5, 2, 0, "button", "Zero", "f0e5", 5),
    entry(6, 1, 2, "iframe", "ads", "f0e6", 0, { token: "tok" }),
  ];
  const base = new Map();
  const text = f.wireLines(entries, 0, base);
  assert.deepEqual([...base], [...f.baseline(entries)]);
  assert.equal(text, f.wireLines(entries));
  assert.deepEqual(text.split("\n"), [
    "Lmain f0e1",
    'v link "Link 0" f0e2',
    "v - Text 2",
    'i   checkbox "Check 3" f0e4 checked',
    'x  button "Zero" f0e5 hidden',
    'F iframe "ads" f0e6\u0001tok',
  ]);
  // relative to a base depth (subtree mode): never negative
  assert.deepEqual(f.wireLines(entries.slice(1, 4), 1).split("\n"), ['vlink "Link 0" f0e2', "v- Text 2", 'i  checkbox "Check 3" f0e4 checked']);
});
