/**
 * Tabs the agent controls, their in-page indicator, and the user's Stop click.
 *
 * - `markControlled(tabId)`: the agent opened or navigated this tab. It is recorded (state.js,
 *   `chrome.storage.session`) and shows the indicator (content op `indicator`, content/indicator.js) now
 *   and after every page load in it, until `releaseTab`.
 * - Stop: the indicator's Stop button (trusted clicks only) sends `{wbe: 1, event: "indicator.stop"}`;
 *   `onContentMessage` checks the sender is our own content script in a tab's top frame, records a
 *   `StopRequest` and releases the tab. Nothing consumes the request yet: the agent loop that cancels its run
 *   on it comes with issue 4.
 *
 * `registerAgentTabListeners()` must be called at the worker's top level (sw.js) so that page loads and Stop
 * clicks that wake the worker are delivered.
 */

import { callContent, ensureInjected } from "./content.js";
import { getControlledTabs, recordStopRequest, setControlledTab } from "./state.js";
import { unwatchTab } from "./tab_watch.js";
import { classifyUrl } from "./url_policy.js";

/**
 * Show or hide the indicator in a tab's top frame. Best effort: a page that cannot be scripted (or is
 * navigating right now) shows none, and the next page load tries again.
 * @param {number} tabId
 * @param {boolean} show
 * @returns {Promise<boolean>} whether it is shown
 */
export async function setIndicator(tabId, show) {
  try {
    const tab = await chrome.tabs.get(tabId);
    if (!classifyUrl(tab.url || tab.pendingUrl || "").allowed) return false;
    const [top] = await ensureInjected(tabId);
    const r = await callContent(tabId, top, "indicator", { show }, { timeoutMs: 5_000 });
    return !!r?.shown;
  } catch {
    return false;
  }
}

/**
 * The agent works in this tab from now on: record it and show the indicator (now, unless `show` is false
 * because the page is still loading: then when it has loaded).
 * @param {number} tabId
 * @param {{show?: boolean}} [opts]
 * @returns {Promise<void>}
 */
export async function markControlled(tabId, { show = true } = {}) {
  await setControlledTab(tabId, true);
  if (show) await setIndicator(tabId, true);
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
  unwatchTab(tabId); // the debugger bar goes away with the agent
  await setControlledTab(tabId, false);
}

/** Register the listeners above; call once, synchronously, at the worker's top level. */
export function registerAgentTabListeners() {
  chrome.webNavigation.onCompleted.addListener(onPageLoaded);
  chrome.tabs.onRemoved.addListener(onTabRemoved);
  chrome.runtime.onMessage.addListener(onContentMessage);
}
