/**
 * `page.wait_for {tab_id, text? | ref? | url? | state?, timeout_ms}` → `page.wait_for.result {elapsed_ms, url}`.
 *
 * Exactly one condition (else 2002). Event-driven throughout, never fixed sleeps; 6006 after `timeout_ms`.
 * - `url`: the tab's URL contains the text (tab and webNavigation events; covers pushState).
 * - `text`: visible in any frame (content/wait.js, MutationObserver-driven). A top-level navigation during
 *   the wait does not end it: the wait goes on in the new document (text that appears after a form
 *   submission counts).
 * - `ref`: the element is rendered. A ref from a document the tab has left, or whose element is gone, is
 *   6001 `stale_ref` (W6: the page navigated between snapshot and wait).
 * - `state: "dom_quiet"`: no DOM mutation in the top document for `QUIET_MS`.
 * - `state: "network_idle"`: top document loaded (DOMContentLoaded), then no request of the tab (any frame,
 *   any type but WebSocket) in flight for `QUIET_MS`, as the browser sees them (webRequest, net_hook.js:
 *   also requests the page started before the agent looked at it).
 * Refused (6004) in tabs showing pages the URL policy forbids.
 */

import { Codes, WebBridgeError } from "../../protocol/errors.js";
import { callContent, ensureInjected } from "../content.js";
import { frameOfRef } from "../frames.js";
import { networkIdle } from "../net_hook.js";
import { getTab } from "../tab_info.js";
import { documentReady, waitForUrl } from "../tab_waits.js";
import { requireActionableTab } from "../url_policy.js";

/** @typedef {import("../frames.js").FrameInfo} FrameInfo */

/** The quiet period of `dom_quiet` and `network_idle` (Playwright's networkidle uses the same 500 ms). */
export const QUIET_MS = 500;
/** Extra time given to a content op beyond its own deadline, so its 6006 arrives rather than a 4001. */
const OP_MARGIN_MS = 2_000;

/**
 * @typedef {{tab_id: number, text?: string | null, ref?: string | null, url?: string | null,
 *   state?: "network_idle" | "dom_quiet" | null, timeout_ms: number}} WaitBody
 */

/** @param {number} deadline */
const left = (deadline) => deadline - Date.now();
const timeout = () => new WebBridgeError(Codes.WAIT_TIMEOUT, "the condition did not hold in time");
const waitId = () => `w${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/**
 * Run `fn` in the tab's current documents; when the top document is replaced meanwhile (the wait's content
 * op reports it gone), run it again in the new one, until the deadline.
 * @param {number} tabId
 * @param {number} deadline
 * @param {(frames: FrameInfo[], remainingMs: number) => Promise<void>} fn
 */
async function acrossNavigations(tabId, deadline, fn) {
  for (;;) {
    if (left(deadline) <= 0) throw timeout();
    await documentReady(tabId, left(deadline));
    requireActionableTab(await getTab(tabId));
    const frames = await ensureInjected(tabId);
    try {
      await fn(frames, Math.max(0, left(deadline)));
      return;
    } catch (err) {
      if (!(err instanceof WebBridgeError && err.detail.gone)) throw err;
    }
  }
}

/**
 * Wait for a text in all frames at once; the first frame to see it wins, the others are cancelled.
 * @param {number} tabId
 * @param {FrameInfo[]} frames
 * @param {string} text
 * @param {number} ms
 */
async function textInFrames(tabId, frames, text, ms) {
  const id = waitId();
  const calls = frames.map((f) =>
    callContent(tabId, f, "wait.text", { id, text, timeout_ms: ms }, { timeoutMs: ms + OP_MARGIN_MS }),
  );
  try {
    await Promise.any(calls);
  } catch (err) {
    const errors = err instanceof AggregateError ? err.errors : [err];
    // The top frame's fate decides: gone (navigated: retry in the new page), timed out, or another failure.
    throw errors[0];
  }
  for (const f of frames) void callContent(tabId, f, "wait.cancel", { id }, { timeoutMs: 2_000 }).catch(() => undefined);
}

/**
 * @param {number} tabId
 * @param {string} ref
 * @param {number} ms
 */
async function refVisible(tabId, ref, ms) {
  const n = frameOfRef(ref);
  const frames = await ensureInjected(tabId);
  const frame = frames.find((f) => f.n === n);
  if (!frame) throw new WebBridgeError(Codes.STALE_REF, `${ref} belongs to a document this tab no longer shows`);
  await callContent(tabId, frame, "wait.ref", { id: waitId(), ref, timeout_ms: ms }, { timeoutMs: ms + OP_MARGIN_MS });
}

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {WebBridgeError} 6006 timeout, 6001 stale ref, 6004 blocked page, 6005 no tab, 2002 not one condition
 */
export async function pageWaitFor(msg) {
  const b = /** @type {WaitBody} */ (/** @type {unknown} */ (msg.body));
  const given = [b.text, b.ref, b.url, b.state].filter((c) => c !== null && c !== undefined);
  if (given.length !== 1) throw new WebBridgeError(Codes.INVALID_MESSAGE, "page.wait_for needs exactly one of text, ref, url, state");
  const tabId = b.tab_id;
  const start = Date.now();
  const deadline = start + b.timeout_ms;
  requireActionableTab(await getTab(tabId));

  if (typeof b.url === "string") {
    await waitForUrl(tabId, b.url, b.timeout_ms);
  } else if (typeof b.ref === "string") {
    await refVisible(tabId, b.ref, b.timeout_ms);
  } else if (typeof b.text === "string") {
    const text = b.text;
    await acrossNavigations(tabId, deadline, (frames, ms) => textInFrames(tabId, frames, text, ms));
  } else if (b.state === "dom_quiet") {
    await acrossNavigations(tabId, deadline, async (frames, ms) => {
      await callContent(tabId, frames[0], "wait.dom_quiet", { id: waitId(), quiet_ms: QUIET_MS, timeout_ms: ms }, { timeoutMs: ms + OP_MARGIN_MS });
    });
  } else {
    if (!(await documentReady(tabId, b.timeout_ms))) throw timeout();
    await networkIdle(tabId, QUIET_MS, Math.max(0, left(deadline)), timeout).promise;
  }
  const tab = await getTab(tabId);
  return {
    kind: "page.wait_for.result",
    body: { elapsed_ms: Math.max(0, Date.now() - start), url: (tab.url || tab.pendingUrl || "").slice(0, 8192) },
  };
}
