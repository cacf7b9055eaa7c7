import assert from "node:assert/strict";
import { test } from "node:test";

import { parseStrict, parseStrictBytes } from "../../extension/protocol/jsonstrict.js";
import { b64urlToBytes, frameVectors, rejectsWith } from "./helpers.js";

for (const c of frameVectors.strict_json) {
  test(`vector strict_json ${c.name}`, async () => {
    const bytes = b64urlToBytes(c.text_b64);
    if (c.ok) {
      const value = parseStrictBytes(bytes);
      assert.deepEqual(value, JSON.parse(new TextDecoder().decode(bytes)));
    } else {
      await rejectsWith(() => parseStrictBytes(bytes), c.code);
    }
  });
}

test("a valid text parses to the same value as JSON.parse", () => {
  const text = '{"a":[1,2,{"b":null,"c":"\\u00e9\\n"}],"d":-1.5e3,"e":true}';
  assert.deepEqual(parseStrict(text), JSON.parse(text));
});

test("depth counts the top-level object as 1", async () => {
  const deep = (n) => `{"a":${"[".repeat(n - 1)}${"]".repeat(n - 1)}}`;
  assert.ok(parseStrict(deep(64)));
  await rejectsWith(() => parseStrict(deep(65)), 1006);
  await rejectsWith(() => parseStrict(deep(1_000_000)), 1006); // no recursion, no stack overflow
});

test("integer digit limit does not count the sign", async () => {
  assert.ok(parseStrict(`{"a":-${"9".repeat(20)}}`));
  await rejectsWith(() => parseStrict(`{"a":${"9".repeat(21)}}`), 1007);
  assert.ok(parseStrict(`{"a":${"9".repeat(30)}.5}`)); // a float, finite
});

test("lone surrogates: escaped is json_limits, raw in a JS string is invalid_utf8", async () => {
  await rejectsWith(() => parseStrict('{"a":"\\ud800x"}'), 1007);
  await rejectsWith(() => parseStrict('{"a":"\\ud800\\u0041"}'), 1007);
  await rejectsWith(() => parseStrict('{"a":"\ud800"}'), 1004);
  await rejectsWith(() => parseStrict('{"a":"\udc00"}'), 1004);
  assert.equal(parseStrict('{"a":"\ud83d\ude00"}').a, "😀");
  assert.equal(parseStrict('{"a":"\\ud83d\\ude00"}').a, "😀");
});

test("errors follow Python's order on texts with several faults", async () => {
  // A duplicate key is found when its object closes; a number limit where the number is.
  await rejectsWith(() => parseStrict('{"a":1,"a":1e999}'), 1007);
  await rejectsWith(() => parseStrict('{"a":{"x":1,"x":2},"b":1e999}'), 1008);
  // Depth is checked after the text parsed; a syntax error wins.
  await rejectsWith(() => parseStrict(`{"a":${"[".repeat(70)}`), 1005);
  // Not-an-object comes before depth.
  await rejectsWith(() => parseStrict(`${"[".repeat(70)}${"]".repeat(70)}`), 1009);
});

test("duplicate keys are compared after unescaping, at any depth", async () => {
  await rejectsWith(() => parseStrict('{"k":1,"\\u006b":2}'), 1008);
  await rejectsWith(() => parseStrict('{"a":[{"b":1,"b":2}]}'), 1008);
  assert.ok(parseStrict('{"a":{"b":1},"c":{"b":1}}'));
});

test("keys such as __proto__ are plain own properties", () => {
  const v = parseStrict('{"__proto__":{"x":1},"constructor":2}');
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.keys(v), ["__proto__", "constructor"]);
});

test("a large string is scanned quickly", () => {
  const big = JSON.stringify({ data: "x".repeat(8_000_000) + "é\n\"" });
  const t0 = performance.now();
  assert.equal(parseStrict(big).data.length, 8_000_003);
  assert.ok(performance.now() - t0 < 2000);
});

test("non-string input is refused", async () => {
  await rejectsWith(() => parseStrict(/** @type {any} */ (42)), 1005);
});
