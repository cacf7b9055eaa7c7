import assert from "node:assert/strict";
import { test } from "node:test";

import { classifyFrame, isId, newId, plainFrame } from "../../extension/protocol/frames.js";
import { rejectsWith } from "./helpers.js";

test("frame types follow from their keys", () => {
  assert.equal(classifyFrame({ v: 1, id: "a", reply_to: null, kind: "hello", body: {} }).type, "plain");
  assert.equal(classifyFrame({ v: 1, sid: "s", mac: "m", p: "p" }).type, "sealed");
  // A sealed frame with missing or extra parts is still the session's to refuse (3001/3005), in order.
  assert.equal(classifyFrame({ v: 1, sid: "s" }).type, "sealed");
  assert.equal(classifyFrame({ v: 1, chunk: {}, data: "" }).type, "chunk");
});

test("any other shape is invalid_message; another version is unsupported_protocol", async () => {
  for (const bad of [null, [], "x", {}, { v: 1 }, { v: 1, id: "a", reply_to: null, kind: "k" },
    { v: 1, id: "a b", reply_to: null, kind: "k", body: {} }, { v: 1, id: "a", reply_to: 5, kind: "k", body: {} },
    { v: 1, id: "a", reply_to: null, kind: "k", body: [] }, { v: 1, id: "a", reply_to: null, kind: "k", body: {}, x: 1 },
    { v: 1, relay: { origin: "x", pid: 1 } }]) {
    await rejectsWith(() => classifyFrame(bad), 2002);
  }
  await rejectsWith(() => classifyFrame({ v: 2, id: "a", reply_to: null, kind: "hello", body: {} }), 2004);
});

test("ids are 1-64 characters of [A-Za-z0-9_-]; fresh ids are 22 characters", () => {
  assert.equal(isId("a"), true);
  assert.equal(isId("a".repeat(64)), true);
  assert.equal(isId("a".repeat(65)), false);
  assert.equal(isId(""), false);
  assert.equal(isId("a.b"), false);
  const id = newId();
  assert.equal(id.length, 22);
  assert.notEqual(id, newId());
  assert.deepEqual(plainFrame("hello", { x: 1 }, { id: "h1" }), { v: 1, id: "h1", reply_to: null, kind: "hello", body: { x: 1 } });
});
