/**
 * The checks every capture and transfer action makes before it touches a page, in one place: the tab
 * exists (6005), its page may be acted in (6004, URL policy), it is still on `expect_url` when given (6002),
 * and a ref's frame number still names a live document of the tab (6001). The content script then checks
 * that the ref names the same live element.
 */

import { Codes, WebBridgeError } from "../protocol/errors.js";
import { ensureInjected } from "./content.js";
import { frameOfRef } from "./frames.js";
import { getTab } from "./tab_info.js";
import { requireActionableTab } from "./url_policy.js";

/** @typedef {import("./frames.js").FrameInfo} FrameInfo */

/**
 * @param {number} tabId
 * @param {string | null | undefined} expectUrl
 * @returns {Promise<{tab: chrome.tabs.Tab, url: string}>}
 * @throws {WebBridgeError} 6005, 6004, 6002
 */
export async function checkedTab(tabId, expectUrl) {
  const tab = await getTab(tabId);
  requireActionableTab(tab);
  const url = tab.url ?? "";
  if (expectUrl != null && url !== expectUrl) {
    throw new WebBridgeError(Codes.NAVIGATED_AWAY, `the tab is on ${url.slice(0, 500)}, not on the expected ${expectUrl.slice(0, 500)}`);
  }
  return { tab, url };
}

/**
 * The frames of the tab (content scripts injected) and a lookup of a ref's frame.
 * @param {number} tabId
 * @returns {Promise<{frames: FrameInfo[], frameOf: (ref: string) => FrameInfo}>}
 * @throws {WebBridgeError} 6005, 6004 (from injection)
 */
export async function tabFramesFor(tabId) {
  const frames = await ensureInjected(tabId);
  return {
    frames,
    frameOf(ref) {
      const n = frameOfRef(ref);
      const found = frames.find((f) => f.n === n);
      if (!found) throw new WebBridgeError(Codes.STALE_REF, `stale ref ${ref}: its page or frame is gone (navigated or removed); take a new snapshot`);
      return found;
    },
  };
}
