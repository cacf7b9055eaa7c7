/**
 * The extension's own re-check of every daemon request that acts in (or reads) a page: defence in depth
 * behind the daemon's policy (ARCHITECTURE.md "The daemon decides; the extension checks again").
 *
 * The daemon decides each tool call; the extension cannot be talked into more. Before a request kind of
 * `KIND_CLASSES` runs, the site it will touch — the tab's real current URL as the browser reports it (and for
 * a navigation, where it goes) — is checked against the policy summary fetched from the daemon
 * (`policy.summary`, PROTOCOL.md §5.4): the most specific site rule for the action class decides, else a
 * denying blocked category that lists the site. A `deny` refuses the request with 8021
 * `extension_policy_refused`, even though the daemon asked: a stale or confused daemon, or a tab that moved
 * to a denied site after the daemon decided, acts on nothing. URL schemes are the router's other check
 * (`url_policy.js`, W7). What the summary does not carry (per-class defaults, grants, asks, irreversible
 * verbs) stays the daemon's decision: the extension has no one to ask.
 *
 * Matching mirrors `host/webbridge/policy/rules.py`: hosts as the browser's URL parser gives them (lower
 * case, punycode, trailing dots removed); `example.com` covers itself and subdomains, `*.example` only
 * subdomains; an IP address matches only exactly; the longest pattern wins, and for the same base the
 * wildcard before the exact pattern for a host strictly below it.
 *
 * Fail closed: with no summary the check fetches one first; if that fails, 8022 `policy_summary_missing`.
 * A daemon that runs without a policy (it answers 8020) leaves only the scheme check, and says so in the log.
 *
 * Fresh: the summary belongs to the session it was fetched on; the first check on a new session fetches it
 * again first, as does a check that finds it older than `MAX_AGE_MS` (a failed refresh keeps the last good
 * one), and `policy.changed` refreshes it at once. So an edited policy file reaches the re-check within that
 * time even from a daemon that does not announce its changes.
 */

import { Codes, RemoteError, WebBridgeError, asWebBridgeError } from "../protocol/errors.js";
import { normaliseHost } from "./url_policy.js";

/**
 * @typedef {"allow" | "ask" | "deny"} Outcome
 * @typedef {{pattern: string, classes: Record<string, Outcome>, all?: Outcome | null}} SiteRule
 * @typedef {{name: string, patterns: string[], classes: string[]}} DenyCategory
 * @typedef {{
 *   mode: "ask" | "grants",
 *   version: string,
 *   source: string,
 *   defaults: Record<string, Outcome>,
 *   sites: SiteRule[],
 *   deny_categories: DenyCategory[],
 * }} PolicySummary
 * @typedef {{base: string, wildcard: boolean}} Pattern
 * @typedef {{exact: Map<string, any>, wild: Map<string, any>}} PatternIndex
 * @typedef {{url: string, classes: string[]}} Target  a site the request touches, and as what
 * @typedef {{cls: string, host: string, rule: string}} Refusal
 * @typedef {import("../protocol/session.js").Message} Message
 */

/** Request kinds and the action classes they are checked as (a click may submit a form: both). */
export const ACT_CLASSES = Object.freeze({
  click: ["interact", "submit"],
  dblclick: ["interact", "submit"],
  rightclick: ["interact"],
  hover: ["interact"],
  focus: ["interact"],
  type: ["type"],
  fill: ["type"],
  select: ["interact"],
  check: ["interact"],
  press: ["type", "submit"],
  scroll: ["interact"],
});

/** @type {Readonly<Record<string, readonly string[]>>} kind → classes (page.act by its action: ACT_CLASSES) */
export const KIND_CLASSES = Object.freeze({
  "page.navigate": ["navigate"],
  "tabs.open": ["navigate"],
  "page.act": ["interact"],
  "page.upload": ["upload"],
  "page.drag": ["interact"],
  "page.evaluate": ["script"],
  "dialog.handle": ["interact"],
  "dialog.arm": ["interact"],
  "page.snapshot": ["read"],
  "page.describe": ["read"],
  "page.text": ["read"],
  "page.wait_for": ["read"],
  "page.screenshot": ["read"],
  "page.pdf": ["read"],
  "page.console": ["network"],
  "page.network": ["network"],
});

// --- patterns (pure) ----------------------------------------------------------------------------------------

/**
 * @param {string} host  a normalised host
 * @returns {boolean}
 */
function isIp(host) {
  return host.startsWith("[") || /[0-9]$/.test(host);
}

/**
 * @param {string} text  a pattern as the daemon sends it (normalised by the daemon)
 * @returns {Pattern}
 */
export function parsePattern(text) {
  const wildcard = text.startsWith("*.");
  return { base: (wildcard ? text.slice(2) : text).toLowerCase().replace(/\.+$/, ""), wildcard };
}

/** @returns {PatternIndex} */
function newIndex() {
  return { exact: new Map(), wild: new Map() };
}

/**
 * @param {PatternIndex} index
 * @param {string} text
 * @param {unknown} value
 */
function addPattern(index, text, value) {
  const p = parsePattern(text);
  const map = p.wildcard ? index.wild : index.exact;
  if (!map.has(p.base)) map.set(p.base, value);
}

/**
 * The value of the most specific pattern covering `host` (`_PatternIndex.lookup` in rules.py).
 * @param {PatternIndex} index
 * @param {string} host
 * @returns {any}
 */
export function lookup(index, host) {
  if (isIp(host)) return index.exact.get(host) ?? null;
  let suffix = host;
  let first = true;
  for (;;) {
    if (!first && index.wild.has(suffix)) return index.wild.get(suffix);
    if (index.exact.has(suffix)) return index.exact.get(suffix);
    const dot = suffix.indexOf(".");
    if (dot < 0) return null;
    suffix = suffix.slice(dot + 1);
    first = false;
  }
}

/** @type {WeakMap<PolicySummary, {sites: PatternIndex, categories: Array<{category: DenyCategory, index: PatternIndex}>}>} */
const compiled = new WeakMap();

/** @param {PolicySummary} summary */
function compile(summary) {
  let found = compiled.get(summary);
  if (!found) {
    const sites = newIndex();
    for (const rule of summary.sites) addPattern(sites, rule.pattern, rule);
    const categories = summary.deny_categories.map((category) => {
      const index = newIndex();
      for (const p of category.patterns) addPattern(index, p, category);
      return { category, index };
    });
    found = { sites, categories };
    compiled.set(summary, found);
  }
  return found;
}

/**
 * Whether the summary denies `cls` on `host`, and which rule says so (`_base` of decide.py, deny only).
 * @param {PolicySummary} summary
 * @param {string} host  a normalised host
 * @param {string} cls  an action class
 * @returns {string | null}  the denying rule, or null
 */
export function denyingRule(summary, host, cls) {
  const { sites, categories } = compile(summary);
  /** @type {SiteRule | null} */
  const rule = lookup(sites, host);
  if (rule) {
    const outcome = Object.hasOwn(rule.classes, cls) ? rule.classes[cls] : rule.all ?? null;
    if (outcome) return outcome === "deny" ? `sites."${rule.pattern}".${Object.hasOwn(rule.classes, cls) ? cls : "all"}` : null;
  }
  for (const { category, index } of categories) {
    if (category.classes.length && !category.classes.includes(cls)) continue;
    if (lookup(index, host) !== null) return `categories.${category.name}`;
  }
  return null;
}

/**
 * The host the policy matches a URL on, or null for a URL without one (about:blank, not a URL).
 * @param {string} url
 * @returns {string | null}
 */
export function hostOf(url) {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
    return normaliseHost(parsed.hostname) || null;
  } catch {
    return null;
  }
}

/**
 * The classes a request is checked as, or null for a kind that is not checked.
 * @param {string} kind
 * @param {Record<string, unknown>} body
 * @returns {readonly string[] | null}
 */
export function classesOf(kind, body) {
  if (kind === "page.act") {
    const action = typeof body.action === "string" ? body.action : "";
    return Object.hasOwn(ACT_CLASSES, action) ? ACT_CLASSES[/** @type {keyof typeof ACT_CLASSES} */ (action)] : ["interact", "type", "submit"];
  }
  return Object.hasOwn(KIND_CLASSES, kind) ? KIND_CLASSES[kind] : null;
}

/**
 * The first refusal for the targets under `summary`, or null when none is denied. Pure.
 * @param {PolicySummary} summary
 * @param {Target[]} targets
 * @returns {Refusal | null}
 */
export function firstRefusal(summary, targets) {
  for (const target of targets) {
    const host = hostOf(target.url);
    if (host === null) continue;
    for (const cls of target.classes) {
      const rule = denyingRule(summary, host, cls);
      if (rule !== null) return { cls, host, rule };
    }
  }
  return null;
}

// --- the summary held, and the check in the router --------------------------------------------------------

/**
 * @typedef {"none" | "ready" | "unavailable" | "failed"} SummaryState
 * @typedef {() => Promise<PolicySummary>} SummaryFetcher  asks the daemon (`policy.summary`)
 * @typedef {(tabId: number) => Promise<{url?: string, pendingUrl?: string}>} TabLookup
 */

/** A summary older than this is fetched again before the next check. */
export const MAX_AGE_MS = 30_000;

/** What this worker holds; lost with the worker, fetched again on the next session (and on demand). */
const held = {
  /** @type {() => number} */
  now: () => Date.now(),
  fetchedAt: 0,
  /** @type {() => unknown} the current session (its identity), or null */
  session: () => null,
  /** @type {unknown} the session the summary was fetched on */
  fetchedOn: null,
  /** @type {PolicySummary | null} */
  summary: null,
  /** @type {SummaryState} */
  state: "none",
  /** @type {Promise<void> | null} */
  loading: null,
  /** @type {SummaryFetcher | null} */
  fetcher: null,
  refusals: 0,
};

/**
 * Set how the summary is fetched (the service worker does, once, at start) and forget what is held.
 * @param {SummaryFetcher | null} fetcher
 * @param {{now?: () => number, session?: () => unknown}} [opts]  the clock; the current session (an object
 *   whose identity changes with each session, e.g. the channel), so a summary is not used past its session
 */
export function setSummaryFetcher(fetcher, opts = {}) {
  held.now = opts.now ?? (() => Date.now());
  held.session = opts.session ?? (() => null);
  held.fetchedOn = null;
  held.fetcher = fetcher;
  held.summary = null;
  held.state = "none";
  held.loading = null;
}

/** @returns {{state: SummaryState, version: string | null, mode: string | null, refusals: number}} for the debug hook */
export function summaryStatus() {
  return { state: held.state, version: held.summary?.version ?? null, mode: held.summary?.mode ?? null, refusals: held.refusals };
}

/** Count a refusal made elsewhere on this summary's behalf (page_act.js: a form going to a denied site). */
export function noteRefusal() {
  held.refusals++;
}

/** @returns {PolicySummary | null} */
export function currentSummary() {
  return held.summary;
}

/**
 * Fetch the summary now (a new session, or `policy.changed`); concurrent calls share one fetch. Never
 * rejects: the outcome is in `summaryStatus().state` ("failed" keeps the last good summary in force).
 * @returns {Promise<void>}
 */
export function refreshSummary() {
  const fetcher = held.fetcher;
  if (!fetcher) return Promise.resolve();
  const session = held.session();
  held.loading ??= fetcher()
    .then(
      (summary) => {
        held.summary = summary;
        held.state = "ready";
        held.fetchedAt = held.now();
        held.fetchedOn = session;
      },
      (err) => {
        const e = asWebBridgeError(err);
        const code = e instanceof RemoteError ? e.remoteCode : e.code;
        if (code === Codes.POLICY_UNAVAILABLE) {
          console.warn("webbridge: the daemon runs without a policy; the extension re-checks URL schemes only");
          held.summary = null;
          held.state = "unavailable";
        } else {
          console.warn("webbridge: could not fetch the policy summary:", e.message);
          if (!held.summary) held.state = "failed";
        }
      },
    )
    .finally(() => {
      held.loading = null;
    });
  return held.loading;
}

/**
 * The sites a request touches: the tab's current page, and for a navigation its destination.
 * @param {Message} msg
 * @param {TabLookup} getTab
 * @returns {Promise<Target[] | null>}  null for a kind that is not checked
 */
export async function targetsOf(msg, getTab) {
  const body = /** @type {Record<string, unknown>} */ (msg.body ?? {});
  const classes = classesOf(msg.kind, body);
  if (!classes) return null;
  /** @type {Target[]} */
  const targets = [];
  if (typeof body.url === "string" && (msg.kind === "tabs.open" || msg.kind === "page.navigate")) {
    targets.push({ url: body.url, classes: [...classes] });
  }
  if (typeof body.tab_id === "number" && !(msg.kind === "page.navigate" && targets.length)) {
    try {
      const tab = await getTab(body.tab_id);
      targets.push({ url: tab.url || tab.pendingUrl || "", classes: [...classes] });
    } catch {
      // No such tab: the handler answers 6005 tab_not_found.
    }
  }
  return targets;
}

/**
 * The router's check before a daemon request runs. Resolves when it may run.
 * @param {Message} msg
 * @param {TabLookup} [getTab]
 * @returns {Promise<void>}
 * @throws {WebBridgeError} 8021 when the summary denies it, 8022 when no summary can be had
 */
export async function recheck(msg, getTab = (id) => chrome.tabs.get(id)) {
  const targets = await targetsOf(msg, getTab);
  if (!targets || !targets.length) return;
  const stale = held.state === "ready" && (held.now() - held.fetchedAt > MAX_AGE_MS || held.fetchedOn !== held.session());
  if (held.state === "none" || held.state === "failed" || held.loading || stale) await refreshSummary();
  if (held.state === "unavailable") return;
  const summary = held.summary;
  if (!summary) {
    throw new WebBridgeError(Codes.POLICY_SUMMARY_MISSING, `refused ${msg.kind}: the extension could not fetch the policy summary from the daemon`);
  }
  const refusal = firstRefusal(summary, targets);
  if (refusal) {
    held.refusals++;
    throw new WebBridgeError(
      Codes.EXTENSION_POLICY_REFUSED,
      `refused ${msg.kind}: ${refusal.cls} on ${refusal.host} is denied by the policy (${refusal.rule}); the extension checked again`,
      { host: refusal.host, cls: refusal.cls, rule: refusal.rule },
    );
  }
}
