/**
 * Frame numbers of a tab: the `<N>` of ref prefixes `f<N>e…`.
 *
 * Chrome's frame ids are browser-wide counters (they grow without bound) and survive a frame's navigation,
 * so they are neither short nor safe as ref prefixes. Each *document* (webNavigation `documentId`) of a tab
 * instead gets a small number, never reused in that tab: the first top-level document is `f0`, and a frame
 * that navigates gets a new number, so a ref taken before the navigation can never resolve to an element of
 * the new document (it is stale, 6001).
 *
 * The table lives in `chrome.storage.session` (the service worker may stop between two calls) with an
 * in-memory copy. Pure helpers (`assignNumbers`, `frameTree`) are exported for tests.
 */

/**
 * @typedef {{frameId: number, parentFrameId: number, documentId: string, url: string, n: number}} FrameInfo
 * @typedef {{next: number, docs: Record<string, number>}} FrameTable
 * @typedef {{frameId: number, parentFrameId: number, documentId?: string, url: string, documentLifecycle?: string, errorOccurred?: boolean}} RawFrame
 */

/** Ref prefixes have at most four digits (`Ref` in browser_kinds.py). */
const MAX_FRAME_NUMBER = 9999;

/** @type {Map<number, FrameTable>} */
const tables = new Map();

/** @param {number} tabId */
const storageKey = (tabId) => `wb.frames.${tabId}`;

/**
 * Give every document a number, keeping those already known; drop documents that are gone (their refs are
 * stale anyway: an unknown prefix reads as stale). Mutates and returns `table`.
 * @param {FrameTable} table
 * @param {RawFrame[]} frames  active frames, the top frame first
 * @returns {{table: FrameTable, infos: FrameInfo[], changed: boolean}}
 */
export function assignNumbers(table, frames) {
  let changed = false;
  /** @type {Record<string, number>} */
  const docs = {};
  /** @type {FrameInfo[]} */
  const infos = [];
  const ordered = [...frames].sort((a, b) => (a.parentFrameId === -1 ? -1 : b.parentFrameId === -1 ? 1 : a.frameId - b.frameId));
  for (const f of ordered) {
    const doc = f.documentId ?? `frame-${f.frameId}`;
    let n = table.docs[doc];
    if (n === undefined) {
      if (table.next > MAX_FRAME_NUMBER) table.next = 1; // after 10 000 documents in one tab: wrap, skipping f0
      n = table.next++;
      changed = true;
    }
    docs[doc] = n;
    infos.push({ frameId: f.frameId, parentFrameId: f.parentFrameId, documentId: doc, url: f.url, n });
  }
  if (Object.keys(table.docs).length !== Object.keys(docs).length) changed = true;
  table.docs = docs;
  return { table, infos, changed };
}

/**
 * @param {number} tabId
 * @returns {Promise<FrameTable>}
 */
async function loadTable(tabId) {
  let t = tables.get(tabId);
  if (t) return t;
  const key = storageKey(tabId);
  const stored = /** @type {Record<string, FrameTable | undefined>} */ (await chrome.storage.session.get(key))[key];
  t = stored && typeof stored.next === "number" ? stored : { next: 0, docs: {} };
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
  if (changed) await chrome.storage.session.set({ [storageKey(tabId)]: table });
  return infos;
}

/**
 * Forget a tab's table (it closed).
 * @param {number} tabId
 */
export async function forgetTab(tabId) {
  tables.delete(tabId);
  await chrome.storage.session.remove(storageKey(tabId));
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
 * The frame number of a ref (`f3e12` → 3), or null when it is not a ref.
 * @param {string} ref
 * @returns {number | null}
 */
export function frameOfRef(ref) {
  const m = /^f(\d{1,4})e\d{1,9}$/.exec(ref);
  return m ? Number(m[1]) : null;
}
