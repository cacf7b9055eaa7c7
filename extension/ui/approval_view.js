/**
 * The approval card's view model: pure functions, tested without a DOM (tests/js/approval_view.test.js).
 *
 * Everything a card or a notification says comes from the structured request the daemon built from the
 * action (`ApprovalRequest`: verb, origin, element role and name, the data that would leave, irreversible),
 * never from the model's text (W10 of the security catalogue): a page or a model that writes "the user
 * already approved this" in its prose changes nothing here. The one piece of model prose a plan carries
 * (its summary) is shown labelled as the agent's own words, below the structured sites and actions.
 *
 * A pending approval arrives in two shapes: from `approvals.list` (the wire form, `data_out` and `flows` as
 * objects) and inside an `approval.requested` run event (the daemon's `ApprovalRequest.to_data()`, those as
 * arrays). `normaliseRequest` reads both.
 */

/**
 * @typedef {{destination: string, preview: string}} DataOut
 * @typedef {{source: string, destination: string, text: string}} Flow
 * @typedef {{summary: string, sites: string[], actions: string[]}} Plan
 * @typedef {{
 *   tool: string, action: string, verb: string, origin: string | null, domain: string | null,
 *   element_role: string | null, element_name: string | null, data_out: DataOut[], flows: Flow[],
 *   irreversible: boolean, once_only: boolean, plan: Plan | null, reason: string,
 * }} Request
 * @typedef {{approval_id: string, run_id: string, request: Request, created: number, expires: number}} Pending
 * @typedef {"once" | "task" | "session" | "always"} Lifetime
 * @typedef {{id: string, label: string, allow: boolean, lifetime: Lifetime}} CardButton
 * @typedef {{
 *   approval_id: string, run_id: string, title: string, verb: string, where: string, element: string,
 *   data: DataOut[], flows: Flow[], plan: Plan | null, irreversible: boolean, buttons: CardButton[],
 *   countdown: string, remaining_ms: number, reason: string,
 * }} Card
 * @typedef {{type: string, run_id: string, [key: string]: unknown}} ApprovalEvent
 */

const MAX_ELEMENT = 80;

/**
 * @param {unknown} v
 * @returns {string | null}
 */
function str(v) {
  return typeof v === "string" && v ? v : null;
}

/**
 * The request in one shape, whatever it arrived in; unknown fields ignored, strings only.
 * @param {unknown} raw
 * @returns {Request}
 */
export function normaliseRequest(raw) {
  const r = /** @type {Record<string, unknown>} */ (raw && typeof raw === "object" ? raw : {});
  const list = (/** @type {unknown} */ v) => (Array.isArray(v) ? v : []);
  const data_out = list(r.data_out).flatMap((d) => {
    const [destination, preview] = Array.isArray(d) ? d : [d?.destination, d?.preview];
    return typeof destination === "string" && typeof preview === "string" ? [{ destination, preview }] : [];
  });
  const flows = list(r.flows).flatMap((f) => {
    const [source, destination, text] = Array.isArray(f) ? f : [f?.source, f?.destination, f?.text];
    return [source, destination, text].every((x) => typeof x === "string") ? [{ source, destination, text }] : [];
  });
  const p = /** @type {Record<string, unknown> | null} */ (r.plan && typeof r.plan === "object" ? r.plan : null);
  const strings = (/** @type {unknown} */ v) => list(v).filter((x) => typeof x === "string");
  const irreversible = r.irreversible === true;
  return {
    tool: String(r.tool ?? ""),
    action: String(r.action ?? ""),
    verb: str(r.verb) ?? String(r.action ?? "act"),
    origin: str(r.origin),
    domain: str(r.domain),
    element_role: str(r.element_role),
    element_name: str(r.element_name),
    data_out,
    flows,
    irreversible,
    // The daemon says which answers it takes; without that word, irreversible actions and data flows (text
    // read on one site leaving for another) are once only, as the daemon's broker rules.
    once_only: r.once_only === true || irreversible || flows.length > 0,
    plan: p ? { summary: String(p.summary ?? ""), sites: strings(p.sites), actions: strings(p.actions) } : null,
    reason: String(r.reason ?? ""),
  };
}

/**
 * `m:ss` left (never negative).
 * @param {number} ms
 * @returns {string}
 */
export function formatCountdown(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * The element as a card line: `button “Buy now”` (the name cut, quoted: it is page text).
 * @param {Request} r
 * @returns {string}
 */
export function describeElement(r) {
  if (!r.element_role && !r.element_name) return "";
  const name = r.element_name ? (r.element_name.length > MAX_ELEMENT ? r.element_name.slice(0, MAX_ELEMENT - 1) + "…" : r.element_name) : "";
  return [r.element_role ?? "element", name ? `“${name}”` : ""].filter(Boolean).join(" ");
}

/**
 * The buttons a request offers: irreversible actions and data flows only once; "always" only with a domain;
 * a plan is approved (for this task) or denied.
 * @param {Request} r
 * @returns {CardButton[]}
 */
export function buttonsFor(r) {
  /** @type {CardButton[]} */
  const out = [];
  if (r.plan) {
    out.push({ id: "plan", label: "Approve plan", allow: true, lifetime: "task" });
  } else {
    out.push({ id: "once", label: "Allow once", allow: true, lifetime: "once" });
    if (!r.once_only) {
      out.push({ id: "task", label: "Allow for this task", allow: true, lifetime: "task" });
      out.push({ id: "session", label: "Allow for this session", allow: true, lifetime: "session" });
      if (r.domain) out.push({ id: "always", label: `Always allow for ${r.domain}`, allow: true, lifetime: "always" });
    }
  }
  out.push({ id: "deny", label: "Deny", allow: false, lifetime: "once" });
  return out;
}

/**
 * One line for a notification or a card title: "Allow purchase on shop.example?".
 * @param {Request} r
 * @returns {string}
 */
export function titleOf(r) {
  if (r.plan) return `Approve the agent's plan (${r.plan.sites.length} site${r.plan.sites.length === 1 ? "" : "s"})?`;
  const where = r.domain ?? r.origin ?? "this machine";
  return `Allow ${r.verb} on ${where}?`;
}

/**
 * The card for a pending approval at `now` (ms since the epoch).
 * @param {Pending} p
 * @param {number} now
 * @returns {Card}
 */
export function cardModel(p, now) {
  const r = p.request;
  const remaining = p.expires - now;
  return {
    approval_id: p.approval_id,
    run_id: p.run_id,
    title: titleOf(r),
    verb: r.verb,
    where: r.origin ?? r.domain ?? "",
    element: describeElement(r),
    data: r.data_out,
    flows: r.flows,
    plan: r.plan,
    irreversible: r.irreversible,
    buttons: buttonsFor(r),
    countdown: formatCountdown(remaining),
    remaining_ms: Math.max(0, remaining),
    reason: r.reason,
  };
}

/**
 * Pending approvals from an `approvals.list` reply, oldest first.
 * @param {Array<Record<string, unknown>>} approvals
 * @returns {Pending[]}
 */
export function pendingFromList(approvals) {
  return approvals
    .map((a) => ({
      approval_id: String(a.approval_id),
      run_id: String(a.run_id),
      request: normaliseRequest(a.request),
      created: Number(a.created),
      expires: Number(a.expires),
    }))
    .sort((a, b) => a.created - b.created);
}

/**
 * The pending list after one event (a new array; the old one is unchanged): `approval.requested` adds
 * (once), `approval.resolved` removes that approval, `run.finished` removes every approval of its run.
 * Other events change nothing.
 * @param {Pending[]} pending
 * @param {ApprovalEvent} event
 * @returns {Pending[]}
 */
export function applyApprovalEvent(pending, event) {
  if (!event || typeof event !== "object") return pending;
  switch (event.type) {
    case "approval.requested": {
      const id = String(event.approval_id);
      if (pending.some((p) => p.approval_id === id)) return pending;
      const created = typeof event.time === "number" ? event.time : 0;
      const expires = typeof event.expires === "number" ? event.expires : created;
      return [...pending, { approval_id: id, run_id: String(event.run_id), request: normaliseRequest(event.request), created, expires }];
    }
    case "approval.resolved":
      return pending.filter((p) => p.approval_id !== event.approval_id);
    case "run.finished":
      return pending.filter((p) => p.run_id !== event.run_id);
    default:
      return pending;
  }
}

/**
 * How an approval ended, for the run's step list: "allowed for this task (side panel)".
 * @param {Record<string, unknown>} resolved  an `approval.resolved` event (`allowed`, `lifetime`, `by`, `timed_out`)
 * @returns {string}
 */
export function describeResolution(resolved) {
  if (resolved.timed_out) return "no answer in time: denied";
  if (!resolved.allowed) return `denied${resolved.by ? ` (${surface(resolved.by)})` : ""}`;
  /** @type {Record<string, string>} */
  const span = { once: "once", task: "for this task", session: "for this session", always: "always" };
  return `allowed ${span[String(resolved.lifetime)] ?? "once"}${resolved.by ? ` (${surface(resolved.by)})` : ""}`;
}

/**
 * @param {unknown} by
 * @returns {string}
 */
function surface(by) {
  /** @type {Record<string, string>} */
  const names = { sidepanel: "side panel", notification: "notification", cli: "command line", api: "local API" };
  return names[String(by)] ?? String(by);
}
