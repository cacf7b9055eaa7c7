/**
 * Frame numbers of a tab: the `<N>` of ref prefixes `f<N>e<M>`, and the first element number `<M>` each
 * document may use. The top frame's refs carry no prefix (`e<M>`).
 *
 * Chrome's frame ids are browser-wide counters (they grow without bound), so they are not used as prefixes.
 * Each *frame* of a tab gets a small number instead, kept while the frame lives: the top frame is always
 * frame 0. A frame that navigates keeps its number, and its new document continues the element numbering
 * above everything any earlier document of that number handed out (the background records the highest
 * element number after every snapshot and passes `base` with every content call). So a ref taken before a
 * navigation (or from a document restored from the back/forward cache) can never name an element of
 * another document: it is stale, 6001.
 *
 * The table lives in `chrome.storage.session` (the service worker may stop between two calls; reached through
 * state.js, the only module that touches `chrome.storage`) with an in-memory copy. Pure helpers
 * (`assignNumbers`, `frameTree`) are exported for tests.
 */

import { readFrameTable, removeFrameTable, writeFrameTable } from "./state.js";

/**
 * @typedef {{frameId: number, parentFrameId: number, documentId: string, url: string, n: number, base: number}} FrameInfo
 *   `base`: the lowest element number the frame's current document may give out
 * @typedef {{
 *   next: number,
 *   slots: Record<string, {n: number, doc: string}>,
 *   high: Record<string, number>,
 * }} FrameTable  slots by frame id; `high`: by frame number, the highest element number handed out
 * @typedef {{frameId: number, parentFrameId: number, documentId?: string, url: string, documentLifecycle?: string, errorOccurred?: boolean}} RawFrame
 */

/** Ref prefixes have at most four digits (`Ref` in browser_kinds.py). */
const MAX_FRAME_NUMBER = 9999;

/** @type {Map<number, FrameTable>} */
const tables = new Map();

/** @returns {FrameTable} */
export function newTable() {
  return { next: 1, slots: {}, high: {} };
}

/**
 * Give every frame a number, keeping those already known (also across its navigations); drop frames that
 * are gone. Mutates and returns `table`.
 * @param {FrameTable} table
 * @param {RawFrame[]} frames  active frames
 * @returns {{table: FrameTable, infos: FrameInfo[], changed: boolean}}
 */
export function assignNumbers(table, frames) {
  let changed = false;
  /** @type {FrameTable["slots"]} */
  const slots = {};
  /** @type {FrameInfo[]} */
  const infos = [];
  const ordered = [...frames].sort((a, b) => (a.parentFrameId === -1 ? -1 : b.parentFrameId === -1 ? 1 : a.frameId - b.frameId));
  for (const f of ordered) {
    const doc = f.documentId ?? `frame-${f.frameId}`;
    let slot = table.slots[f.frameId];
    if (!slot) {
      // The top frame is f0; child frames count from f1 (wrapping after 9 999, which `high` keeps safe).
      if (table.next < 1 || table.next > MAX_FRAME_NUMBER) table.next = 1;
      slot = { n: f.parentFrameId === -1 ? 0 : table.next++, doc };
      changed = true;
    } else if (slot.doc !== doc) {
      slot = { n: slot.n, doc };
      changed = true;
    }
    slots[f.frameId] = slot;
    infos.push({ frameId: f.frameId, parentFrameId: f.parentFrameId, documentId: doc, url: f.url, n: slot.n, base: (table.high[slot.n] ?? 0) + 1 });
  }
  if (Object.keys(table.slots).length !== Object.keys(slots).length) changed = true;
  table.slots = slots;
  return { table, infos, changed };
}

/**
 * Record the highest element number a frame's document has handed out (from a snapshot's answer).
 * @param {number} tabId
 * @param {number} n  frame number
 * @param {number} high
 */
export async function recordHigh(tabId, n, high) {
  const t = tables.get(tabId);
  if (!t || !Number.isInteger(high) || high <= (t.high[n] ?? 0)) return;
  t.high[n] = high;
  await writeFrameTable(tabId, t);
}

/**
 * @param {number} tabId
 * @returns {Promise<FrameTable>}
 */
async function loadTable(tabId) {
  let t = tables.get(tabId);
  if (t) return t;
  const stored = /** @type {FrameTable | null} */ (await readFrameTable(tabId));
  t = stored && typeof stored.next === "number" && stored.slots && stored.high ? stored : newTable();
  tables.set(tabId, t);
  return t;
}

/**
 * The tab's live frames with their numbers (top frame first), or null when the tab does not exist.
 * @param {number} tabId
 * @returns {Promise<FrameInfo[] | null>}
 */
export async function tabFrames(tabId) {
  /** @type {RawFrame[] | null} */
  let raw;
  try {
    raw = /** @type {RawFrame[] | null} */ (await chrome.webNavigation.getAllFrames({ tabId }));
  } catch {
    return null;
  }
  if (!raw) return null;
  const live = raw.filter((f) => !f.documentLifecycle || f.documentLifecycle === "active");
  const { table, infos, changed } = assignNumbers(await loadTable(tabId), live);
  if (changed) await writeFrameTable(tabId, table);
  return infos;
}

/**
 * Forget a tab's table (it closed).
 * @param {number} tabId
 */
export async function forgetTab(tabId) {
  tables.delete(tabId);
  await removeFrameTable(tabId);
}

/**
 * Children by parent frame id, for stitching.
 * @param {FrameInfo[]} frames
 * @returns {Map<number, FrameInfo[]>}
 */
export function frameTree(frames) {
  /** @type {Map<number, FrameInfo[]>} */
  const kids = new Map();
  for (const f of frames) {
    if (f.parentFrameId < 0) continue;
    const list = kids.get(f.parentFrameId) ?? [];
    list.push(f);
    kids.set(f.parentFrameId, list);
  }
  return kids;
}

/**
 * A ref: `e<n>` in the top frame, `f<frame>e<n>` elsewhere; `f0e<n>` is the old spelling of `e<n>`
 * (docs/PROTOCOL.md §5.2). The content scripts' twin is `content/refs.js` (`ns.refs.parse`); both and the
 * host's `protocol/refs.py` are held to `tests/vectors/refs.json`.
 */
const REF = /^(?:f(\d{1,4}))?e(\d{1,9})$/;

/**
 * Frame and element number of a ref in either spelling (`e12`, `f0e12` → frame 0; `f3e12` → frame 3), or
 * null when it is not a ref.
 * @param {unknown} ref
 * @returns {{frame: number, n: number} | null}
 */
export function parseRef(ref) {
  const m = typeof ref === "string" ? REF.exec(ref) : null;
  return m ? { frame: m[1] === undefined ? 0 : Number(m[1]), n: Number(m[2]) } : null;
}

/**
 * The canonical spelling of a ref (`f0e12` → `e12`, `f03e7` → `f3e7`), or null when it is not a ref: the
 * form to compare refs or key by them.
 * @param {unknown} ref
 * @returns {string | null}
 */
export function canonicalRef(ref) {
  const p = parseRef(ref);
  return p === null ? null : p.frame === 0 ? `e${p.n}` : `f${p.frame}e${p.n}`;
}

/**
 * The frame number of a ref (`f3e12` → 3, `e12` and `f0e12` → 0), or null when it is not a ref.
 * @param {string} ref
 * @returns {number | null}
 */
export function frameOfRef(ref) {
  return parseRef(ref)?.frame ?? null;
}
