/**
 * `page.drag` (daemon → extension): drag the element `ref` and drop it on `to`.
 *
 * - DOM path (`dom`, and `auto` first, when both elements are in one document): HTML5 drag events with one
 *   shared DataTransfer (content/capture.js `drag.dom`). It counts when the source is draggable and the
 *   target accepted the drop (cancelled `dragover`), as in a browser.
 * - Trusted path (`trusted`, and `auto` when the DOM path did not count): CDP mouse press on the source,
 *   moves in steps to the target, release there. Drags are intercepted (`Input.setInterceptDrags`): an
 *   HTML5 drag the press-and-move starts is dropped with `Input.dispatchDragEvent`; pointer-event
 *   sortables and sliders simply follow the mouse. It counts when the page changed (mutation watch on the
 *   target's document, content/actions.js `effect.begin`/`effect.end`).
 *
 * Neither counted: 6014 `drop_not_accepted`. Checks first: tab (6005, 6004, 6002), refs (6001), both
 * visible, enabled, not covered (6003). The reply says which path was used.
 */

import { Codes, WebBridgeError } from "../../protocol/errors.js";
import { checkedTab, tabFramesFor } from "../act_target.js";
import { callContent } from "../content.js";
import { hold, onEvent, send } from "../debugger.js";
import { topPoint } from "../trusted_input.js";

/** @typedef {import("../frames.js").FrameInfo} FrameInfo */
/** @typedef {{x: number, y: number}} Point */

const EFFECT_MS = 150;
/** Mouse moves between press and release: drag libraries need several moves past their threshold. */
export const STEPS = 12;

/**
 * The points from `a` to `b` in `steps` equal steps (`b` included, `a` not).
 * @param {Point} a
 * @param {Point} b
 * @param {number} steps
 * @returns {Point[]}
 */
export function path(a, b, steps) {
  const out = [];
  for (let i = 1; i <= steps; i++) out.push({ x: a.x + ((b.x - a.x) * i) / steps, y: a.y + ((b.y - a.y) * i) / steps });
  return out;
}

/**
 * @param {number} tabId
 * @param {string} type
 * @param {Point} p
 * @param {boolean} down
 */
function mouse(tabId, type, p, down) {
  return send(tabId, "Input.dispatchMouseEvent", { type, x: p.x, y: p.y, button: down || type === "mouseReleased" ? "left" : "none", buttons: down ? 1 : 0, clickCount: type === "mouseMoved" ? 0 : 1 });
}

/**
 * Drag with trusted input.
 * @param {number} tabId
 * @param {FrameInfo[]} frames
 * @param {{frame: FrameInfo, ref: string}} from
 * @param {{frame: FrameInfo, ref: string}} to
 * @returns {Promise<{effect: boolean, html5: boolean}>}
 */
async function trustedDrag(tabId, frames, from, to) {
  const a = await topPoint(tabId, frames, from.frame, await callContent(tabId, from.frame, "drag.point", { ref: from.ref }));
  const b = await topPoint(tabId, frames, to.frame, await callContent(tabId, to.frame, "drag.point", { ref: to.ref }));
  await callContent(tabId, to.frame, "effect.begin", { ref: to.ref });
  const release = await hold(tabId);
  /** @type {unknown[]} */
  const intercepted = [];
  const off = onEvent(tabId, "Input.dragIntercepted", (p) => intercepted.push(p.data));
  try {
    await send(tabId, "Input.setInterceptDrags", { enabled: true });
    await mouse(tabId, "mouseMoved", a, false);
    await mouse(tabId, "mousePressed", a, true);
    for (const p of path(a, b, STEPS)) {
      await mouse(tabId, "mouseMoved", p, true);
      if (intercepted.length) break;
    }
    if (intercepted.length) {
      for (const type of ["dragEnter", "dragOver", "drop"]) {
        await send(tabId, "Input.dispatchDragEvent", { type, x: b.x, y: b.y, data: intercepted[0] });
      }
    }
    await mouse(tabId, "mouseReleased", b, false);
  } finally {
    off();
    await send(tabId, "Input.setInterceptDrags", { enabled: false }).catch(() => undefined);
    release();
  }
  const after = await callContent(tabId, to.frame, "effect.end", { effect_ms: EFFECT_MS });
  return { effect: !!after.effect, html5: intercepted.length > 0 };
}

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 */
export async function pageDrag(msg) {
  const b = /** @type {{tab_id: number, ref: string, to: string, expect_url?: string | null, input?: "auto" | "dom" | "trusted"}} */ (
    /** @type {unknown} */ (msg.body)
  );
  const tabId = b.tab_id;
  const input = b.input ?? "auto";
  const { url } = await checkedTab(tabId, b.expect_url);
  const { frames, frameOf } = await tabFramesFor(tabId);
  const from = { frame: frameOf(b.ref), ref: b.ref };
  const to = { frame: frameOf(b.to), ref: b.to };
  const sameDoc = from.frame.documentId === to.frame.documentId;
  if (input === "dom" && !sameDoc) {
    throw new WebBridgeError(Codes.NOT_ACTIONABLE, "a DOM drag cannot cross frames; use input \"trusted\"");
  }
  if (input !== "trusted" && sameDoc) {
    const r = await callContent(tabId, from.frame, "drag.dom", { ref: b.ref, to: b.to, effect_ms: EFFECT_MS });
    if (r.started && r.accepted) return reply(url, "dom", true);
    if (input === "dom") {
      throw new WebBridgeError(Codes.DROP_NOT_ACCEPTED, r.started ? "the target did not accept the HTML5 drop" : "the source is not draggable (HTML5) or cancelled the drag");
    }
  }
  const t = await trustedDrag(tabId, frames, from, to);
  if (!t.effect) throw new WebBridgeError(Codes.DROP_NOT_ACCEPTED, "the page did not react to the drag (neither the DOM nor the trusted path)");
  return reply(url, "trusted", t.html5);
}

/**
 * @param {string} url
 * @param {"dom" | "trusted"} used
 * @param {boolean} accepted
 */
function reply(url, used, accepted) {
  return { kind: "page.drag.result", body: { url: url.slice(0, 8192), input_used: used, accepted } };
}
