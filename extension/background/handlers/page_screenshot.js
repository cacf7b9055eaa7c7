/**
 * `page.screenshot` (daemon → extension): a PNG or JPEG.
 *
 * - `viewport`: what the tab shows now. When the tab is the active one of its window this is
 *   `chrome.tabs.captureVisibleTab`, which needs no debugger (no "started debugging" bar); otherwise, and
 *   when the browser refuses (it allows about two such captures a second), CDP `Page.captureScreenshot`.
 * - `full` (CDP): the whole document (`Page.getLayoutMetrics` content size, `captureBeyondViewport`).
 * - `element` (CDP): the border box of the element `ref` names, in any frame: the content script checks the ref
 *   (6001 stale, 6003 hidden or no size) and scrolls it into view; the box is moved into the top frame's
 *   coordinates (`topPoint`) and the page scroll added, and clipped from a capture beyond the viewport.
 *
 * The image travels back as base64 in the reply (the fast direction); the daemon writes the file. A capture
 * larger than the bridge carries is 6010, a capture the browser refuses 6007. The tab's checks come first
 * (6005, 6004, 6002 with `expect_url`).
 */

import { Codes, WebBridgeError } from "../../protocol/errors.js";
import { checkedTab, tabFramesFor } from "../act_target.js";
import { callContent } from "../content.js";
import { send } from "../debugger.js";
import { topPoint } from "../trusted_input.js";

/** Largest base64 text of a capture; equals `MAX_CAPTURE_B64` of host/webbridge/protocol/capture_kinds.py. */
export const MAX_CAPTURE_B64 = 32 * 1024 * 1024 - 1024 * 1024;
/** Tallest or widest full-page capture in CSS px (a GPU texture limit; longer pages are cut there). */
export const MAX_FULL_PAGE_PX = 16_384;

/**
 * @typedef {{tab_id: number, area?: "viewport" | "full" | "element", ref?: string | null,
 *   format?: "png" | "jpeg", quality?: number | null, expect_url?: string | null}} ScreenshotBody
 */

/**
 * Refuse a capture too large for the bridge.
 * @param {string} data base64
 * @param {string} what
 * @returns {string}
 * @throws {WebBridgeError} 6010
 */
export function checkCaptureSize(data, what) {
  if (typeof data !== "string" || data.length === 0) throw new WebBridgeError(Codes.ACTION_FAILED, `the browser returned no ${what}`);
  if (data.length > MAX_CAPTURE_B64) {
    const mb = Math.round((data.length * 3) / 4 / 1_048_576);
    throw new WebBridgeError(Codes.CAPTURE_TOO_LARGE, `the ${what} is about ${mb} MB, more than the bridge carries; capture a smaller area or use jpeg`);
  }
  return data;
}

/**
 * The pixel size of a PNG (IHDR) or JPEG (first SOFn marker) given as base64; null when it cannot be read.
 * Reads only the head of the data (a JPEG's frame header comes after its tables, within the first 64 KiB).
 * @param {string} b64
 * @returns {{width: number, height: number} | null}
 */
export function imageSize(b64) {
  const head = b64.slice(0, 87_384).replace(/=+$/, "");
  const bin = atob(head.slice(0, head.length - (head.length % 4)));
  /** @param {number} i */
  const u16 = (i) => (bin.charCodeAt(i) << 8) | bin.charCodeAt(i + 1);
  /** @param {number} i */
  const u32 = (i) => u16(i) * 65536 + u16(i + 2);
  if (bin.startsWith("\x89PNG\r\n\x1a\n") && bin.slice(12, 16) === "IHDR") return { width: u32(16), height: u32(20) };
  if (bin.charCodeAt(0) !== 0xff || bin.charCodeAt(1) !== 0xd8) return null;
  let i = 2;
  while (i + 9 < bin.length) {
    if (bin.charCodeAt(i) !== 0xff) return null;
    const marker = bin.charCodeAt(i + 1);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { width: u16(i + 7), height: u16(i + 5) };
    }
    i += 2 + u16(i + 2);
  }
  return null;
}

/**
 * The CDP parameters of a capture, and the size of the captured area in CSS px (pure: tested on its own).
 * @param {"viewport" | "full" | "element"} area
 * @param {{cssContentSize?: {width: number, height: number}, contentSize?: {width: number, height: number},
 *   cssVisualViewport?: {pageX: number, pageY: number, clientWidth: number, clientHeight: number}}} metrics
 * @param {{x: number, y: number, width: number, height: number} | null} box  element box in the top viewport
 * @param {"png" | "jpeg"} format
 * @param {number | null | undefined} quality
 * @returns {{params: Record<string, unknown>, width: number, height: number, cut?: boolean}}  width/height: CSS px;
 *   `cut`: a full page larger than `MAX_FULL_PAGE_PX` was cut there
 */
export function captureParams(area, metrics, box, format, quality) {
  /** @type {Record<string, unknown>} */
  const params = { format };
  if (format === "jpeg" && quality != null) params.quality = quality;
  const vv = metrics.cssVisualViewport ?? { pageX: 0, pageY: 0, clientWidth: 0, clientHeight: 0 };
  if (area === "viewport") {
    // The page's own viewport, clipped explicitly: the browser's surface can differ from it (an emulated
    // viewport, or the debugger's infobar taking height from the view).
    const width = Math.round(vv.clientWidth);
    const height = Math.round(vv.clientHeight);
    params.captureBeyondViewport = true;
    params.clip = { x: vv.pageX, y: vv.pageY, width, height, scale: 1 };
    return { params, width, height };
  }
  if (area === "full") {
    const size = metrics.cssContentSize ?? metrics.contentSize ?? { width: vv.clientWidth, height: vv.clientHeight };
    const width = Math.min(Math.ceil(size.width), MAX_FULL_PAGE_PX);
    const height = Math.min(Math.ceil(size.height), MAX_FULL_PAGE_PX);
    params.captureBeyondViewport = true;
    params.clip = { x: 0, y: 0, width, height, scale: 1 };
    return { params, width, height, cut: Math.ceil(size.width) > MAX_FULL_PAGE_PX || Math.ceil(size.height) > MAX_FULL_PAGE_PX };
  }
  if (!box) throw new WebBridgeError(Codes.INVALID_MESSAGE, "an element screenshot needs a ref");
  const width = Math.max(1, Math.round(box.width));
  const height = Math.max(1, Math.round(box.height));
  // Clip coordinates are in the document (page) space: the viewport box plus the scroll position.
  params.captureBeyondViewport = true;
  params.clip = { x: box.x + vv.pageX, y: box.y + vv.pageY, width, height, scale: 1 };
  return { params, width, height };
}

/**
 * The visible area of a tab that is the active one of its window, without the debugger; null when the tab
 * is not active there or the browser refuses (the caller then uses CDP).
 * @param {number} tabId
 * @param {"png" | "jpeg"} format
 * @param {number | null | undefined} quality
 * @returns {Promise<string | null>} base64
 */
async function captureVisible(tabId, format, quality) {
  const tab = await chrome.tabs.get(tabId).catch(() => null);
  if (!tab?.active || tab.windowId === undefined) return null;
  /** @type {chrome.extensionTypes.ImageDetails} */
  const opts = { format };
  if (format === "jpeg") opts.quality = quality ?? 80;
  try {
    const url = await chrome.tabs.captureVisibleTab(tab.windowId, opts);
    // The window's active tab may have changed while capturing: only keep a capture of this tab.
    const after = await chrome.tabs.get(tabId).catch(() => null);
    if (!after?.active) return null;
    const comma = typeof url === "string" ? url.indexOf(",") : -1;
    return comma > 0 ? url.slice(comma + 1) : null;
  } catch {
    return null;
  }
}

/**
 * @param {ScreenshotBody} body
 * @returns {Promise<{url: string, format: "png" | "jpeg", width: number, height: number, data: string, cut: boolean}>}
 */
export async function takeScreenshot(body) {
  const tabId = body.tab_id;
  const area = body.area ?? "viewport";
  const format = body.format ?? "png";
  if ((area === "element") !== (body.ref != null)) {
    throw new WebBridgeError(Codes.INVALID_MESSAGE, "area \"element\" needs a ref, and only it takes one");
  }
  const { url } = await checkedTab(tabId, body.expect_url);
  /** @type {{x: number, y: number, width: number, height: number} | null} */
  let box = null;
  if (area === "element" && body.ref) {
    const { frames, frameOf } = await tabFramesFor(tabId);
    const frame = frameOf(body.ref);
    const r = await callContent(tabId, frame, "capture.rect", { ref: body.ref });
    const p = await topPoint(tabId, frames, frame, { x: r.x, y: r.y });
    box = { x: p.x, y: p.y, width: r.width, height: r.height };
  }
  if (area === "viewport") {
    const visible = await captureVisible(tabId, format, body.quality);
    const size = visible ? imageSize(visible) : null;
    if (visible && size) return { url: url.slice(0, 8192), format, ...size, data: checkCaptureSize(visible, "screenshot"), cut: false };
  }
  const metrics = await send(tabId, "Page.getLayoutMetrics");
  const { params, width, height, cut } = captureParams(area, metrics, box, format, body.quality);
  const shot = await send(tabId, "Page.captureScreenshot", params);
  const data = checkCaptureSize(shot?.data, "screenshot");
  // The image's own size: the viewport may have changed since the metrics were read (the debugger's
  // infobar takes its height from the page when it first appears).
  const size = imageSize(data) ?? { width, height };
  return { url: url.slice(0, 8192), format, width: size.width, height: size.height, data, cut: cut === true };
}

/**
 * The `page.screenshot` handler.
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 */
export async function pageScreenshot(msg) {
  const body = await takeScreenshot(/** @type {ScreenshotBody} */ (/** @type {unknown} */ (msg.body)));
  return { kind: "page.screenshot.result", body };
}
