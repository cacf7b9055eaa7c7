import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  Codes,
  ERROR_NAMES,
  RemoteError,
  WebBridgeError,
  asWebBridgeError,
  endsSession,
  fromWire,
} from "../../extension/protocol/errors.js";

test("the code table equals PROTOCOL.md §8", () => {
  const doc = readFileSync(new URL("../../docs/PROTOCOL.md", import.meta.url), "utf8");
  const rows = [...doc.matchAll(/^\| (\d{4}) \| `([a-z_]+)` \|/gm)].map((m) => [Number(m[1]), m[2]]);
  assert.ok(rows.length >= 30, "found the table");
  for (const [code, name] of rows) assert.equal(ERROR_NAMES[code], name, `code ${code}`);
  for (const [key, code] of Object.entries(Codes)) assert.equal(ERROR_NAMES[code], key.toLowerCase(), key);
});

test("WebBridgeError carries code, wire name and message", () => {
  const err = new WebBridgeError(Codes.BAD_MAC, "nope");
  assert.equal(err.code, 3002);
  assert.equal(err.name, "bad_mac");
  assert.deepEqual(err.toWire(), { code: 3002, name: "bad_mac", message: "nope" });
  assert.equal(String(err), "[3002 bad_mac] nope");
  assert.ok(err instanceof Error);
  assert.equal(new WebBridgeError(Codes.BUSY).message, "busy");
});

test("unknown codes read as internal", () => {
  assert.equal(new WebBridgeError(1234).code, 5003);
});

test("fromWire keeps the peer's code and tolerates garbage", () => {
  const err = fromWire({ code: 2001, name: "unknown_kind", message: "x" });
  assert.ok(err instanceof RemoteError);
  assert.equal(err.code, 4003);
  assert.equal(err.remoteCode, 2001);
  assert.equal(err.remoteName, "unknown_kind");
  const junk = fromWire({ code: "x", message: 5 });
  assert.equal(junk.remoteCode, 5003);
  assert.equal(junk.message, "remote error");
  assert.equal(fromWire({ code: 1, name: "n", message: "m".repeat(900) }).message.length, 500);
});

test("endsSession is true for steps 1-5 and for errors marked fatal", () => {
  assert.equal(endsSession(new WebBridgeError(Codes.BAD_SEQUENCE)), true);
  assert.equal(endsSession(new WebBridgeError(Codes.INVALID_MESSAGE)), false);
  const fatal = new WebBridgeError(Codes.INVALID_JSON);
  fatal.fatal = true;
  assert.equal(endsSession(fatal), true);
  assert.equal(endsSession(new Error("x")), false);
});

test("asWebBridgeError wraps foreign errors as internal", () => {
  const err = asWebBridgeError(new TypeError("boom"));
  assert.equal(err.code, 5003);
  assert.equal(err.message, "boom");
  const same = new WebBridgeError(Codes.BUSY);
  assert.equal(asWebBridgeError(same), same);
});
