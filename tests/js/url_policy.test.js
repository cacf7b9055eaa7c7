// The extension's URL policy agrees with every shared case (tests/vectors/url_policy.json), which the
// daemon's policy is tested against too (tests/unit/test_url_policy.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import { classifyUrl, requireActionableTab, requireAllowedUrl } from "../../extension/background/url_policy.js";
import { readJson, rejectsWith } from "./helpers.js";

const { cases } = readJson("tests/vectors/url_policy.json");

test("every shared case", () => {
  for (const c of cases) {
    const v = classifyUrl(c.url);
    const reason = v.allowed ? null : v.reason;
    assert.deepEqual([v.allowed, reason], [c.allowed, c.reason], JSON.stringify(c.url));
    if ("host" in c) assert.equal(v.host, c.host, JSON.stringify(c.url));
  }
});

test("requireAllowedUrl returns the parsed URL or throws 6004 naming the scheme, not the URL", async () => {
  assert.equal(requireAllowedUrl("HTTPS://Example.com"), "https://example.com/");
  const err = await rejectsWith(() => requireAllowedUrl("javascript:alert(1)", "open"), 6004);
  assert.match(err.message, /javascript:/);
  assert.doesNotMatch(err.message, /alert/);
  assert.equal(err.detail.reason, "scheme");
  await rejectsWith(() => requireAllowedUrl(42), 6004);
});

test("tabs showing blocked pages cannot be acted in; a loading tab is judged by its pending URL", async () => {
  requireActionableTab({ url: "https://example.com/" });
  requireActionableTab({ url: "", pendingUrl: "about:blank" });
  await rejectsWith(() => requireActionableTab({ url: "chrome://settings/" }), 6004);
  await rejectsWith(() => requireActionableTab({ url: "", pendingUrl: "view-source:https://a.test/" }), 6004);
  await rejectsWith(() => requireActionableTab({}), 6004);
});
