/**
 * The network log of the tabs the agent touches: one bounded `Ring` per tab of what the browser saw
 * (net_hook.js: method, URL, type, status or error, cache, timing, declared sizes — never headers or
 * bodies). Recording starts with `startNetLog(tabId)` (tab_watch.js calls it on the agent's first request
 * naming the tab) and ends when the tab closes; requests already in flight then are included.
 *
 * Kept in the worker's memory: a log, not state (a restarted worker starts an empty one). URLs are page data.
 */

import { Ring } from "./ring.js";
import { inFlight, onRequestEvent } from "./net_hook.js";

/** Most requests kept per tab. */
export const NET_LOG_SIZE = 1000;
const MAX_URL = 8192;

/**
 * @typedef {import("./net_hook.js").NetRequest} NetRequest
 * @typedef {{seq: number, req: NetRequest}} NetEntry
 * @typedef {{
 *   seq: number, method: string, url: string, type: string, status: number | null, error: string | null,
 *   from_cache: boolean, started: number, duration_ms: number | null, request_size: number | null,
 *   response_size: number | null,
 * }} WireRequest
 */

/** @type {Map<number, Ring<NetEntry>>} */
const logs = new Map();
/** @type {(() => void) | null} */
let unsubscribe = null;

/**
 * @param {number} tabId
 * @param {NetRequest} req  recorded by reference: its end (status, timing) shows when it finishes
 */
function record(tabId, req) {
  const ring = logs.get(tabId);
  if (ring) ring.push({ seq: ring.nextSeq(), req });
}

/**
 * Start recording a tab's requests (idempotent); those in flight now are included.
 * @param {number} tabId
 */
export function startNetLog(tabId) {
  if (!unsubscribe) {
    unsubscribe = onRequestEvent((phase, req) => {
      if (phase === "start") record(req.tabId, req);
    });
    chrome.tabs.onRemoved.addListener((id) => void logs.delete(id));
  }
  if (logs.has(tabId)) return;
  logs.set(tabId, new Ring(NET_LOG_SIZE));
  for (const req of inFlight(tabId)) record(tabId, req);
}

/** @param {number} tabId */
export function isNetLogged(tabId) {
  return logs.has(tabId);
}

/**
 * @param {NetEntry} e
 * @returns {WireRequest}
 */
export function toWire(e) {
  const r = e.req;
  return {
    seq: e.seq, method: r.method.slice(0, 256), url: r.url.slice(0, MAX_URL), type: r.type.slice(0, 256),
    status: r.error === null && r.ended !== null ? r.status : null,
    error: r.error === null ? null : r.error.slice(0, 256), from_cache: r.fromCache, started: Math.max(0, r.started),
    duration_ms: r.ended === null ? null : Math.max(0, r.ended - r.started),
    request_size: r.requestSize, response_size: r.responseSize,
  };
}

/**
 * Read a tab's log (see `page.network` in PROTOCOL.md §5.2).
 * @param {number} tabId
 * @param {{since: number, limit: number, url?: string | null, clear?: boolean}} q
 * @returns {{requests: WireRequest[], dropped: number, next: number}}
 */
export function readNetLog(tabId, q) {
  const ring = logs.get(tabId);
  if (!ring) return { requests: [], dropped: 0, next: q.since };
  const needle = q.url ?? null;
  const { entries, dropped, next } = ring.read(q.since, q.limit, (e) => needle === null || e.req.url.includes(needle));
  if (q.clear) ring.clear();
  return { requests: entries.map(toWire), dropped, next };
}
