/**
 * The options page's words, as pure functions (tested in tests/js/approval_options.test.js): the policy mode,
 * one line per grant, and the denied sites the extension re-checks.
 */

/**
 * @typedef {{
 *   grant_id: string, who: string, domain: string | null, classes: string[], lifetime: string, created: number,
 *   expires: number | null, task_id: string | null, schedule_id: string | null, verbs: string[], used: boolean,
 *   revoked: boolean, active: boolean,
 * }} GrantInfo
 * @typedef {import("../background/policy_check.js").PolicySummary} PolicySummary
 */

/** @type {Record<string, string>} */
export const MODE_TEXT = {
  grants: "Act within the rules and your grants; ask for the rest",
  ask: "Ask before acting: the agent proposes a plan, anything outside it asks",
};

/**
 * @param {string} mode
 * @returns {string}
 */
export function describeMode(mode) {
  return MODE_TEXT[mode] ?? mode;
}

/**
 * "submit, type on example.com — for task r-1" (what, where, for how long, and its state when not active).
 * @param {GrantInfo} g
 * @returns {string}
 */
export function describeGrant(g) {
  const what = g.verbs.length ? `${g.verbs.join(", ")} (${g.classes.join(", ")})` : g.classes.join(", ");
  const where = g.domain ?? "this machine";
  /** @type {Record<string, string>} */
  const spans = { once: "once", task: `for task ${g.task_id ?? "?"}`, session: "for this daemon session", always: "always" };
  const span = spans[g.lifetime] ?? g.lifetime;
  const until = g.expires ? `, until ${new Date(g.expires).toISOString().slice(0, 16).replace("T", " ")} UTC` : "";
  const scheduled = g.schedule_id ? `, scheduled task ${g.schedule_id}` : "";
  const state = g.revoked ? " [revoked]" : g.used ? " [used]" : g.active ? "" : " [expired]";
  return `${what} on ${where} — ${span}${until}${scheduled}${state}`;
}

/**
 * The sites the extension refuses to act on by itself, one line each: "paypal.com (banking: everything)".
 * @param {PolicySummary} summary
 * @returns {string[]}
 */
export function deniedLines(summary) {
  const lines = [];
  for (const rule of summary.sites) {
    const entries = Object.entries(rule.classes);
    if (rule.all === "deny") {
      const except = entries.filter(([, o]) => o !== "deny").map(([c]) => c);
      lines.push(`${rule.pattern} (site rule: everything${except.length ? ` except ${except.join(", ")}` : ""})`);
    } else {
      const denied = entries.filter(([, o]) => o === "deny").map(([c]) => c);
      if (denied.length) lines.push(`${rule.pattern} (site rule: ${denied.join(", ")})`);
    }
  }
  for (const c of summary.deny_categories) {
    const what = c.classes.length ? c.classes.join(", ") : "everything";
    for (const p of c.patterns) lines.push(`${p} (${c.name}: ${what})`);
  }
  return lines;
}
