/**
 * The side panel's view of one run, built from its events (PROTOCOL.md §5.3) by a pure reducer, so that the
 * page only renders and the logic is tested without a DOM.
 *
 * Events carry a per-run `seq` that strictly increases from 1; `applyEvent` ignores an event it has already
 * applied (a re-watch after a reconnect replays from `lastSeq`, and may overlap), and an event of another run.
 * Model text arrives in pieces and then once whole (`final`): the whole text replaces the pieces, so a panel
 * that joined mid-turn still shows the full text.
 */

/**
 * @typedef {{
 *   kind: "tool",
 *   step: number,
 *   call_id: string,
 *   tool: string,
 *   args: string,
 *   state: "running" | "ok" | "error",
 *   summary: string,
 *   duration_ms: number | null,
 *   error_code: number | null,
 *   images: string[],
 *   files: string[],
 * }} ToolItem
 * @typedef {{kind: "text", step: number, text: string, done: boolean}} TextItem
 * @typedef {{kind: "notice", level: string, text: string}} NoticeItem
 * @typedef {{
 *   kind: "approval",
 *   approval_id: string,
 *   title: string,
 *   element: string,
 *   irreversible: boolean,
 *   state: "pending" | "allowed" | "denied",
 *   outcome: string,
 * }} ApprovalItem  an approval the run asked for (drawn from the structured request), and how it ended
 * @typedef {ToolItem | TextItem | NoticeItem | ApprovalItem} Item
 * @typedef {{
 *   run_id: string,
 *   task: string,
 *   model: string,
 *   tab_id: number | null,
 *   status: string,
 *   items: Item[],
 *   answer: string | null,
 *   error_code: number | null,
 *   steps: number,
 *   lastSeq: number,
 * }} RunView
 * @typedef {{type: string, run_id: string, seq: number, time: number, [key: string]: unknown}} RunEvent
 */

import { describeElement, describeResolution, normaliseRequest, titleOf } from "./approval_view.js";

const IMAGE_EXT = /\.(png|jpe?g|gif|webp)$/i;

/** The name of the port a side panel opens to the service worker for run events. */
export const PANEL_PORT = "webbridge-sidepanel";

/** Statuses after which nothing more happens. */
export const FINAL_STATUSES = Object.freeze(["done", "failed", "cancelled", "budget_exhausted", "interrupted", "needs_you"]);

/**
 * A fresh view of a run not yet seen.
 * @param {string} runId
 * @param {string} [task]
 * @returns {RunView}
 */
export function emptyRun(runId, task = "") {
  return { run_id: runId, task, model: "", tab_id: null, status: "queued", items: [], answer: null, error_code: null, steps: 0, lastSeq: 0 };
}

/**
 * `k=v, …` with long values cut, for one line per tool call.
 * @param {unknown} args
 * @param {number} [width]
 * @returns {string}
 */
export function shortArgs(args, width = 80) {
  if (!args || typeof args !== "object") return "";
  const parts = Object.entries(/** @type {Record<string, unknown>} */ (args)).map(([k, v]) => {
    const text = (typeof v === "string" ? v : JSON.stringify(v) ?? "").replace(/\s+/g, " ");
    return `${k}=${text.length > 30 ? text.slice(0, 30) + "…" : text}`;
  });
  const line = parts.join(", ");
  return line.length <= width ? line : line.slice(0, width - 1) + "…";
}

/**
 * The view after one more event (a new object; the old one is not changed).
 * @param {RunView} view
 * @param {RunEvent} event
 * @returns {RunView}
 */
export function applyEvent(view, event) {
  // Strictly in order: a duplicate (seq already applied) or an early event (a gap before it) changes nothing.
  if (!event || event.run_id !== view.run_id || event.seq !== view.lastSeq + 1) return view;
  const next = { ...view, items: view.items.slice(), lastSeq: event.seq };
  const step = typeof event.step === "number" ? event.step : 0;
  switch (event.type) {
    case "run.started":
      next.task = String(event.task ?? next.task);
      next.model = String(event.model ?? "");
      next.tab_id = typeof event.tab_id === "number" ? event.tab_id : null;
      next.status = "running";
      break;
    case "model.text": {
      const text = String(event.text ?? "");
      const last = next.items[next.items.length - 1];
      const open = last && last.kind === "text" && !last.done && last.step === step ? last : null;
      if (event.final) {
        if (!text && open) next.items.pop();
        else if (open) next.items[next.items.length - 1] = { ...open, text, done: true };
        else if (text) next.items.push({ kind: "text", step, text, done: true });
      } else if (text) {
        if (open) next.items[next.items.length - 1] = { ...open, text: open.text + text };
        else next.items.push({ kind: "text", step, text, done: false });
      }
      break;
    }
    case "tool.started":
      next.items.push({
        kind: "tool", step, call_id: String(event.call_id), tool: String(event.tool), args: shortArgs(event.arguments),
        state: "running", summary: "", duration_ms: null, error_code: null, images: [], files: [],
      });
      break;
    case "tool.finished": {
      const artifacts = Array.isArray(event.artifacts) ? event.artifacts.map(String) : [];
      const i = next.items.findIndex((it) => it.kind === "tool" && it.call_id === event.call_id && it.state === "running");
      /** @type {ToolItem} */
      const base = i >= 0 ? /** @type {ToolItem} */ (next.items[i]) : {
        kind: "tool", step, call_id: String(event.call_id), tool: String(event.tool), args: "",
        state: "running", summary: "", duration_ms: null, error_code: null, images: [], files: [],
      };
      const done = {
        ...base,
        state: /** @type {"ok" | "error"} */ (event.ok ? "ok" : "error"),
        summary: String(event.summary ?? ""),
        duration_ms: typeof event.duration_ms === "number" ? event.duration_ms : null,
        error_code: typeof event.error_code === "number" ? event.error_code : null,
        images: artifacts.filter((a) => IMAGE_EXT.test(a)),
        files: artifacts.filter((a) => !IMAGE_EXT.test(a)),
      };
      if (i >= 0) next.items[i] = done;
      else next.items.push(done);
      break;
    }
    case "step.finished":
      next.steps = Math.max(next.steps, step);
      break;
    case "approval.requested": {
      const request = normaliseRequest(event.request);
      next.items.push({
        kind: "approval", approval_id: String(event.approval_id), title: titleOf(request), element: describeElement(request),
        irreversible: request.irreversible, state: "pending", outcome: "waiting for your answer",
      });
      break;
    }
    case "approval.resolved": {
      const i = next.items.findIndex((it) => it.kind === "approval" && it.approval_id === event.approval_id);
      if (i >= 0) {
        const item = /** @type {ApprovalItem} */ (next.items[i]);
        next.items[i] = { ...item, state: event.allowed ? "allowed" : "denied", outcome: describeResolution(event) };
      }
      break;
    }
    case "run.notice":
      next.items.push({ kind: "notice", level: String(event.level ?? "info"), text: String(event.message ?? "") });
      break;
    case "run.finished":
      next.status = String(event.outcome);
      next.answer = String(event.message ?? "");
      next.error_code = typeof event.error_code === "number" ? event.error_code : null;
      next.steps = typeof event.steps === "number" ? event.steps : next.steps;
      // Whatever was still running when the run ended did not finish.
      next.items = next.items.map((it) => (it.kind === "tool" && it.state === "running" ? { ...it, state: "error", summary: "did not finish" } : it));
      // An approval still open when the run ended was never answered: the run took nothing from it.
      next.items = next.items.map((it) => (it.kind === "approval" && it.state === "pending" ? { ...it, state: "denied", outcome: "the run ended first" } : it));
      break;
    default:
      break; // run.compacted and kinds added later change nothing shown here
  }
  return next;
}

/**
 * Apply what can be applied of `events` (any order, duplicates allowed); the rest waits in the returned
 * `waiting` list (events after a gap, until the gap is filled).
 * @param {RunView} view
 * @param {RunEvent[]} events
 * @returns {{view: RunView, waiting: RunEvent[]}}
 */
export function applyEvents(view, events) {
  const bySeq = new Map();
  for (const e of events) if (e && e.run_id === view.run_id && e.seq > view.lastSeq) bySeq.set(e.seq, e);
  let next = view;
  while (bySeq.has(next.lastSeq + 1)) {
    const e = bySeq.get(next.lastSeq + 1);
    bySeq.delete(e.seq);
    next = applyEvent(next, e);
  }
  return { view: next, waiting: [...bySeq.values()] };
}

/**
 * @param {RunView} view
 * @returns {boolean}
 */
export function isFinished(view) {
  return FINAL_STATUSES.includes(view.status);
}

/**
 * The tab a side-panel task should run in: the active tab of the window, unless that is one of our own
 * pages (the panel opened as a tab), then the most recently used web tab.
 * @param {Array<{id?: number, url?: string, active?: boolean, lastAccessed?: number}>} tabs  one window's tabs
 * @param {string} ownOrigin  `chrome.runtime.getURL("")`
 * @returns {number | null}
 */
export function pickTaskTab(tabs, ownOrigin) {
  const web = (/** @type {{url?: string}} */ t) => typeof t.url === "string" && /^https?:/i.test(t.url) && !t.url.startsWith(ownOrigin);
  const active = tabs.find((t) => t.active);
  if (active && typeof active.id === "number" && web(active)) return active.id;
  const recent = tabs.filter((t) => typeof t.id === "number" && web(t)).sort((a, b) => (b.lastAccessed ?? 0) - (a.lastAccessed ?? 0));
  return recent.length ? /** @type {number} */ (recent[0].id) : null;
}

/**
 * What a right-click attached, as one line for the panel.
 * @param {{what: string, page_url?: string | null, page_title?: string | null, selection?: string | null, link_url?: string | null, image_url?: string | null}} ctx
 * @returns {string}
 */
export function describeContext(ctx) {
  switch (ctx.what) {
    case "selection":
      return `Selected text: “${String(ctx.selection ?? "").slice(0, 200)}”`;
    case "link":
      return `Link: ${ctx.link_url ?? ""}`;
    case "image":
      return `Image: ${ctx.image_url ?? ""}`;
    default:
      return `Page: ${ctx.page_title ? `${ctx.page_title} — ` : ""}${ctx.page_url ?? ""}`;
  }
}
