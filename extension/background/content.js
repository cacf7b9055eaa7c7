/**
 * Content scripts, background side: inject them on demand and call their ops.
 *
 * - `ensureInjected(tabId)` injects `CONTENT_FILES` (classic scripts, see content/ns.js for why) into every
 *   frame of the tab that does not have them yet, only when the agent touches the tab. Which documents
 *   already have them is cached per tab; a document the cache does not know is probed first, so a second
 *   injection is rare (and harmless: every file guards itself).
 * - `callContent(tabId, frameId, op, args)` sends `{wbc: 1, op, frame, base, args}` to one document of one frame
 *   with `chrome.tabs.sendMessage` and returns the op's result, or throws a `WebBridgeError` with the op's
 *   6xxx code. JavaScript dialogs the page opened during the op come back with the reply and are recorded
 *   (dialogs.js) before it returns. It addresses the *document* (`documentId`), so a message never lands in a document that
 *   replaced the one the caller meant.
 *
 * Other modules add content files to `CONTENT_FILES` (before `content/main.js`) and ops in their own
 * content files; see extension/content/README.md.
 */

import { Codes, WebBridgeError } from "../protocol/errors.js";
import { noteAnswered } from "./dialogs.js";
import { forgetTab, tabFrames } from "./frames.js";

/** @typedef {import("./frames.js").FrameInfo} FrameInfo */

/** Injected in this order into every frame; ns.js first, main.js (the dispatcher) last. */
export const CONTENT_FILES = Object.freeze([
  "content/ns.js",
  "content/page_relay.js",
  "content/refs.js",
  "content/frames.js",
  "content/roles.js",
  "content/names.js",
  "content/snapshot_walk.js",
  "content/snapshot_format.js",
  "content/snapshot.js",
  "content/settle.js",
  "content/keys.js",
  "content/actions_locate.js",
  "content/actions_identity.js",
  "content/actions_effect.js",
  "content/actions_pointer.js",
  "content/actions_form.js",
  "content/actions_keyboard.js",
  "content/actions_scroll.js",
  "content/actions.js",
  "content/text.js",
  "content/capture.js",
  "content/wait.js",
  "content/indicator.js",
  "content/main.js",
]);

/** Default deadline of one content op (a page stuck in a loop must not hang the request forever). */
const OP_TIMEOUT_MS = 30_000;

/** @type {Map<number, Set<string>>} tab → document ids known to have the content scripts */
const injected = new Map();
/** @type {Map<number, Promise<FrameInfo[]>>} one injection at a time per tab */
const inflight = new Map();

/**
 * The frames of a tab, each with the content scripts in it. Frames that cannot be scripted (an error page,
 * a PDF viewer, a frame the browser does not let extensions into) are left out of the list, except the top
 * frame, whose failure is an error.
 * @param {number} tabId
 * @returns {Promise<FrameInfo[]>}
 * @throws {WebBridgeError} 6005 when the tab does not exist, 6004 when its page cannot be scripted
 */
export async function ensureInjected(tabId) {
  watchClosedTabs();
  const running = inflight.get(tabId);
  if (running) await running.catch(() => undefined);
  const p = inject(tabId);
  inflight.set(tabId, p);
  try {
    return await p;
  } finally {
    if (inflight.get(tabId) === p) inflight.delete(tabId);
  }
}

/**
 * @param {number} tabId
 * @returns {Promise<FrameInfo[]>}
 */
async function inject(tabId) {
  const frames = await tabFrames(tabId);
  if (!frames || frames.length === 0) throw new WebBridgeError(Codes.TAB_NOT_FOUND, `no tab ${tabId}`);
  let known = injected.get(tabId);
  if (!known) injected.set(tabId, (known = new Set()));
  const live = new Set(frames.map((f) => f.documentId));
  for (const d of known) if (!live.has(d)) known.delete(d);
  const unknown = frames.filter((f) => !known.has(f.documentId));
  if (unknown.length) {
    const have = await probe(tabId, unknown);
    const need = unknown.filter((f) => !have.has(f.documentId));
    for (const d of have) known.add(d);
    if (need.length) for (const d of await injectFiles(tabId, need)) known.add(d);
  }
  const top = frames[0];
  if (!known.has(top.documentId)) {
    throw new WebBridgeError(Codes.URL_BLOCKED, `the page in tab ${tabId} cannot be scripted (${top.url.slice(0, 200)})`);
  }
  return frames.filter((f) => known.has(f.documentId));
}

/**
 * Which of these documents already run our content scripts.
 * @param {number} tabId
 * @param {FrameInfo[]} frames
 * @returns {Promise<Set<string>>}
 */
async function probe(tabId, frames) {
  /** @type {Set<string>} */
  const have = new Set();
  const results = await execute(tabId, frames, {
    func: () => /** @type {any} */ (globalThis).__webbridgeContent?.loaded?.has("main") === true,
  });
  for (const r of results) if (r.result === true && r.documentId) have.add(r.documentId);
  return have;
}

/**
 * Inject the content files; returns the documents that now have them.
 * @param {number} tabId
 * @param {FrameInfo[]} frames
 * @returns {Promise<string[]>}
 */
async function injectFiles(tabId, frames) {
  const results = await execute(tabId, frames, { files: [...CONTENT_FILES] });
  return results.filter((r) => r.documentId && !("error" in r && r.error)).map((r) => /** @type {string} */ (r.documentId));
}

/**
 * `chrome.scripting.executeScript` on a set of documents. When one document refuses (it navigated, or is
 * not scriptable), the whole call fails; then each document is tried alone so the others still get it.
 * @param {number} tabId
 * @param {FrameInfo[]} frames
 * @param {{func: () => unknown} | {files: string[]}} what
 * @returns {Promise<chrome.scripting.InjectionResult<unknown>[]>}
 */
async function execute(tabId, frames, what) {
  const documentIds = frames.map((f) => f.documentId);
  try {
    return await chrome.scripting.executeScript(/** @type {any} */ ({ target: { tabId, documentIds }, injectImmediately: true, ...what }));
  } catch {
    if (frames.length === 1) return [];
  }
  /** @type {chrome.scripting.InjectionResult<unknown>[]} */
  const out = [];
  for (const f of frames) {
    try {
      out.push(
        ...(await chrome.scripting.executeScript(
          /** @type {any} */ ({ target: { tabId, documentIds: [f.documentId] }, injectImmediately: true, ...what }),
        )),
      );
    } catch {
      // not scriptable (or gone): left out
    }
  }
  return out;
}

/** Failures of `chrome.tabs.sendMessage` that mean the document is gone or unloading. */
const GONE = /Receiving end does not exist|No tab with id|No frame with|message port closed|message channel closed|document .*not found|Frame with ID/i;

/**
 * Call a content op in one frame's current document.
 * @param {number} tabId
 * @param {FrameInfo | number} frame  a FrameInfo from `ensureInjected` (preferred: it names the document), or a frame id
 * @param {string} op
 * @param {Record<string, unknown>} [args]
 * @param {{timeoutMs?: number}} [opts]
 * @returns {Promise<any>}
 * @throws {WebBridgeError} the op's own code; 6001 `stale_ref` with `detail.gone` when the document is gone
 *   (navigated or closed); 4001 on timeout
 */
export async function callContent(tabId, frame, op, args = {}, opts = {}) {
  /** @type {FrameInfo | undefined} */
  let info = typeof frame === "number" ? undefined : frame;
  if (!info) {
    const frames = await tabFrames(tabId);
    info = frames?.find((f) => f.frameId === frame);
    if (!info) throw new WebBridgeError(Codes.STALE_REF, `frame ${frame} of tab ${tabId} is gone`, { gone: true });
  }
  const msg = { wbc: 1, op, frame: info.n, base: info.base, args };
  const timeoutMs = opts.timeoutMs ?? OP_TIMEOUT_MS;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new WebBridgeError(Codes.TIMEOUT, `content op ${op} took over ${timeoutMs} ms`)), timeoutMs);
  });
  /** @type {any} */
  let reply;
  try {
    reply = await Promise.race([chrome.tabs.sendMessage(tabId, msg, { documentId: info.documentId }), timeout]);
  } catch (err) {
    if (err instanceof WebBridgeError) throw err;
    const text = err instanceof Error ? err.message : String(err);
    if (GONE.test(text)) throw new WebBridgeError(Codes.STALE_REF, `the document of frame f${info.n} is gone: ${text}`, { gone: true });
    throw new WebBridgeError(Codes.ACTION_FAILED, text);
  } finally {
    clearTimeout(timer);
  }
  if (!reply || typeof reply !== "object") {
    throw new WebBridgeError(Codes.STALE_REF, `no answer from frame f${info.n} (document gone)`, { gone: true });
  }
  if (Array.isArray(reply.dialogs)) for (const d of reply.dialogs.slice(0, 50)) if (d && typeof d === "object") noteAnswered(tabId, info.documentId, d);
  if (reply.ok) return reply.result;
  const code = Number(reply.error?.code);
  throw new WebBridgeError(code >= 6001 && code <= 6008 ? code : Codes.ACTION_FAILED, String(reply.error?.message ?? "content op failed"));
}

/**
 * Call one op in every frame at once; frames whose document went away are left out of the result.
 * @param {number} tabId
 * @param {FrameInfo[]} frames
 * @param {string} op
 * @param {(f: FrameInfo) => Record<string, unknown>} argsFor
 * @returns {Promise<Map<string, any>>} documentId → result
 */
export async function callAll(tabId, frames, op, argsFor) {
  const results = await Promise.all(
    frames.map((f) =>
      callContent(tabId, f, op, argsFor(f)).then(
        (r) => /** @type {[string, any]} */ ([f.documentId, r]),
        (err) => {
          if (err instanceof WebBridgeError && err.detail.gone && f.parentFrameId !== -1) return null;
          throw err;
        },
      ),
    ),
  );
  return new Map(/** @type {[string, any][]} */ (results.filter((r) => r !== null)));
}

/**
 * Forget what was injected in a tab (it closed or navigated its top frame).
 * @param {number} tabId
 */
export function forgetInjected(tabId) {
  injected.delete(tabId);
}

let watchingTabs = false;

/**
 * Drop a closed tab's caches and frame table. Registered on first use, not at the top level: a closed tab
 * does not need to wake the worker (what a stopped worker missed is pruned on the tab's next use).
 */
function watchClosedTabs() {
  if (watchingTabs) return;
  watchingTabs = true;
  chrome.tabs.onRemoved.addListener((tabId) => {
    forgetInjected(tabId);
    void forgetTab(tabId).catch(() => undefined);
  });
}
