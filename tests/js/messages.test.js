import assert from "node:assert/strict";
import { test } from "node:test";

import {
  allKinds,
  installSchema,
  specOf,
  validateBody,
  validateMessage,
} from "../../extension/protocol/messages.js";
import { frameVectors, rejectsWith, schema } from "./helpers.js";

for (const c of frameVectors.messages) {
  test(`vector message ${c.name}`, async () => {
    if (c.ok) validateBody(c.kind, c.body);
    else await rejectsWith(() => validateBody(c.kind, c.body), c.code);
  });
}

test("the catalogue is the schema's: kinds, plain kinds and request → reply", () => {
  assert.deepEqual(allKinds().sort(), Object.keys(schema.kinds).sort());
  const plain = allKinds().filter((k) => specOf(k)?.plain).sort();
  assert.deepEqual(plain, [...schema.plain_kinds].sort());
  for (const [req, reply] of Object.entries(schema.requests)) {
    assert.equal(specOf(req)?.role, "request");
    assert.equal(specOf(req)?.reply, reply);
  }
  // Every kind of PROTOCOL.md §4/§5 is there.
  for (const k of ["hello", "hello.ok", "pair.begin", "pair.key", "pair.reveal", "pair.confirm", "pair.done",
    "pair.cancel", "error", "session.open", "session.opened", "browser.info", "browser.info.result", "ping",
    "pong", "echo", "echo.result", "key.rotate", "key.rotated"]) {
    assert.ok(specOf(k), k);
  }
});

test("validateMessage refuses a plain-only kind sealed and a sealed-only kind plain (2003)", async () => {
  await rejectsWith(() => validateMessage("hello", {}, { sealed: true }), 2003);
  await rejectsWith(() => validateMessage("ping", {}, { sealed: false }), 2003);
  validateMessage("ping", {}, { sealed: true });
  validateMessage("error", { code: 2001, name: "unknown_kind", message: "x" }, { sealed: false });
  await rejectsWith(() => validateMessage("nope", {}, { sealed: true }), 2001);
});

test("string lengths count code points, not UTF-16 units", () => {
  const tab = { id: 1, window_id: 1, url: "", title: "😀".repeat(8192), active: true };
  validateBody("browser.info.result", { browser: "b", version: "1", user_agent: "u", profile: "p", tabs: [tab] });
});

test("a schema with an unknown keyword fails at load time", () => {
  const bad = { kinds: { x: { body: { type: "object", patternProperties: {} }, role: "event", plain: true, sealed: true } } };
  assert.throws(() => installSchema(bad), /unsupported keyword/);
  installSchema(schema); // restore
});
