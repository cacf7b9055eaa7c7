// The options page's words (ui/options_model.js) and the approval notifications (background/approval_notify.js)
// against a small fake `chrome.notifications` that records what the extension shows.
import assert from "node:assert/strict";
import { test } from "node:test";

import { NOTIFICATION_PREFIX, notificationFor, onButton, sync } from "../../extension/background/approval_notify.js";
import { applyApprovalEvent } from "../../extension/ui/approval_view.js";
import { deniedLines, describeGrant, describeMode } from "../../extension/ui/options_model.js";
import { readJson } from "./helpers.js";

const EVENTS = readJson("tests/vectors/approval_events.json");
const SUMMARY = readJson("tests/vectors/policy_check.json").summary;
const asked = (id) => applyApprovalEvent([], EVENTS.find((e) => e.type === "approval.requested" && e.approval_id === id))[0];

const GRANT = {
  grant_id: "g_1", who: "user:sidepanel", domain: "example.com", classes: ["submit"], lifetime: "task",
  created: 1_767_000_000_000, expires: null, task_id: "r-7", schedule_id: null, verbs: [], used: false,
  revoked: false, active: true,
};

test("grants read as what, where, for how long, and their state", () => {
  assert.equal(describeGrant(GRANT), "submit on example.com — for task r-7");
  assert.equal(describeGrant({ ...GRANT, lifetime: "always", expires: Date.UTC(2027, 0, 2, 3, 4) }), "submit on example.com — always, until 2027-01-02 03:04 UTC");
  assert.equal(describeGrant({ ...GRANT, lifetime: "once", verbs: ["purchase"], used: true, active: false }), "purchase (submit) on example.com — once [used]");
  assert.equal(describeGrant({ ...GRANT, domain: null, classes: ["file_read"], lifetime: "session", revoked: true, active: false }), "file_read on this machine — for this daemon session [revoked]");
  assert.match(describeMode("ask"), /plan/);
  assert.equal(describeMode("grants"), "Act within the rules and your grants; ask for the rest");
});

test("the denied sites are listed from the summary the extension re-checks against", () => {
  const lines = deniedLines(SUMMARY);
  assert.ok(lines.includes("*.corp.example (site rule: everything except read)"));
  assert.ok(lines.includes("127.0.0.2 (site rule: everything)"));
  assert.ok(lines.includes("casino.example (gambling: submit, type)"));
  assert.ok(lines.includes("paypal.com (banking: everything)"));
  assert.ok(!lines.some((l) => l.startsWith("intranet.corp.example")), "an allow rule denies nothing");
});

/** A fake chrome.notifications (and runtime.getURL) recording what is shown. */
function fakeChrome() {
  const shown = new Map();
  globalThis.chrome = /** @type {any} */ ({
    runtime: { getURL: (p) => `chrome-extension://id/${p}` },
    notifications: {
      create: async (id, opts) => (shown.set(id, opts), id),
      clear: async (id) => shown.delete(id),
      getAll: async () => Object.fromEntries([...shown.keys()].map((k) => [k, true])),
    },
  });
  return shown;
}

test("a notification is drawn from the structured request, with Allow once and Deny only", () => {
  fakeChrome();
  const n = notificationFor(asked("a-buy"));
  assert.equal(n.title, "WebBridge: Allow purchase on example.com?");
  assert.equal(n.message, "https://shop.example.com\nbutton “Buy now”\nIrreversible: purchase cannot be undone");
  assert.deepEqual(n.buttons, [{ title: "Allow once" }, { title: "Deny" }]);
  assert.equal(n.requireInteraction, true);
  const flow = notificationFor(asked("a-flow"));
  assert.match(flow.message, /Sends text read on https:\/\/mail\.example\.org\/inbox to https:\/\/evil\.example\.net/);
});

test("notifications follow the pending list, and a button answers once then clears", async () => {
  const shown = fakeChrome();
  shown.set(`${NOTIFICATION_PREFIX}a-gone`, {});
  shown.set("someone-else", {});
  await sync([asked("a-continue"), asked("a-buy")], true);
  assert.deepEqual([...shown.keys()].sort(), ["someone-else", `${NOTIFICATION_PREFIX}a-buy`, `${NOTIFICATION_PREFIX}a-continue`]);
  await sync([asked("a-continue"), asked("a-buy")], false); // a side panel opened: its cards replace them
  assert.deepEqual([...shown.keys()], ["someone-else"]);

  await sync([asked("a-buy")], true);
  const answers = [];
  const answer = async (id, allow) => void answers.push([id, allow]);
  assert.equal(await onButton(`${NOTIFICATION_PREFIX}a-buy`, 1, answer), true);
  assert.deepEqual(answers, [["a-buy", false]]);
  assert.ok(!shown.has(`${NOTIFICATION_PREFIX}a-buy`));
  assert.equal(await onButton("someone-else", 0, answer), false);
  assert.equal(await onButton(`${NOTIFICATION_PREFIX}a-x`, 7, answer), false);
  assert.equal(answers.length, 1);
  // An answer that fails (answered elsewhere first) still clears the notification.
  await sync([asked("a-continue")], true);
  const refused = async () => {
    throw new Error("[8012 approval_answered]");
  };
  assert.equal(await onButton(`${NOTIFICATION_PREFIX}a-continue`, 0, refused), false);
  assert.ok(!shown.has(`${NOTIFICATION_PREFIX}a-continue`));
});
