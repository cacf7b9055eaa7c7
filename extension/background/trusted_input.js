/**
 * Trusted input through `chrome.debugger` (CDP `Input.*`): events the page sees with `isTrusted === true`,
 * with the browser's own default actions (focus, text input, shortcuts, CSS `:hover`).
 *
 * The attachment itself (first use, idle detach, DevTools conflicts → 6007) lives in `debugger.js`.
 *
 * Points are CSS pixels in the top frame's viewport; `topPoint` converts a point of a child frame.
 */

import { Codes, WebBridgeError } from "../protocol/errors.js";
import { callContent } from "./content.js";
import { send as cdpSend, ensureAttached } from "./debugger.js";

/** @typedef {import("./frames.js").FrameInfo} FrameInfo */
/** @typedef {{key: string, code: string, keyCode: number, text: string, modifiers: string[], bits: number}} KeySpec */

export { ensureAttached };

/**
 * @param {number} tabId
 * @param {string} method
 * @param {Record<string, unknown>} params
 */
async function send(tabId, method, params) {
  await cdpSend(tabId, method, params);
}

/**
 * Move, press and release (a click; `count` 2 for a double click, button "right" for a context click).
 * @param {number} tabId
 * @param {number} x
 * @param {number} y
 * @param {{button?: "left" | "right", count?: number}} [o]
 */
export async function mouseClick(tabId, x, y, o = {}) {
  await ensureAttached(tabId);
  const button = o.button ?? "left";
  const buttons = button === "right" ? 2 : 1;
  await send(tabId, "Input.dispatchMouseEvent", { type: "mouseMoved", x, y });
  for (let i = 1; i <= (o.count ?? 1); i++) {
    await send(tabId, "Input.dispatchMouseEvent", { type: "mousePressed", x, y, button, buttons, clickCount: i });
    await send(tabId, "Input.dispatchMouseEvent", { type: "mouseReleased", x, y, button, buttons: 0, clickCount: i });
  }
}

/**
 * @param {number} tabId
 * @param {number} x
 * @param {number} y
 */
export async function mouseMove(tabId, x, y) {
  await ensureAttached(tabId);
  await send(tabId, "Input.dispatchMouseEvent", { type: "mouseMoved", x, y });
}

/** @type {Record<string, [string, string, number, number]>} modifier → key, code, keyCode, bit */
const MODIFIER_KEYS = {
  Alt: ["Alt", "AltLeft", 18, 1],
  Control: ["Control", "ControlLeft", 17, 2],
  Meta: ["Meta", "MetaLeft", 91, 4],
  Shift: ["Shift", "ShiftLeft", 16, 8],
};

/**
 * Press one key or shortcut (modifiers held around it).
 * @param {number} tabId
 * @param {KeySpec} k
 */
export async function keyPress(tabId, k) {
  await ensureAttached(tabId);
  let bits = 0;
  for (const m of k.modifiers) {
    const [key, code, keyCode, bit] = MODIFIER_KEYS[m];
    bits |= bit;
    await send(tabId, "Input.dispatchKeyEvent", { type: "rawKeyDown", key, code, windowsVirtualKeyCode: keyCode, modifiers: bits });
  }
  const base = { key: k.key, code: k.code, windowsVirtualKeyCode: k.keyCode, nativeVirtualKeyCode: k.keyCode, modifiers: bits };
  if (k.text) await send(tabId, "Input.dispatchKeyEvent", { type: "keyDown", ...base, text: k.text, unmodifiedText: k.text });
  else await send(tabId, "Input.dispatchKeyEvent", { type: "rawKeyDown", ...base });
  await send(tabId, "Input.dispatchKeyEvent", { type: "keyUp", ...base });
  for (const m of [...k.modifiers].reverse()) {
    const [key, code, keyCode, bit] = MODIFIER_KEYS[m];
    bits &= ~bit;
    await send(tabId, "Input.dispatchKeyEvent", { type: "keyUp", key, code, windowsVirtualKeyCode: keyCode, modifiers: bits });
  }
}

/**
 * Insert text into the focused element as an IME would (one `input` event).
 * @param {number} tabId
 * @param {string} text
 */
export async function insertText(tabId, text) {
  await ensureAttached(tabId);
  await send(tabId, "Input.insertText", { text });
}

/**
 * A point of `frame`'s viewport in the top frame's viewport: adds the content-box origin of each iframe
 * element up the chain (asked of the parent frames, found by the stitching tokens).
 * @param {number} tabId
 * @param {FrameInfo[]} frames
 * @param {FrameInfo} frame
 * @param {{x: number, y: number}} point
 * @returns {Promise<{x: number, y: number}>}
 * @throws {WebBridgeError} 6007 when a frame cannot be placed
 */
export async function topPoint(tabId, frames, frame, point) {
  let { x, y } = point;
  let f = frame;
  while (f.parentFrameId >= 0) {
    const parent = frames.find((p) => p.frameId === f.parentFrameId);
    const who = await callContent(tabId, f, "frames.whoami", { wait_ms: 300 });
    if (!parent || !who?.token) throw new WebBridgeError(Codes.ACTION_FAILED, `cannot place frame f${f.n} in its parent for trusted input`);
    const off = await callContent(tabId, parent, "frames.rect", { token: who.token });
    if (!off) throw new WebBridgeError(Codes.ACTION_FAILED, `the iframe of frame f${f.n} is gone`);
    x += off.x;
    y += off.y;
    f = parent;
  }
  return { x, y };
}
