/**
 * `downloads.wait` (daemon → extension): wait, event-driven (`chrome.downloads.onCreated`/`onChanged`), for
 * the next matching download to complete, and report where the browser saved it.
 *
 * Candidates: downloads that started at or after `since_ms` (default: when the wait began), whose URL
 * contains `url` and whose file name contains `filename` (case-insensitive), and, with `tab_id`, that came
 * from the tab's site (the referrer's origin, else the URL's, equals the tab's origin; Chrome does not
 * record which tab started a download). The listeners are added before the existing downloads are looked
 * at, so none can slip between the two.
 *
 * The first candidate to finish settles the wait: complete → `{id, path, size, mime, url}`; interrupted or
 * cancelled → 6011 with Chrome's reason. Nothing in `timeout_ms` → 6006. A file name is known only once
 * Chrome has chosen it, so the `filename` filter is applied when a download finishes.
 */

import { Codes, WebBridgeError } from "../../protocol/errors.js";
import { getTab } from "../tab_info.js";
import { eventWait } from "../tab_waits.js";

/**
 * @typedef {{tab_id?: number | null, url?: string | null, filename?: string | null, since_ms?: number | null,
 *   timeout_ms?: number}} WaitBody
 * @typedef {{origin: string | null, url: string | null, filename: string | null, since: number}} Filter
 * @typedef {{id: number, url: string, finalUrl?: string, referrer?: string, filename: string, startTime: string,
 *   state: string, error?: string, fileSize: number, totalBytes: number, bytesReceived: number, mime: string}} Item
 */

/**
 * @param {string | undefined} url
 * @returns {string | null}
 */
function originOf(url) {
  try {
    return url ? new URL(url).origin : null;
  } catch {
    return null;
  }
}

/**
 * The base name of a saved path (either separator: the browser may run on Windows).
 * @param {string} path
 */
export function baseName(path) {
  return path.split(/[\\/]/).pop() ?? "";
}

/**
 * Whether a download is a candidate (pure: tested on its own). `final` applies the file-name filter too.
 * @param {Item} item
 * @param {Filter} f
 * @param {boolean} final
 * @returns {boolean}
 */
export function matches(item, f, final) {
  if (Date.parse(item.startTime) < f.since) return false;
  const url = (item.finalUrl || item.url || "").toLowerCase();
  if (f.url && !url.includes(f.url.toLowerCase()) && !(item.url || "").toLowerCase().includes(f.url.toLowerCase())) return false;
  if (f.origin && (originOf(item.referrer) ?? originOf(item.url)) !== f.origin) return false;
  if (final && f.filename && !baseName(item.filename).toLowerCase().includes(f.filename.toLowerCase())) return false;
  return true;
}

/**
 * The reply for a finished download, or the 6011 error for one that failed.
 * @param {Item} item
 * @returns {{id: number, path: string, size: number, mime: string, url: string}}
 * @throws {WebBridgeError} 6011
 */
export function outcome(item) {
  if (item.state === "interrupted") {
    const name = baseName(item.filename) || item.url.slice(0, 200);
    throw new WebBridgeError(Codes.DOWNLOAD_INTERRUPTED, `the download of ${name} was interrupted: ${item.error ?? "unknown reason"}`);
  }
  return {
    id: item.id,
    path: item.filename.slice(0, 8192),
    size: Math.max(item.fileSize, item.bytesReceived, 0),
    mime: (item.mime || "").slice(0, 256),
    url: (item.finalUrl || item.url).slice(0, 8192),
  };
}

/**
 * @param {number} id
 * @returns {Promise<Item | null>}
 */
async function itemById(id) {
  const [item] = /** @type {Item[]} */ (/** @type {unknown} */ (await chrome.downloads.search({ id })));
  return item ?? null;
}

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 */
export async function downloadsWait(msg) {
  const b = /** @type {WaitBody} */ (msg.body);
  const began = Date.now();
  const origin = b.tab_id != null ? originOf((await getTab(b.tab_id)).url) : null;
  /** @type {Filter} */
  const filter = { origin, url: b.url ?? null, filename: b.filename ?? null, since: b.since_ms ?? began };
  const timeoutMs = b.timeout_ms ?? 30_000;
  /** @type {Set<number>} downloads seen in progress that may still settle the wait */
  const watching = new Set();

  const wait = eventWait((done, fail) => {
    /** @param {Item} item */
    const settle = (item) => {
      try {
        done(outcome(item));
      } catch (err) {
        fail(err);
      }
    };
    /** @param {chrome.downloads.DownloadItem} raw */
    const created = (raw) => {
      const item = /** @type {Item} */ (/** @type {unknown} */ (raw));
      if (!matches(item, filter, false)) return;
      if (item.state === "in_progress") watching.add(item.id);
      else if (matches(item, filter, true)) settle(item);
    };
    /** @param {chrome.downloads.DownloadDelta} delta */
    const changed = (delta) => {
      const state = delta.state?.current;
      if (!state || state === "in_progress" || !watching.has(delta.id)) return;
      watching.delete(delta.id);
      itemById(delta.id).then((item) => {
        if (item && matches(item, filter, true)) settle(item);
      }, fail);
    };
    chrome.downloads.onCreated.addListener(created);
    chrome.downloads.onChanged.addListener(changed);
    // Downloads that started before the wait (since_ms in the past): settled ones answer at once.
    chrome.downloads.search({ startedAfter: new Date(filter.since - 1).toISOString(), orderBy: ["startTime"] }).then((found) => {
      for (const raw of found) created(raw);
    }, fail);
    return () => {
      chrome.downloads.onCreated.removeListener(created);
      chrome.downloads.onChanged.removeListener(changed);
    };
  }, timeoutMs, () => new WebBridgeError(Codes.WAIT_TIMEOUT, `no matching download finished within ${timeoutMs} ms`));
  const body = await wait.promise;
  return { kind: "downloads.wait.result", body };
}
