/**
 * The browser's view of every tab's requests, from `chrome.webRequest` (observation only: nothing is
 * blocked or changed, and no header or body is kept). Two users:
 *
 * - `page.wait_for {state: "network_idle"}`: `networkIdle(tabId, idleMs, timeoutMs)` settles once the tab
 *   (every frame of it) has had no request in flight for `idleMs`. The listeners are registered at the
 *   worker's top level (`registerNetListeners`, from sw.js), so requests a page starts before the agent
 *   looks at it — even before its own scripts run — are counted. (The earlier main-world fetch/XHR counter
 *   was injected when a document committed and missed what the page started first; it also saw neither
 *   images, scripts nor child frames, and let the page see that `fetch` was wrapped.)
 * - the network log (net_log.js), through `onRequestEvent`.
 *
 * WebSocket connections are not counted as in flight (they stay open by design). A request that started
 * before this service worker did is unknown to it; the open native port keeps the worker alive, so this is
 * limited to the moment after a worker restart.
 */

/**
 * @typedef {{
 *   requestId: string, tabId: number, method: string, url: string, type: string, started: number,
 *   status: number | null, error: string | null, fromCache: boolean, ended: number | null,
 *   requestSize: number | null, responseSize: number | null,
 * }} NetRequest  `started`/`ended`: ms since the epoch (the browser's timestamps)
 * @typedef {(phase: "start" | "end", req: NetRequest) => void} NetListener
 */

/** Types that are not "in flight" for network idleness. */
const NOT_COUNTED = new Set(["websocket"]);
const FILTER = { urls: ["<all_urls>"] };

/** @type {Map<string, NetRequest>} requests in flight, by request id */
const inflight = new Map();
/** @type {Map<number, number>} tab → requests in flight that count for idleness */
const counts = new Map();
/** @type {Map<number, Set<() => void>>} tab → called whenever its count changes */
const watchers = new Map();
/** @type {Set<NetListener>} */
const listeners = new Set();
let registered = false;

/**
 * @param {chrome.webRequest.HttpHeader[] | undefined} headers
 * @returns {number | null}  the Content-Length header's value, if there is a valid one
 */
export function contentLength(headers) {
  const h = headers?.find((x) => x.name.toLowerCase() === "content-length");
  if (!h || typeof h.value !== "string" || !/^\d{1,15}$/.test(h.value.trim())) return null;
  return Number(h.value.trim());
}

/**
 * @param {number} tabId
 * @param {number} delta
 */
function count(tabId, delta) {
  const n = Math.max(0, (counts.get(tabId) ?? 0) + delta);
  if (n === 0) counts.delete(tabId);
  else counts.set(tabId, n);
  for (const f of [...(watchers.get(tabId) ?? [])]) f();
}

/**
 * @param {"start" | "end"} phase
 * @param {NetRequest} req
 */
function emit(phase, req) {
  for (const f of [...listeners]) {
    try {
      f(phase, req);
    } catch (err) {
      console.error("webbridge: network listener threw", err);
    }
  }
}

/**
 * @param {chrome.webRequest.OnBeforeRequestDetails} d
 * @returns {undefined}  observation only: nothing is blocked
 */
function onBeforeRequest(d) {
  if (d.tabId < 0) return undefined; // the browser's own or a worker's request: no tab to attribute it to
  finish(d.requestId, d.timeStamp, {}); // a redirect's follow-up reuses the id
  /** @type {NetRequest} */
  const req = {
    requestId: d.requestId, tabId: d.tabId, method: d.method, url: d.url, type: d.type, started: Math.round(d.timeStamp),
    status: null, error: null, fromCache: false, ended: null, requestSize: null, responseSize: null,
  };
  inflight.set(d.requestId, req);
  if (!NOT_COUNTED.has(req.type)) count(req.tabId, +1);
  emit("start", req);
  return undefined;
}

/**
 * @param {string} requestId
 * @param {number} when
 * @param {{status?: number, error?: string, fromCache?: boolean}} how
 */
function finish(requestId, when, how) {
  const req = inflight.get(requestId);
  if (!req) return;
  inflight.delete(requestId);
  if (how.status !== undefined) req.status = how.status;
  if (how.error !== undefined) req.error = how.error;
  if (how.fromCache) req.fromCache = true;
  req.ended = Math.round(when);
  if (!NOT_COUNTED.has(req.type)) count(req.tabId, -1);
  emit("end", req);
}

/** @param {chrome.webRequest.OnSendHeadersDetails} d */
function onSendHeaders(d) {
  const req = inflight.get(d.requestId);
  if (req) req.requestSize = contentLength(d.requestHeaders);
}

/**
 * @param {chrome.webRequest.OnHeadersReceivedDetails} d
 * @returns {undefined}  observation only: no header is changed
 */
function onHeadersReceived(d) {
  const req = inflight.get(d.requestId);
  if (req) {
    req.status = d.statusCode;
    req.responseSize = contentLength(d.responseHeaders);
  }
  return undefined;
}

/** Register the webRequest listeners; call once, synchronously, at the worker's top level (sw.js). */
export function registerNetListeners() {
  if (registered) return;
  registered = true;
  const wr = chrome.webRequest;
  wr.onBeforeRequest.addListener(onBeforeRequest, FILTER);
  wr.onSendHeaders.addListener(onSendHeaders, FILTER, ["requestHeaders"]);
  wr.onHeadersReceived.addListener(onHeadersReceived, FILTER, ["responseHeaders"]);
  wr.onBeforeRedirect.addListener((d) => finish(d.requestId, d.timeStamp, { status: d.statusCode, fromCache: d.fromCache }), FILTER);
  wr.onCompleted.addListener((d) => finish(d.requestId, d.timeStamp, { status: d.statusCode, fromCache: d.fromCache }), FILTER);
  wr.onErrorOccurred.addListener((d) => finish(d.requestId, d.timeStamp, { error: d.error, fromCache: d.fromCache }), FILTER);
  chrome.tabs.onRemoved.addListener((tabId) => {
    for (const [id, req] of inflight) if (req.tabId === tabId) inflight.delete(id);
    counts.delete(tabId);
  });
}

/**
 * Be told when a request starts and ends (every tab; the listener filters).
 * @param {NetListener} listener
 * @returns {() => void} unsubscribe
 */
export function onRequestEvent(listener) {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/**
 * Requests of a tab in flight now (not finished, not failed), oldest first.
 * @param {number} tabId
 * @returns {NetRequest[]}
 */
export function inFlight(tabId) {
  return [...inflight.values()].filter((r) => r.tabId === tabId);
}

/**
 * Wait until the tab has had no counted request in flight for `idleMs`, the quiet period starting no
 * earlier than now. Event-driven: the idle timer starts when the count reaches zero and is cancelled when
 * a request starts. `cancel()` removes the watcher and leaves the promise pending.
 * @param {number} tabId
 * @param {number} idleMs
 * @param {number} timeoutMs
 * @param {() => Error} onTimeout
 * @returns {{promise: Promise<void>, cancel: () => void}}  rejects with `onTimeout()` after `timeoutMs`
 */
export function networkIdle(tabId, idleMs, timeoutMs, onTimeout) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let quiet;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let deadline;
  let settled = false;
  /** @type {() => void} */
  let check = () => undefined;
  const stop = () => {
    settled = true;
    clearTimeout(quiet);
    clearTimeout(deadline);
    watchers.get(tabId)?.delete(check);
    if (watchers.get(tabId)?.size === 0) watchers.delete(tabId);
  };
  const promise = new Promise((resolve, reject) => {
    check = () => {
      if (settled) return;
      clearTimeout(quiet);
      quiet = undefined;
      if (!counts.get(tabId)) {
        quiet = setTimeout(() => {
          stop();
          resolve(undefined);
        }, idleMs);
      }
    };
    let set = watchers.get(tabId);
    if (!set) watchers.set(tabId, (set = new Set()));
    set.add(check);
    deadline = setTimeout(() => {
      if (settled) return;
      stop();
      reject(onTimeout());
    }, timeoutMs);
    check();
  });
  return { promise: /** @type {Promise<void>} */ (promise), cancel: () => (settled ? undefined : stop()) };
}
