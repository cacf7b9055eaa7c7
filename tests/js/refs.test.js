// The ref grammar in the extension: `e<n>` in the top frame, `f<k>e<n>` elsewhere, `f0e<n>` the old spelling
// of `e<n>`. The background's parser (frames.js), the content scripts' registry (content/refs.js) and the
// exported schema are held to the table the host's tests/unit/test_refs.py also reads.
import assert from "node:assert/strict";
import { test } from "node:test";

import { canonicalRef, frameOfRef, parseRef } from "../../extension/background/frames.js";
import { countRefs } from "../../extension/background/snapshot_text.js";
import { installSchema, validateBody } from "../../extension/protocol/messages.js";
import { readJson, rejectsWith, schema } from "./helpers.js";

const VECTORS = readJson("tests/vectors/refs.json");

const ns = { loaded: new Set(), ops: {}, frame: 0 };
globalThis.__webbridgeContent = ns;
await import("../../extension/content/refs.js");

test("the background parses both spellings to the same frame and number", () => {
  for (const c of VECTORS.valid) {
    assert.deepEqual(parseRef(c.ref), { frame: c.frame, n: c.n }, c.ref);
    assert.equal(canonicalRef(c.ref), c.canonical, c.ref);
    assert.equal(canonicalRef(c.canonical), c.canonical, c.ref); // idempotent
    assert.equal(frameOfRef(c.ref), c.frame, c.ref);
  }
  assert.equal(canonicalRef("f0e5"), canonicalRef("e5"));
  assert.notEqual(canonicalRef("f2e5"), canonicalRef("e5"));
});

test("the content scripts' registry parses the same table the same way", () => {
  for (const c of VECTORS.valid) {
    assert.deepEqual(ns.refs.parse(c.ref), { frame: c.frame, n: c.n }, c.ref);
    assert.equal(ns.refs.canonical(c.ref), c.canonical, c.ref);
    assert.equal(ns.refs.format(c.frame, c.n), c.canonical, c.ref);
  }
});

test("anything else is no ref on either side", () => {
  for (const bad of [...VECTORS.invalid, null, undefined, 5, ["e5"], { ref: "e5" }]) {
    assert.equal(parseRef(bad), null, String(bad));
    assert.equal(canonicalRef(bad), null, String(bad));
    assert.equal(frameOfRef(/** @type {any} */ (bad)), null, String(bad));
    assert.equal(ns.refs.parse(bad), null, String(bad));
    assert.equal(ns.refs.canonical(bad), null, String(bad));
  }
});

test("the schema takes both spellings and refuses the rest with 2002", async () => {
  installSchema(schema);
  for (const c of VECTORS.valid) {
    validateBody("page.act", { tab_id: 1, action: "click", ref: c.ref });
    validateBody("page.drag", { tab_id: 1, ref: c.ref, to: c.canonical });
  }
  for (const bad of VECTORS.invalid) {
    await rejectsWith(() => validateBody("page.act", { tab_id: 1, action: "click", ref: bad }), 2002);
    await rejectsWith(() => validateBody("page.describe", { tab_id: 1, ref: bad }), 2002);
  }
});

test("the top frame prints short refs and resolves both spellings; other frames keep their prefix", () => {
  /** A stand-in element: all refs.js needs is identity and `isConnected`. */
  const el = () => /** @type {Element} */ (/** @type {unknown} */ ({ isConnected: true }));
  ns.frame = 0;
  const a = el();
  const ref = ns.refs.refFor(a);
  assert.match(ref, /^e\d+$/);
  assert.equal(ns.refs.refFor(a), ref); // given once
  assert.equal(ns.refs.peek(a), ref);
  const n = ref.slice(1);
  for (const spelling of [ref, `f0e${n}`, `f00e${n}`, `e0${n}`]) assert.equal(ns.refs.elementFor(spelling), a, spelling);
  for (const other of [`f1e${n}`, `e${Number(n) + 1}`, ` ${ref}`, `${ref}x`, "e"]) {
    assert.equal(ns.refs.elementFor(other), null, other);
  }
  // the same registry in a child frame (frame 2): prefixed refs, and the top frame's spelling names nothing
  ns.frame = 2;
  const b = el();
  const child = ns.refs.refFor(b);
  assert.match(child, /^f2e\d+$/);
  assert.equal(ns.refs.elementFor(child), b);
  assert.equal(ns.refs.elementFor(child.replace(/^f2/, "")), null);
  assert.equal(ns.refs.elementFor(child.replace(/^f2/, "f0")), null);
  // a detached element's ref is stale in either spelling
  ns.frame = 0;
  const c = el();
  const gone = ns.refs.refFor(c);
  Object.assign(c, { isConnected: false });
  assert.equal(ns.refs.elementFor(gone), null);
  assert.equal(ns.refs.elementFor(`f0${gone}`), null);
});

test("countRefs counts element lines with either spelling, never words in text or names", () => {
  const text = [
    "main e1",
    ' link "Play e4 now" e2',
    ' iframe "Ad" e3',
    '  button "Go" f1e4 pressed',
    '  h2 "Old" f0e9',
    " - Press e5 then f1e6 to continue",
    " ↓ below the viewport",
    '+ checkbox "New" e7 checked',
    '~ textbox "Name" e8 ="e9"',
    '- button "Gone" e10',
    'button "Far" e11 ↓',
    'textbox "x"',
    "generic e12x",
  ].join("\n");
  assert.equal(countRefs(text), 8);
  assert.equal(countRefs(""), 0);
});
