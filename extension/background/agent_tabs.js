/**
 * Tabs the agent controls, their in-page indicator, the tabs their pages open, and the user's Stop click.
 *
 * - `markControlled(tabId, {runId, label})`: a run works in this tab (the daemon's `tab.control`, sent the
 *   first time a run uses a tab; `tabs.open` and `page.navigate` mark their tab too, without a run). The tab
 *   and the runs in it are recorded (state.js, `chrome.storage.session`) and the indicator (content op
 *   `indicator`, content/indicator.js) shows now and after every page load in it, until it is released.
 * - `releaseRun(tabId, runId)`: the run ended (`tab.control` with `on: false`); once no run controls the
 *   tab any more it is released (indicator hidden).
 * - Opened tabs: when a page opens a new tab (a link with a target, `window.open`:
 *   `webNavigation.onCreatedNavigationTarget`) while exactly one run controls the page's tab, that run is
 *   recorded as the one that opened it (state.js `opened_by`, forgotten when the tab closes); `tabs.list`
 *   reports it as `opened_by_run` and the daemon lets that run use the tab (tools/tab_scope.py rule 4).
 *   A tab opened from there before the run controlled it has none.
 * - Stop: the indicator's Stop button (trusted clicks only) sends `{wbe: 1, event: "indicator.stop"}`;
 *   `onContentMessage` checks the sender is our own content script in a tab's top frame, records a
 *   `StopRequest`, sends `run.stop` for every run controlling the tab (each returns once its run has ended
 *   `cancelled`) and releases the tab.
 *
 * `registerAgentTabListeners()` must be called at the worker's top level (sw.js) so that page loads and Stop
 * clicks that wake the worker are delivered.
 */

import { openChannel } from "./connection.js";
import { callContent, ensureInjected } from "./content.js";
import {
  addTabRun,
  forgetOpenedBy,
  getControlledTabs,
  getTabRuns,
  recordOpenedBy,
  recordStopRequest,
  removeTabRun,
  setControlledTab,
} from "./state.js";
import { unwatchTab } from "./tab_watch.js";
import { classifyUrl } from "./url_policy.js";

/** How long `run.stop` may take: it answers once the run has ended. */
const STOP_TIMEOUT_MS = 30_000;

/**
 * Show or hide the indicator in a tab's top frame, with the label of the runs in it. Best effort: a page
 * that cannot be scripted (or is navigating right now) shows none, and the next page load tries again.
 * @param {number} tabId
 * @param {boolean} show
 * @returns {Promise<boolean>} whether it is shown
 */
export async function setIndicator(tabId, show) {
  try {
    const tab = await chrome.tabs.get(tabId);
    if (!classifyUrl(tab.url || tab.pendingUrl || "").allowed) return false;
    const label = show ? (await getTabRuns())[String(tabId)]?.label : null;
    const [top] = await ensureInjected(tabId);
    const args = label ? { show, label } : { show };
    const r = await callContent(tabId, top, "indicator", args, { timeoutMs: 5_000 });
    return !!r?.shown;
  } catch {
    return false;
  }
}

/**
 * The agent works in this tab from now on: record it (and the run, when given) and show the indicator
 * (now, unless `show` is false because the page is still loading: then when it has loaded).
 * @param {number} tabId
 * @param {{show?: boolean, runId?: string, label?: string | null}} [opts]
 * @returns {Promise<boolean>} whether the indicator shows now
 */
export async function markControlled(tabId, { show = true, runId, label = null } = {}) {
  await setControlledTab(tabId, true);
  if (runId) await addTabRun(tabId, runId, label);
  return show ? setIndicator(tabId, true) : false;
}

/**
 * The run is done with this tab. Once no run controls it, the tab is released (indicator hidden).
 * Idempotent.
 * @param {number} tabId
 * @param {string} runId
 * @returns {Promise<boolean>} whether the indicator still shows (another run works in the tab)
 */
export async function releaseRun(tabId, runId) {
  const { left } = await removeTabRun(tabId, runId);
  if (left.length) return isControlled(tabId);
  await releaseTab(tabId);
  return false;
}

/**
 * The agent is done with this tab (or the user stopped it): hide the indicator, forget the tab.
 * @param {number} tabId
 * @returns {Promise<void>}
 */
export async function releaseTab(tabId) {
  unwatchTab(tabId); // the debugger bar goes away with the agent
  await setControlledTab(tabId, false);
  await setIndicator(tabId, false);
}

/**
 * @param {number} tabId
 * @returns {Promise<boolean>}
 */
export async function isControlled(tabId) {
  return Object.hasOwn(await getControlledTabs(), String(tabId));
}

/**
 * `webNavigation.onCompleted`: a controlled tab loaded a new page, which needs the indicator again.
 * @param {{tabId: number, frameId: number}} details
 */
function onPageLoaded(details) {
  if (details.frameId !== 0) return;
  void isControlled(details.tabId).then((yes) => (yes ? setIndicator(details.tabId, true) : false));
}

/** @param {number} tabId */
function onTabRemoved(tabId) {
  void setControlledTab(tabId, false);
  void removeTabRun(tabId, null);
  void forgetOpenedBy(tabId);
}

/**
 * `webNavigation.onCreatedNavigationTarget`: a page (any frame) in `sourceTabId` opened the tab `tabId`.
 * @param {{tabId: number, sourceTabId: number}} details
 */
export function onOpenedFromTab(details) {
  void recordOpenedBy(details.tabId, details.sourceTabId);
}

/**
 * `runtime.onMessage` for events from our content scripts (the UI's messages are routed by router.js).
 * Only our own content script in a tab's top frame is listened to; anything else is ignored unanswered.
 * @param {unknown} message
 * @param {chrome.runtime.MessageSender} sender
 * @returns {boolean} false: no answer is sent
 */
export function onContentMessage(message, sender) {
  const m = /** @type {{wbe?: unknown, event?: unknown}} */ (message);
  if (!m || m.wbe !== 1 || m.event !== "indicator.stop") return false;
  const tabId = sender?.tab?.id;
  if (!sender || sender.id !== chrome.runtime.id || tabId === undefined || sender.frameId !== 0) return false;
  void handleStop(tabId, String(sender.url ?? sender.tab?.url ?? ""));
  return false;
}

/**
 * @param {number} tabId
 * @param {string} url
 */
async function handleStop(tabId, url) {
  await recordStopRequest({ tab_id: tabId, url: url.slice(0, 8192), at: Date.now() });
  const { removed } = await removeTabRun(tabId, null);
  await Promise.all(removed.map((runId) => stopRun(runId)));
  await releaseTab(tabId);
}

/**
 * Ask the daemon to stop a run; resolves once it has ended (or the daemon cannot be reached, logged: a run
 * whose daemon is unreachable cannot act in the browser either).
 * @param {string} runId
 * @returns {Promise<void>}
 */
async function stopRun(runId) {
  try {
    await openChannel().request("run.stop", { run_id: runId }, { timeoutMs: STOP_TIMEOUT_MS });
  } catch (err) {
    console.warn(`webbridge: could not stop run ${runId}:`, String(err));
  }
}

/** Register the listeners above; call once, synchronously, at the worker's top level. */
export function registerAgentTabListeners() {
  chrome.webNavigation.onCompleted.addListener(onPageLoaded);
  chrome.webNavigation.onCreatedNavigationTarget.addListener(onOpenedFromTab);
  chrome.tabs.onRemoved.addListener(onTabRemoved);
  chrome.runtime.onMessage.addListener(onContentMessage);
}
