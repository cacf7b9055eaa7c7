/**
 * The side panel: task box, live steps, final answer, Stop, history of runs, and the connection status (with
 * the popup embedded for pairing). It acts only by messages to the service worker (which relays them to
 * the daemon over the authenticated channel) and receives run events over a port; the run's view is built
 * by the pure reducer in `run_model.js`.
 *
 * Missing nothing: events are applied strictly in `seq` order. After every `run.watch` the panel also asks
 * `run.get` for what came after the last event it applied, so an event sent before its port was ready, or
 * during a worker restart or a reconnect to the daemon, is filled in.
 *
 * Stable element ids (the end-to-end tests use them): #conn (`data-state`), #task, #run-button,
 * #stop-button, #context, #context-text, #context-clear, #run (`data-status`), #run-id, #run-status, #steps
 * (li with `data-state`, `data-tool`), #answer, #history-list (buttons with `data-run-id`), #history-refresh,
 * #error, #error-message, #open-options; the approval cards (#approvals, #approval-list) are described in
 * `approval_cards.js`. Approval events reach the panel from the worker (`approval.event`, every run) and in
 * the shown run's events; the cards list every pending approval, the step list what this run asked.
 */

import {
  clearPendingContext,
  onStateChanged,
  readPanelRun,
  readPendingContext,
  readState,
  setPanelRun,
} from "../background/state.js";
import { ApprovalCards } from "./approval_cards.js";
import { el, send, showError } from "./page_common.js";
import { PANEL_PORT, applyEvents, describeContext, emptyRun, isFinished, pickTaskTab } from "./run_model.js";

/**
 * @typedef {import("./run_model.js").RunView} RunView
 * @typedef {import("./run_model.js").RunEvent} RunEvent
 * @typedef {import("../background/state.js").PendingContext} PendingContext
 * @typedef {import("../background/state.js").ViewState} ViewState
 */

/** @type {Record<string, string>} */
const STATUS_TEXT = {
  starting: "Starting…",
  connecting: "Connecting…",
  connected: "Connected",
  not_paired: "Not paired — pair below",
  host_not_found: "Host not found",
  host_forbidden: "Host refuses this extension",
  disconnected: "Disconnected — retrying…",
};

/** @type {Record<string, string>} */
const RUN_STATUS_TEXT = {
  queued: "starting…",
  running: "running…",
  done: "done",
  failed: "failed",
  cancelled: "stopped",
  budget_exhausted: "budget exhausted",
  interrupted: "interrupted",
  needs_you: "needs you",
};

/** @type {RunView | null} */
let view = null;
/** @type {RunEvent[]} events that arrived after a gap, until it is filled */
let waiting = [];
/** @type {PendingContext | null} */
let pending = null;
/** @type {chrome.runtime.Port | null} */
let port = null;
/** @type {string | null} the bridge our subscriptions live on; a new one has none of them */
let bridgeId = null;
/** @type {Map<string, string>} artifact path → data URL (or "" while loading / on failure) */
const images = new Map();

// --- the run ------------------------------------------------------------------------------------------------

/** @param {RunEvent[]} events */
function take(events) {
  if (!view) return;
  const wasFinished = isFinished(view);
  const result = applyEvents(view, [...waiting, ...events]);
  view = result.view;
  waiting = result.waiting;
  renderRun();
  if (!wasFinished && isFinished(view)) void loadHistory();
}

function connectPort() {
  if (port) return;
  port = chrome.runtime.connect({ name: PANEL_PORT });
  port.onMessage.addListener((/** @type {{type?: string, event?: RunEvent}} */ msg) => {
    if (msg && msg.type === "run.event" && msg.event) take([msg.event]);
    if (msg && (msg.type === "approval.event" || msg.type === "run.event") && msg.event) cards.apply(msg.event);
  });
  port.onDisconnect.addListener(() => {
    // The worker restarted (or stopped): its subscriptions to the daemon went with its connection.
    port = null;
    if (view && !isFinished(view)) void follow();
  });
}

/** Subscribe to the shown run from the last event applied, then fill any gap with run.get. */
async function follow() {
  if (!view) return;
  const runId = view.run_id;
  connectPort();
  try {
    if (!isFinished(view)) await send("run.watch", { run_id: runId, after_seq: view.lastSeq });
    await catchUp(runId);
  } catch (err) {
    showError(err);
  }
}

/** @param {string} runId */
async function catchUp(runId) {
  for (;;) {
    if (!view || view.run_id !== runId) return;
    const detail = await send("run.get", { run_id: runId, after_seq: view.lastSeq });
    take(detail.events);
    if (!detail.more || !detail.events.length) return;
  }
}

/**
 * Show a run (a new one, or one from the history) and follow it while it is going.
 * @param {string} runId
 * @param {string} [task]
 */
async function show(runId, task = "") {
  view = emptyRun(runId, task);
  waiting = [];
  renderRun();
  await setPanelRun({ run_id: runId, tab_id: null });
  await follow();
}

/** @param {SubmitEvent} event */
async function onSubmit(event) {
  event.preventDefault();
  const task = /** @type {HTMLTextAreaElement} */ (el("task")).value.trim();
  if (!task) return;
  const button = /** @type {HTMLButtonElement} */ (el("run-button"));
  button.disabled = true;
  showError(null);
  try {
    /** @type {Record<string, unknown>} */
    let body;
    const attached = pending;
    if (attached) {
      body = { task, source: "context_menu", tab_id: attached.tab_id, context: attached.context };
    } else {
      const tabs = await chrome.tabs.query({ currentWindow: true });
      const tabId = pickTaskTab(tabs, chrome.runtime.getURL(""));
      body = { task, source: "sidepanel", ...(tabId === null ? {} : { tab_id: tabId }) };
    }
    const started = await send("run.start", body);
    if (attached) {
      pending = null;
      await clearPendingContext();
      renderContext();
    }
    await show(started.run_id, task);
    void loadHistory();
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
}

async function onStop() {
  if (!view) return;
  const button = /** @type {HTMLButtonElement} */ (el("stop-button"));
  button.disabled = true;
  try {
    await send("run.stop", { run_id: view.run_id });
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
}

// --- rendering -----------------------------------------------------------------------------------------------

/**
 * @param {string} tag
 * @param {string} [cls]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
function make(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {string} path */
function loadImage(path) {
  if (!view || images.has(path)) return;
  images.set(path, "");
  const runId = view.run_id;
  send("run.artifact", { run_id: runId, path }).then(
    (res) => {
      images.set(path, `data:${res.mime};base64,${res.data}`);
      renderRun();
    },
    (err) => console.warn("webbridge: screenshot", path, String(err)),
  );
}

function renderRun() {
  const section = el("run");
  const stop = el("stop-button");
  if (!view) {
    section.hidden = true;
    stop.hidden = true;
    return;
  }
  section.hidden = false;
  section.dataset.status = view.status;
  el("run-id").textContent = view.run_id;
  el("run-status").textContent = RUN_STATUS_TEXT[view.status] ?? view.status;
  el("run-task").textContent = view.task;
  stop.hidden = isFinished(view);
  const items = view.items.map((item) => {
    if (item.kind === "text") return make("li", "text", item.text);
    if (item.kind === "notice") return make("li", "notice", `! ${item.text}`);
    if (item.kind === "approval") return approvalStep(item);
    const li = make("li", "step");
    li.dataset.state = item.state;
    li.dataset.tool = item.tool;
    li.append(make("span", "mark"), make("strong", "tool", item.tool), " ", make("span", "args", item.args));
    if (item.state !== "running") {
      const meta = [item.duration_ms === null ? "" : `${Math.round(item.duration_ms)} ms`, item.error_code ? `[${item.error_code}]` : ""];
      li.append(" ", make("span", "meta", meta.filter(Boolean).join(" ")), make("div", "summary", item.summary));
    }
    for (const path of item.images) {
      loadImage(path);
      const src = images.get(path);
      if (src) {
        const img = /** @type {HTMLImageElement} */ (make("img"));
        img.src = src;
        img.alt = `screenshot ${path}`;
        li.append(img);
      }
    }
    for (const path of item.files) li.append(make("div", "meta", path));
    return li;
  });
  el("steps").replaceChildren(...items);
  const answer = el("answer");
  answer.hidden = view.answer === null;
  answer.textContent = view.answer ?? "";
}

/**
 * A step line for an approval the run asked for: what, and how it ended (the card itself is in #approvals).
 * @param {import("./run_model.js").ApprovalItem} item
 * @returns {HTMLElement}
 */
function approvalStep(item) {
  const li = make("li", "approval");
  li.dataset.state = item.state;
  li.dataset.approvalId = item.approval_id;
  li.append(make("strong", "", item.title), " ", make("span", "args", item.element), " ", make("span", "meta", item.outcome));
  return li;
}

function renderContext() {
  el("context").hidden = !pending;
  el("context-text").textContent = pending ? describeContext(pending.context) : "";
}

/** @param {ViewState} s */
function renderConnection(s) {
  const conn = el("conn");
  conn.dataset.state = s.connection;
  const label = s.connection === "connected" && s.bridge_label ? ` · ${s.bridge_label}` : "";
  conn.textContent = (STATUS_TEXT[s.connection] ?? s.connection) + label;
  const details = /** @type {HTMLDetailsElement} */ (el("connection-details"));
  if (s.connection === "not_paired" || s.pairing.phase !== "idle") details.open = true;
}

async function loadHistory() {
  try {
    const res = await send("runs.list", { limit: 20 });
    const rows = res.runs.map((/** @type {import("./run_model.js").RunView & {created: number}} */ r) => {
      const button = make("button");
      button.dataset.runId = r.run_id;
      button.append(make("span", "status", `${RUN_STATUS_TEXT[r.status] ?? r.status} · `), r.task.slice(0, 120));
      button.addEventListener("click", () => void show(r.run_id, r.task));
      const li = make("li");
      li.append(button);
      return li;
    });
    el("history-list").replaceChildren(...rows);
  } catch (err) {
    // Not connected yet: the list fills in once the connection is up.
    console.info("webbridge: history:", String(err));
  }
}

// --- start ---------------------------------------------------------------------------------------------------

async function onStateChange() {
  const s = await readState();
  renderConnection(s);
  pending = await readPendingContext();
  renderContext();
  if (s.connection === "connected" && s.bridge_id !== bridgeId) {
    // A new session with the daemon: the old one's subscriptions are gone; follow again and catch up.
    bridgeId = s.bridge_id;
    void loadHistory();
    cards.load().catch((err) => console.info("webbridge: approvals:", String(err)));
    if (view) void follow();
  } else if (s.connection !== "connected") {
    bridgeId = null;
  }
}

const cards = new ApprovalCards({ section: el("approvals"), list: el("approval-list"), send, onError: showError });
el("open-options").addEventListener("click", () => void chrome.runtime.openOptionsPage());
el("task-form").addEventListener("submit", (e) => void onSubmit(/** @type {SubmitEvent} */ (e)));
el("stop-button").addEventListener("click", () => void onStop());
el("history-refresh").addEventListener("click", () => void loadHistory());
el("context-clear").addEventListener("click", () => {
  pending = null;
  renderContext();
  void clearPendingContext();
});
onStateChanged(() => void onStateChange());
connectPort();
void (async () => {
  // A reopened panel shows the run it showed last, and follows it once connected.
  const shown = await readPanelRun();
  if (shown) view = emptyRun(shown.run_id);
  renderRun();
  await onStateChange();
})();
