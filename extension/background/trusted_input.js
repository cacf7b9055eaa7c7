/**
 * Trusted input through `chrome.debugger` (CDP `Input.*`): events the page sees with `isTrusted === true`,
 * with the browser's own default actions (focus, text input, shortcuts, CSS `:hover`).
 *
 * The debugger attaches to a tab on first use (Chrome then shows its "started debugging this browser"
 * bar) and detaches after `IDLE_MS` without trusted input, so the bar does not stay. If another debugger
 * (DevTools) holds the tab, attaching fails with 6007.
 *
 * Points are CSS pixels in the top frame's viewport; `topPoint` converts a point of a child frame.
 */

import { Codes, WebBridgeError } from "../protocol/errors.js";
import { callContent } from "./content.js";

/** @typedef {import("./frames.js").FrameInfo} FrameInfo */
/** @typedef {{key: string, code: string, keyCode: number, text: string, modifiers: string[], bits: number}} KeySpec */

const IDLE_MS = 15_000;
/** @type {Map<number, ReturnType<typeof setTimeout>>} attached tabs → their idle-detach timer */
const attached = new Map();
let listening = false;

/** @param {number} tabId */
function armIdle(tabId) {
  clearTimeout(attached.get(tabId));
  attached.set(
    tabId,
    setTimeout(() => {
      attached.delete(tabId);
      chrome.debugger.detach({ tabId }).catch(() => undefined);
    }, IDLE_MS),
  );
}

/**
 * @param {number} tabId
 * @throws {WebBridgeError} 6007 when the debugger cannot attach
 */
export async function ensureAttached(tabId) {
  if (!listening) {
    listening = true;
    chrome.debugger.onDetach.addListener((source) => {
      if (source.tabId !== undefined) {
        clearTimeout(attached.get(source.tabId));
        attached.delete(source.tabId);
      }
    });
  }
  if (attached.has(tabId)) {
    armIdle(tabId);
    return;
  }
  try {
    await chrome.debugger.attach({ tabId }, "1.3");
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    // Still attached from before this service worker restarted? Then it is ours and usable.
    const ours = /already attached/i.test(text) && (await chrome.debugger.sendCommand({ tabId }, "Runtime.evaluate", { expression: "1" }).then(() => true, () => false));
    if (!ours) throw new WebBridgeError(Codes.ACTION_FAILED, `trusted input is not available in this tab: ${text}`);
  }
  armIdle(tabId);
}

/**
 * @param {number} tabId
 * @param {string} method
 * @param {Record<string, unknown>} params
 */
async function send(tabId, method, params) {
  try {
    await chrome.debugger.sendCommand({ tabId }, method, params);
  } catch (err) {
    throw new WebBridgeError(Codes.ACTION_FAILED, `${method} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
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
