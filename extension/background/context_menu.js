/**
 * The "Ask WebBridge" context menu on pages, selections, links and images.
 *
 * A click opens the side panel for the clicked tab (first thing in the handler, while Chrome still counts the
 * click as a user gesture: `chrome.sidePanel.open` refuses without one) and hands the panel what was clicked
 * and the tab, through `state.js` (`pending_context`). The side panel shows the attached context and runs
 * the task the user types in that tab. What a page supplies (selection, title, URLs) is untrusted data: it
 * travels as the run's `context`, never as the task.
 */

import { setPendingContext } from "./state.js";

export const MENU_ID = "webbridge-ask";
/** Longest selection handed over (characters), as `run.start` accepts. */
export const MAX_SELECTION = 20_000;
const MAX_TEXT = 8192;

/**
 * @typedef {import("./state.js").PendingContext} PendingContext
 * @typedef {import("./state.js").RunContext} RunContext
 */

/** Create the menu item (on install and update; Chrome keeps items across worker restarts). */
export async function registerContextMenu() {
  try {
    await chrome.contextMenus.removeAll();
    chrome.contextMenus.create({ id: MENU_ID, title: "Ask WebBridge", contexts: ["page", "selection", "link", "image"] });
  } catch (err) {
    console.warn("webbridge: could not create the context menu", err);
  }
}

/**
 * @param {unknown} value
 * @param {number} max
 * @returns {string | null}
 */
function clip(value, max) {
  return typeof value === "string" && value ? value.slice(0, max) : null;
}

/**
 * What was clicked, in the `run.start` context shape. Selection beats link beats image beats page, as
 * Chrome reports all that apply.
 * @param {chrome.contextMenus.OnClickData} info
 * @param {chrome.tabs.Tab | undefined} tab
 * @returns {RunContext}
 */
export function contextOf(info, tab) {
  const what = info.selectionText ? "selection" : info.linkUrl ? "link" : info.srcUrl && info.mediaType === "image" ? "image" : "page";
  return {
    what,
    page_url: clip(info.pageUrl ?? tab?.url, MAX_TEXT),
    page_title: clip(tab?.title, MAX_TEXT),
    selection: what === "selection" ? clip(info.selectionText, MAX_SELECTION) : null,
    link_url: what === "link" ? clip(info.linkUrl, MAX_TEXT) : null,
    image_url: what === "image" ? clip(info.srcUrl, MAX_TEXT) : null,
  };
}

/**
 * `chrome.contextMenus.onClicked` listener. Opens the side panel at once (the user gesture does not survive
 * an `await`), then stores the context for it.
 * @param {chrome.contextMenus.OnClickData} info
 * @param {chrome.tabs.Tab | undefined} tab
 * @returns {Promise<PendingContext | null>}  what was handed over (null for another menu's item or no tab)
 */
export function onContextMenuClick(info, tab) {
  if (info.menuItemId !== MENU_ID || !tab || typeof tab.id !== "number" || tab.id < 0) return Promise.resolve(null);
  const opened = chrome.sidePanel.open({ tabId: tab.id }).then(
    () => true,
    (err) => {
      // Without a user gesture (a test hook, or a gesture Chrome did not honour) the panel stays closed;
      // the context still waits for it.
      console.warn("webbridge: could not open the side panel:", String(err));
      return false;
    },
  );
  /** @type {PendingContext} */
  const pending = { tab_id: tab.id, context: contextOf(info, tab), at: Date.now() };
  return Promise.all([opened, setPendingContext(pending)]).then(() => pending);
}
