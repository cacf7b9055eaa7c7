// The extension's own re-check (background/policy_check.js): the site matching agrees with the daemon's on
// the shared vectors (tests/vectors/policy_check.json, built from the daemon's rule lookup), the request
// kinds map to their classes, and the router refuses a denied site, or anything without a summary.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  MAX_AGE_MS,
  classesOf,
  denyingRule,
  firstRefusal,
  hostOf,
  recheck,
  refreshSummary,
  setSummaryFetcher,
  summaryStatus,
} from "../../extension/background/policy_check.js";
import { RemoteError } from "../../extension/protocol/errors.js";
import { readJson, rejectsWith } from "./helpers.js";

const VECTORS = readJson("tests/vectors/policy_check.json");
const SUMMARY = VECTORS.summary;

test("every shared case decides as the daemon's rule lookup does", () => {
  assert.ok(VECTORS.cases.length > 50 && VECTORS.cases.some((c) => c.denied) && VECTORS.cases.some((c) => !c.denied));
  for (const c of VECTORS.cases) {
    const host = hostOf(c.url);
    assert.ok(host, c.url);
    assert.equal(denyingRule(SUMMARY, host, c.cls) !== null, c.denied, `${c.cls} on ${c.url}`);
  }
});

test("domain tricks are matched on the host the browser loads (W13)", () => {
  assert.equal(hostOf("https://paypal.com@evil.test/"), "evil.test");
  assert.equal(hostOf("https://PAYPAL.COM./x"), "paypal.com");
  assert.equal(hostOf("about:blank"), null);
  assert.equal(hostOf("javascript:alert(1)"), null);
  assert.equal(denyingRule(SUMMARY, "paypal.com.evil.test", "submit"), null);
  assert.equal(denyingRule(SUMMARY, "www.paypal.com", "submit"), "categories.banking");
  assert.equal(denyingRule(SUMMARY, "paypal.com", "read"), null, "a site rule's allow lifts the category");
  assert.equal(denyingRule(SUMMARY, "a.corp.example", "submit"), 'sites."*.corp.example".all');
  assert.equal(denyingRule(SUMMARY, "intranet.corp.example", "submit"), null, "the longer pattern wins");
});

test("request kinds are checked as their action classes; a click may submit", () => {
  assert.deepEqual(classesOf("page.act", { action: "click" }), ["interact", "submit"]);
  assert.deepEqual(classesOf("page.act", { action: "fill" }), ["type"]);
  assert.deepEqual(classesOf("page.act", { action: "press" }), ["type", "submit"]);
  assert.deepEqual(classesOf("page.act", { action: "teleport" }), ["interact", "type", "submit"]);
  assert.deepEqual(classesOf("page.evaluate", {}), ["script"]);
  assert.deepEqual(classesOf("tabs.open", {}), ["navigate"]);
  assert.equal(classesOf("tabs.list", {}), null);
  assert.equal(classesOf("ping", {}), null);
  const refusal = firstRefusal(SUMMARY, [{ url: "https://casino.example/", classes: ["interact", "submit"] }]);
  assert.deepEqual(refusal, { cls: "submit", host: "casino.example", rule: "categories.gambling" });
});

/** @param {string} kind @param {Record<string, unknown>} body */
const msg = (kind, body) => ({ id: "d1", reply_to: null, kind, body, seq: 1, ts: 0 });
const tabs = { 1: { url: "https://www.paypal.com/send" }, 2: { url: "https://shop.example.com/cart" }, 3: { url: "", pendingUrl: "https://mybank.bank/" } };
const getTab = async (/** @type {number} */ id) => {
  if (!(id in tabs)) throw new Error("no tab");
  return tabs[/** @type {1|2|3} */ (id)];
};

test("the re-check refuses a denied tab or destination even though the daemon asked (8021)", async () => {
  let fetched = 0;
  setSummaryFetcher(async () => (fetched++, SUMMARY));
  await rejectsWith(() => recheck(msg("page.act", { tab_id: 1, action: "click", ref: "e1" }), getTab), 8021);
  assert.equal(fetched, 1, "the first check fetched the summary");
  await recheck(msg("page.act", { tab_id: 2, action: "click", ref: "e1" }), getTab);
  // A navigation is judged by where it goes: leaving a denied site is fine, going to one is not.
  await rejectsWith(() => recheck(msg("page.navigate", { tab_id: 2, url: "https://mybank.bank/" }), getTab), 8021);
  await recheck(msg("page.navigate", { tab_id: 2, url: "https://lucky.bet/" }), getTab); // gambling denies typing only
  await recheck(msg("page.navigate", { tab_id: 1, url: "https://shop.example.com/" }), getTab);
  await rejectsWith(() => recheck(msg("page.navigate", { tab_id: 1, action: "reload" }), getTab), 8021);
  await rejectsWith(() => recheck(msg("tabs.open", { url: "https://sub.chase.com/login" }), getTab), 8021);
  await rejectsWith(() => recheck(msg("page.text", { tab_id: 3 }), getTab), 8021);
  const err = await rejectsWith(() => recheck(msg("page.upload", { tab_id: 1 }), getTab), 8021);
  assert.match(err.message, /upload on www\.paypal\.com is denied .*categories\.banking/);
  // Kinds that touch no page, a tab that does not exist (the handler answers 6005): not refused here.
  await recheck(msg("tabs.list", {}), getTab);
  await recheck(msg("page.act", { tab_id: 99, action: "click" }), getTab);
  assert.equal(fetched, 1);
  assert.ok(summaryStatus().refusals >= 4);
});

test("without a summary the extension does not act (8022), and fetches again next time", async () => {
  let fail = true;
  setSummaryFetcher(async () => {
    if (fail) throw new Error("timed out");
    return SUMMARY;
  });
  await rejectsWith(() => recheck(msg("page.act", { tab_id: 2, action: "click" }), getTab), 8022);
  assert.equal(summaryStatus().state, "failed");
  fail = false;
  await recheck(msg("page.act", { tab_id: 2, action: "click" }), getTab);
  assert.equal(summaryStatus().state, "ready");
  // A failed refresh later keeps the last good summary in force.
  fail = true;
  await refreshSummary();
  assert.equal(summaryStatus().state, "ready");
  await rejectsWith(() => recheck(msg("page.act", { tab_id: 1, action: "type" }), getTab), 8021);
});

test("a daemon without a policy (8020) leaves only the scheme check", async () => {
  setSummaryFetcher(async () => {
    throw new RemoteError("no policy", 8020, "policy_unavailable");
  });
  await recheck(msg("page.act", { tab_id: 1, action: "click" }), getTab);
  assert.equal(summaryStatus().state, "unavailable");
  setSummaryFetcher(null);
});

test("a summary older than MAX_AGE_MS is fetched again before the next check", async () => {
  let now = 1_000_000;
  let version = 0;
  /** @type {any} */
  let policy = { ...SUMMARY, deny_categories: [] };
  setSummaryFetcher(async () => (version++, policy), { now: () => now });
  await recheck(msg("page.act", { tab_id: 1, action: "click" }), getTab);
  // The user adds a deny (banking) to the policy file: within MAX_AGE_MS the old summary stands…
  policy = SUMMARY;
  now += MAX_AGE_MS - 1;
  await recheck(msg("page.act", { tab_id: 1, action: "click" }), getTab);
  assert.equal(version, 1);
  // …and after it the check fetches first, and refuses.
  now += 2;
  await rejectsWith(() => recheck(msg("page.act", { tab_id: 1, action: "click" }), getTab), 8021);
  assert.equal(version, 2);
  setSummaryFetcher(null);
});

test("a summary fetched on an earlier session is fetched again before the first check on a new one", async () => {
  let session = { id: 1 };
  let fetched = 0;
  setSummaryFetcher(async () => (fetched++, SUMMARY), { session: () => session, now: () => 5 });
  await recheck(msg("page.act", { tab_id: 2, action: "click" }), getTab);
  await recheck(msg("page.act", { tab_id: 2, action: "click" }), getTab);
  assert.equal(fetched, 1);
  session = { id: 2 }; // reconnected
  await recheck(msg("page.act", { tab_id: 2, action: "click" }), getTab);
  assert.equal(fetched, 2);
  setSummaryFetcher(null);
});
