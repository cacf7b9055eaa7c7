// Background side of the snapshot: stitching frames, the default view's budget, zone markers, ref counts,
// and the frame-number table.
import assert from "node:assert/strict";
import { test } from "node:test";

import { assignNumbers, frameOfRef, frameTree, newTable } from "../../extension/background/frames.js";
import { budget, countRefs, findLine, plain, stitch, withZones } from "../../extension/background/snapshot_text.js";

const part = (frameId, parentFrameId, n, text, token = null) => ({ frameId, parentFrameId, n, url: `https://x/${n}`, text, token });

test("child frames are stitched under their iframe line, indented below it", () => {
  const top = ["Lmain f0e1", "v button \"Top\" f0e2", "F iframe \"Inner\" f0e3\u0001tok1", "v- after"].join("\n");
  const child = ["vbutton \"In\" f1e1", "Fiframe \"Deeper\" f1e2\u0001tok2"].join("\n");
  const grandchild = "vbutton \"Deep\" f2e1";
  const lines = stitch([part(0, -1, 0, top), part(5, 0, 1, child, "tok1"), part(6, 5, 2, grandchild, "tok2")]);
  assert.deepEqual(lines, [
    "Lmain f0e1",
    "v button \"Top\" f0e2",
    "L iframe \"Inner\" f0e3",
    "v  button \"In\" f1e1",
    "L  iframe \"Deeper\" f1e2",
    "v   button \"Deep\" f2e1",
    "v- after",
  ]);
});

test("a child frame whose token never arrived is appended, marked not placed; subtrees drop it", () => {
  const lines = stitch([part(0, -1, 0, "vbutton \"Top\" f0e1"), part(5, 0, 1, "vbutton \"Lost\" f1e1")]);
  assert.equal(lines[1], 'Liframe (not placed) f1 "https://x/1"');
  assert.equal(lines[2], 'v button "Lost" f1e1');
  assert.deepEqual(stitch([part(0, -1, 0, "vx"), part(5, 0, 1, "vy")], { dropUnplaced: true }), ["vx"]);
});

test("zones are printed as marker lines where they change; find marks each line", () => {
  assert.deepEqual(withZones(["va", "Lmain", "i b", "i c", "jd", "vе"]), [
    "a", "main", " ↓ below the viewport", " b", " c", "↑ above the viewport", "d", "· in the viewport", "е",
  ]);
  assert.equal(findLine('i  button "Far" f0e9'), 'button "Far" f0e9 ↓');
  assert.equal(findLine('vbutton "Near" f0e1'), 'button "Near" f0e1');
});

test("the default view keeps the viewport and outline, then the nearest actionable elements, and says what it left out", () => {
  const lines = ["Lmain f0e1", "v h1 \"Top\" f0e2", "v button \"In view\" f0e3"];
  for (let i = 0; i < 50; i++) lines.push(`i button "Below ${i}" f0e${10 + i}`);
  lines.push("t - some text far below");
  lines.push("x button \"Zero\" f0e99 hidden");
  const small = budget(lines, 1000, { y: 0, vh: 800, height: 5000 });
  assert.ok(small.text.length <= 1000, `${small.text.length}`);
  assert.match(small.text, /^main f0e1\n h1 "Top" f0e2\n button "In view" f0e3\n ↓ below the viewport\n button "Below 0" f0e10/);
  assert.ok(small.omitted.below > 0 && small.omitted.text === 1 && small.omitted.hidden === 1);
  assert.match(small.text.split("\n").at(-1) ?? "", /left out: \d+ actionable below, 1 text blocks, 1 zero-size\. mode "full"/);
  const all = budget(lines, 100_000);
  assert.match(all.text, /Below 49/);
  assert.doesNotMatch(all.text, /Zero|some text/);
});

test("full text is cut at a line boundary and says so", () => {
  const lines = Array.from({ length: 100 }, (_, i) => `vbutton "B${i}" f0e${i}`);
  const out = plain(lines, 200);
  assert.equal(out.truncated, true);
  assert.ok(out.text.length < 300);
  assert.match(out.text.split("\n").at(-1) ?? "", /^… cut at 200 characters \(\d+ more lines\)$/);
});

test("refs are counted once per line and never inside quoted names", () => {
  // element lines only: a ref-like word in page text (a "- " line) is no ref (tests/js/refs.test.js)
  assert.equal(countRefs('button "Save" e1\nlink "see f9e9 here" f3e12\n- text f1e1 mention\ntextbox "x"'), 2);
});

test("frame numbers: f0 is the top frame, a frame keeps its number across navigations, element numbers go on", () => {
  const table = newTable();
  const frames = [
    { frameId: 7, parentFrameId: 0, documentId: "B", url: "u" },
    { frameId: 0, parentFrameId: -1, documentId: "A", url: "u" },
  ];
  const first = assignNumbers(table, frames);
  assert.deepEqual(first.infos.map((f) => [f.documentId, f.n, f.base]), [["A", 0, 1], ["B", 1, 1]]);
  assert.equal(first.changed, true);
  assert.equal(assignNumbers(table, frames).changed, false);
  // A handed out e1…e40; the top frame navigates: still f0, and the new document starts above e40
  table.high[0] = 40;
  const after = assignNumbers(table, [{ frameId: 0, parentFrameId: -1, documentId: "C", url: "v" }]);
  assert.deepEqual(after.infos.map((f) => [f.n, f.base]), [[0, 41]]);
  assert.equal(after.changed, true);
  assert.deepEqual(Object.keys(table.slots), ["0"]); // the iframe is gone
  // a new iframe gets a new number, never the gone one's
  const again = assignNumbers(table, [{ frameId: 0, parentFrameId: -1, documentId: "C", url: "v" }, { frameId: 9, parentFrameId: 0, documentId: "D", url: "w" }]);
  assert.deepEqual(again.infos.map((f) => f.n), [0, 2]);
  assert.equal(frameOfRef("f12e345"), 12);
  assert.equal(frameOfRef("e12"), 0); // the top frame's refs carry no prefix
  assert.equal(frameOfRef("f0e12"), 0);
  assert.equal(frameOfRef("x12"), null);
  assert.deepEqual([...frameTree(first.infos).keys()], [0]);
});
