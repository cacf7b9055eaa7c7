/**
 * The extension's visible state, kept in `chrome.storage` so that it survives the service worker stopping
 * and so that the popup can render it and re-render on `chrome.storage.onChanged`. This is the ONLY module
 * that touches `chrome.storage`.
 *
 * - `chrome.storage.session` (memory only, extension pages only): connection status, daemon version, bridge
 *   id and label, pairing phase and the pending code, the last error. None of it outlives the browser.
 * - `chrome.storage.local` (on disk): the profile label the user gave this browser profile.
 *
 * Keys live elsewhere (`keystore.js`, IndexedDB): nothing secret is ever written here.
 */

/**
 * @typedef {"starting" | "connecting" | "connected" | "not_paired" | "host_not_found" | "host_forbidden"
 *   | "disconnected"} ConnectionStatus
 * @typedef {"idle" | "starting" | "compare" | "confirmed" | "done" | "failed"} PairingPhase
 * @typedef {{phase: PairingPhase, sas: string | null, pair_id: string | null, started: number | null}} PairingState
 *   `sas` is the six digits, no space; `started` is ms since the epoch
 * @typedef {{code: number, name: string, message: string, hint: string, at: number}} LastError
 * @typedef {{
 *   connection: ConnectionStatus,
 *   daemon_version: string | null,
 *   bridge_id: string | null,
 *   bridge_label: string | null,
 *   pairing_id: string | null,
 *   pairing: PairingState,
 *   last_error: LastError | null,
 *   profile_label: string,
 * }} ViewState
 */

export const DEFAULT_PROFILE_LABEL = "Default";

/** @type {Readonly<PairingState>} */
export const IDLE_PAIRING = Object.freeze({ phase: "idle", sas: null, pair_id: null, started: null });

/** @type {Readonly<Omit<ViewState, "profile_label">>} */
const SESSION_DEFAULTS = Object.freeze({
  connection: "starting",
  daemon_version: null,
  bridge_id: null,
  bridge_label: null,
  pairing_id: null,
  pairing: IDLE_PAIRING,
  last_error: null,
});

/**
 * The whole visible state, with defaults for what was never written.
 * @returns {Promise<ViewState>}
 */
export async function readState() {
  const [session, local] = await Promise.all([
    chrome.storage.session.get(Object.keys(SESSION_DEFAULTS)),
    chrome.storage.local.get("profile_label"),
  ]);
  const label = typeof local.profile_label === "string" && local.profile_label ? local.profile_label : DEFAULT_PROFILE_LABEL;
  return /** @type {ViewState} */ ({ ...SESSION_DEFAULTS, ...session, profile_label: label });
}

/**
 * Write part of the session state.
 * @param {Partial<Omit<ViewState, "profile_label">>} patch
 * @returns {Promise<void>}
 */
export async function updateState(patch) {
  await chrome.storage.session.set(patch);
}

/**
 * Back to the state of a fresh start (on every worker wake-up without a live connection), keeping what
 * is still true: the pairing id, the daemon version, and the last error until something replaces it.
 * @returns {Promise<void>}
 */
export async function resetConnectionState() {
  const { connection } = await chrome.storage.session.get("connection");
  // While the host is missing, retries must not make the popup flicker between "connecting" and the fix.
  const keep = connection === "host_not_found" || connection === "host_forbidden";
  await chrome.storage.session.set({
    ...(keep ? {} : { connection: "connecting" }),
    bridge_id: null,
    bridge_label: null,
    pairing: IDLE_PAIRING,
  });
}

/**
 * The stored form of an error, with what the user should do about it (for `updateState({last_error})`, so
 * that a status and the error explaining it change in one write).
 * @param {{code: number, name: string, message: string}} err  a `WebBridgeError` or a wire error body
 * @param {string} [hint]
 * @returns {LastError}
 */
export function errorState(err, hint = "") {
  return { code: err.code, name: err.name, message: String(err.message).slice(0, 1000), hint, at: Date.now() };
}

/**
 * Record the last error with what the user should do about it.
 * @param {{code: number, name: string, message: string}} err  a `WebBridgeError` or a wire error body
 * @param {string} [hint]
 * @returns {Promise<void>}
 */
export async function setLastError(err, hint = "") {
  await chrome.storage.session.set({ last_error: errorState(err, hint) });
}

/** @returns {Promise<void>} */
export async function clearLastError() {
  await chrome.storage.session.set({ last_error: null });
}

/** @returns {Promise<string>} */
export async function getProfileLabel() {
  const { profile_label } = await chrome.storage.local.get("profile_label");
  return typeof profile_label === "string" && profile_label ? profile_label : DEFAULT_PROFILE_LABEL;
}

/**
 * @param {string} label  1–256 characters; trimmed
 * @returns {Promise<string>} the label stored
 */
export async function setProfileLabel(label) {
  const clean = String(label).trim().slice(0, 256) || DEFAULT_PROFILE_LABEL;
  await chrome.storage.local.set({ profile_label: clean });
  return clean;
}

/**
 * Call `listener` whenever the visible state changes (popup re-rendering).
 * @param {() => void} listener
 * @returns {() => void} unsubscribe
 */
export function onStateChanged(listener) {
  /** @param {Record<string, chrome.storage.StorageChange>} _changes @param {string} area */
  const handler = (_changes, area) => {
    if (area === "session" || area === "local") listener();
  };
  chrome.storage.onChanged.addListener(handler);
  return () => chrome.storage.onChanged.removeListener(handler);
}

// --- tabs the agent controls, and Stop requests from the in-page indicator ------------------------------

/**
 * @typedef {{tab_id: number, url: string, at: number}} StopRequest  the user clicked Stop in that tab
 */

/** Stop requests kept for the agent loop (issue 4) to consume; older ones are dropped. */
const MAX_STOP_REQUESTS = 50;

/** Read-modify-write of the two lists below, one at a time (two tabs' events may race). */
let agentWrites = Promise.resolve();

/**
 * @template T
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
function serialised(fn) {
  const run = agentWrites.then(fn);
  agentWrites = run.then(() => undefined, () => undefined);
  return run;
}

/**
 * Tabs the agent controls: tab id → since when (ms since the epoch).
 * @returns {Promise<Record<string, number>>}
 */
export async function getControlledTabs() {
  const { controlled_tabs } = await chrome.storage.session.get("controlled_tabs");
  return controlled_tabs && typeof controlled_tabs === "object" ? /** @type {Record<string, number>} */ (controlled_tabs) : {};
}

/**
 * @param {number} tabId
 * @param {boolean} controlled
 * @returns {Promise<boolean>} whether this changed anything
 */
export function setControlledTab(tabId, controlled) {
  return serialised(async () => {
    const tabs = await getControlledTabs();
    const key = String(tabId);
    if (controlled === Object.hasOwn(tabs, key)) return false;
    if (controlled) tabs[key] = Date.now();
    else delete tabs[key];
    await chrome.storage.session.set({ controlled_tabs: tabs });
    return true;
  });
}

/**
 * @param {StopRequest} request
 * @returns {Promise<void>}
 */
export function recordStopRequest(request) {
  return serialised(async () => {
    const list = await readStopRequests();
    list.push(request);
    await chrome.storage.session.set({ stop_requests: list.slice(-MAX_STOP_REQUESTS) });
  });
}

/** @returns {Promise<StopRequest[]>} oldest first */
export async function readStopRequests() {
  const { stop_requests } = await chrome.storage.session.get("stop_requests");
  return Array.isArray(stop_requests) ? stop_requests : [];
}

// --- which runs control a tab (`tab.control`), and each run's tab group -----------------------------------

/**
 * @typedef {{runs: string[], label: string | null}} TabRuns  the runs working in a tab; the indicator's label
 */

/** Run → tab group entries kept; the oldest are dropped (a run's group outlives it, the entry need not). */
const MAX_RUN_GROUPS = 64;

/** @returns {Promise<Record<string, TabRuns>>} tab id → the runs controlling it */
export async function getTabRuns() {
  const { tab_runs } = await chrome.storage.session.get("tab_runs");
  return tab_runs && typeof tab_runs === "object" ? /** @type {Record<string, TabRuns>} */ (tab_runs) : {};
}

/**
 * Record that `runId` controls `tabId` (idempotent); `label` replaces the indicator's label when given.
 * @param {number} tabId
 * @param {string} runId
 * @param {string | null} label
 * @returns {Promise<TabRuns>} the tab's entry now
 */
export function addTabRun(tabId, runId, label) {
  return serialised(async () => {
    const all = await getTabRuns();
    const entry = all[String(tabId)] ?? { runs: [], label: null };
    if (!entry.runs.includes(runId)) entry.runs.push(runId);
    if (label) entry.label = label;
    all[String(tabId)] = entry;
    await chrome.storage.session.set({ tab_runs: all });
    return entry;
  });
}

/**
 * Forget `runId` in `tabId` (every run when `runId` is null).
 * @param {number} tabId
 * @param {string | null} runId
 * @returns {Promise<{removed: string[], left: string[]}>}
 */
export function removeTabRun(tabId, runId) {
  return serialised(async () => {
    const all = await getTabRuns();
    const entry = all[String(tabId)];
    if (!entry) return { removed: [], left: [] };
    const removed = entry.runs.filter((r) => runId === null || r === runId);
    const left = entry.runs.filter((r) => !removed.includes(r));
    if (left.length) all[String(tabId)] = { ...entry, runs: left };
    else delete all[String(tabId)];
    await chrome.storage.session.set({ tab_runs: all });
    return { removed, left };
  });
}

/**
 * @param {string} runId
 * @returns {Promise<number | null>} the id of the tab group made for the run, if any
 */
export async function getRunGroup(runId) {
  const id = (await readRunGroups())[runId];
  return typeof id === "number" ? id : null;
}

/** @returns {Promise<Record<string, number>>} run id → tab group id, oldest first */
async function readRunGroups() {
  const { run_groups } = await chrome.storage.session.get("run_groups");
  return run_groups && typeof run_groups === "object" ? /** @type {Record<string, number>} */ (run_groups) : {};
}

/**
 * @param {string} runId
 * @param {number} groupId
 * @returns {Promise<void>}
 */
export function setRunGroup(runId, groupId) {
  return serialised(async () => {
    const all = await readRunGroups();
    delete all[runId];
    all[runId] = groupId; // insertion order: newest last
    const keys = Object.keys(all);
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_RUN_GROUPS))) delete all[old];
    await chrome.storage.session.set({ run_groups: all });
  });
}

/** Tab → opening run entries kept (`opened_by`); the oldest are dropped. */
const MAX_OPENED_BY = 256;

/** @returns {Promise<Record<string, string>>} */
async function readOpenedBy() {
  const { opened_by } = await chrome.storage.session.get("opened_by");
  return opened_by && typeof opened_by === "object" ? /** @type {Record<string, string>} */ (opened_by) : {};
}

/**
 * Tabs opened by a page while a run controlled it: tab id → that run's id. Read after every write queued
 * so far, so a tab whose creation was seen before this call is in the answer.
 * @returns {Promise<Record<string, string>>}
 */
export function getOpenedBy() {
  return serialised(readOpenedBy);
}

/**
 * A page in `sourceTabId` opened `tabId` (a link with a target, `window.open`). When exactly one run
 * controls the source tab at this moment (`tab_runs`), record that run as the one that opened the tab;
 * otherwise (no run: the user's own doing; several: which one cannot be told) record nothing. Decided in
 * the same queue as `addTabRun`/`removeTabRun`, so a run taking or letting go of the source tab is either
 * wholly before or wholly after.
 * @param {number} tabId
 * @param {number} sourceTabId
 * @returns {Promise<string | null>} the run recorded, or null
 */
export function recordOpenedBy(tabId, sourceTabId) {
  return serialised(async () => {
    const entry = (await getTabRuns())[String(sourceTabId)];
    if (!entry || entry.runs.length !== 1 || tabId === sourceTabId) return null;
    const [runId] = entry.runs;
    const all = await readOpenedBy();
    delete all[String(tabId)];
    all[String(tabId)] = runId; // insertion order: newest last
    const keys = Object.keys(all);
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_OPENED_BY))) delete all[old];
    await chrome.storage.session.set({ opened_by: all });
    return runId;
  });
}

/**
 * The tab closed: forget who opened it. Idempotent.
 * @param {number} tabId
 * @returns {Promise<void>}
 */
export function forgetOpenedBy(tabId) {
  return serialised(async () => {
    const all = await readOpenedBy();
    if (!Object.hasOwn(all, String(tabId))) return;
    delete all[String(tabId)];
    await chrome.storage.session.set({ opened_by: all });
  });
}

// --- the side panel: context handed over by the context menu, and the run it shows -----------------------

/**
 * @typedef {{
 *   what: "page" | "selection" | "link" | "image",
 *   page_url: string | null,
 *   page_title: string | null,
 *   selection: string | null,
 *   link_url: string | null,
 *   image_url: string | null,
 * }} RunContext  what a right-click attached (untrusted page data), as `run.start` carries it
 * @typedef {{tab_id: number, context: RunContext, at: number}} PendingContext  waiting for the side panel
 * @typedef {{run_id: string, tab_id: number | null}} PanelRun  the run the side panel shows
 */

/**
 * Hand a right-click's context to the side panel (replacing one not yet used).
 * @param {PendingContext} pending
 * @returns {Promise<void>}
 */
export async function setPendingContext(pending) {
  await chrome.storage.session.set({ pending_context: pending });
}

/** @returns {Promise<PendingContext | null>} */
export async function readPendingContext() {
  const { pending_context } = await chrome.storage.session.get("pending_context");
  return pending_context && typeof pending_context === "object" ? /** @type {PendingContext} */ (pending_context) : null;
}

/** @returns {Promise<void>} */
export async function clearPendingContext() {
  await chrome.storage.session.remove("pending_context");
}

/**
 * Remember the run the side panel shows, so that a reopened panel follows it again.
 * @param {PanelRun | null} run
 * @returns {Promise<void>}
 */
export async function setPanelRun(run) {
  if (run) await chrome.storage.session.set({ panel_run: run });
  else await chrome.storage.session.remove("panel_run");
}

/** @returns {Promise<PanelRun | null>} */
export async function readPanelRun() {
  const { panel_run } = await chrome.storage.session.get("panel_run");
  return panel_run && typeof panel_run === "object" ? /** @type {PanelRun} */ (panel_run) : null;
}

// --- browser control: the frame-number table of each tab, and the sites that need trusted input -----------

/** @param {number} tabId */
const frameTableKey = (tabId) => `wb.frames.${tabId}`;
const TRUSTED_ORIGINS_KEY = "wb.trustedOrigins";
/** Origins remembered for trusted input; the oldest are dropped beyond this. */
const MAX_TRUSTED_ORIGINS = 500;

/**
 * The stored frame-number table of a tab (background/frames.js owns its shape), or null.
 * @param {number} tabId
 * @returns {Promise<unknown>}
 */
export async function readFrameTable(tabId) {
  const key = frameTableKey(tabId);
  return (await chrome.storage.session.get(key))[key] ?? null;
}

/**
 * @param {number} tabId
 * @param {object} table  JSON-serialisable
 * @returns {Promise<void>}
 */
export async function writeFrameTable(tabId, table) {
  await chrome.storage.session.set({ [frameTableKey(tabId)]: table });
}

/**
 * @param {number} tabId
 * @returns {Promise<void>}
 */
export async function removeFrameTable(tabId) {
  await chrome.storage.session.remove(frameTableKey(tabId));
}

/**
 * Origins where `page.act` with `input: "auto"` uses trusted input at once (this browser session only).
 * @returns {Promise<string[]>} oldest first
 */
export async function readTrustedOrigins() {
  const stored = (await chrome.storage.session.get(TRUSTED_ORIGINS_KEY))[TRUSTED_ORIGINS_KEY];
  return Array.isArray(stored) ? stored.map(String) : [];
}

/**
 * Remember an origin for trusted input (idempotent; serialised with the other read-modify-writes here).
 * @param {string} origin
 * @returns {Promise<void>}
 */
export function addTrustedOrigin(origin) {
  return serialised(async () => {
    const list = await readTrustedOrigins();
    if (list.includes(origin)) return;
    list.push(origin);
    await chrome.storage.session.set({ [TRUSTED_ORIGINS_KEY]: list.slice(-MAX_TRUSTED_ORIGINS) });
  });
}
