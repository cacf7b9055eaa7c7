/**
 * What browser control keeps in `chrome.storage.session`: the frame-number table of each tab
 * (`wb.frames.<tab>`, shaped by background/frames.js) and the origins that need trusted input
 * (`wb.trustedOrigins`). Read-modify-writes go through the shared queue.
 */

import { serialised } from "./queue.js";

/** @param {number} tabId */
const frameTableKey = (tabId) => `wb.frames.${tabId}`;
const TRUSTED_ORIGINS_KEY = "wb.trustedOrigins";
/** Origins remembered for trusted input; the oldest are dropped beyond this. */
const MAX_TRUSTED_ORIGINS = 500;

/**
 * The stored frame-number table of a tab (background/frames.js owns its shape), or null.
 * @param {number} tabId
 * @returns {Promise<unknown>}
 */
export async function readFrameTable(tabId) {
  const key = frameTableKey(tabId);
  return (await chrome.storage.session.get(key))[key] ?? null;
}

/**
 * @param {number} tabId
 * @param {object} table  JSON-serialisable
 * @returns {Promise<void>}
 */
export async function writeFrameTable(tabId, table) {
  await chrome.storage.session.set({ [frameTableKey(tabId)]: table });
}

/**
 * @param {number} tabId
 * @returns {Promise<void>}
 */
export async function removeFrameTable(tabId) {
  await chrome.storage.session.remove(frameTableKey(tabId));
}

/**
 * Origins where `page.act` with `input: "auto"` uses trusted input at once (this browser session only).
 * @returns {Promise<string[]>} oldest first
 */
export async function readTrustedOrigins() {
  const stored = (await chrome.storage.session.get(TRUSTED_ORIGINS_KEY))[TRUSTED_ORIGINS_KEY];
  return Array.isArray(stored) ? stored.map(String) : [];
}

/**
 * Remember an origin for trusted input (idempotent; serialised with the other read-modify-writes of
 * `state/`).
 * @param {string} origin
 * @returns {Promise<void>}
 */
export function addTrustedOrigin(origin) {
  return serialised(async () => {
    const list = await readTrustedOrigins();
    if (list.includes(origin)) return;
    list.push(origin);
    await chrome.storage.session.set({ [TRUSTED_ORIGINS_KEY]: list.slice(-MAX_TRUSTED_ORIGINS) });
  });
}
