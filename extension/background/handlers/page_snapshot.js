/**
 * `page.snapshot` (daemon → extension): the page as a text tree with refs, across all its frames.
 *
 * Every frame of the tab runs op `snapshot` at once; the child frames are stitched under their iframe
 * elements (background/snapshot_text.js). Modes (docs/PROTOCOL.md §5.2):
 *
 * - `default`: budgeted to `max_chars` (16 000 unless given): the viewport, the outline, actionable elements
 *   nearest the viewport; the last line says what was left out.
 * - `full`: everything printed (up to `max_chars` when given).
 * - `subtree`: the element `ref` names and what is inside it (its frame and the frames inside it).
 * - `find`: elements whose name or value contains `query` and/or whose role is `role`, one per line.
 * - `delta`: what changed in each frame since the previous default/full/delta snapshot of that frame.
 *
 * Errors: 6005 no such tab, 6004 the page cannot be scripted, 6001 `ref` does not name a live element,
 * 2002 a mode without what it needs.
 */

import { Codes, WebBridgeError } from "../../protocol/errors.js";
import { callAll, callContent, ensureInjected } from "../content.js";
import { frameOfRef, recordHigh } from "../frames.js";
import { budget, countRefs, findLine, plain, stitch } from "../snapshot_text.js";

/** @typedef {import("../frames.js").FrameInfo} FrameInfo */

export const DEFAULT_MAX_CHARS = 16_000;
const MAX_PAGE_TEXT = 16_000_000;

/**
 * @typedef {{
 *   tab_id: number, mode?: "default"|"full"|"subtree"|"find"|"delta", ref?: string | null,
 *   query?: string | null, role?: string | null, max_chars?: number | null,
 * }} SnapshotBody
 * @typedef {{url: string, title: string, text: string, refs: number, frames: number, truncated: boolean}} SnapshotReply
 */

/**
 * @param {number} tabId
 * @returns {Promise<chrome.tabs.Tab>}
 */
export async function getTab(tabId) {
  try {
    return await chrome.tabs.get(tabId);
  } catch {
    throw new WebBridgeError(Codes.TAB_NOT_FOUND, `no tab ${tabId}`);
  }
}

/**
 * The frames below `root` (itself included), in the order given.
 * @param {FrameInfo[]} frames
 * @param {FrameInfo} root
 * @returns {FrameInfo[]}
 */
function framesUnder(frames, root) {
  const ids = new Set([root.frameId]);
  const out = [root];
  let grew = true;
  while (grew) {
    grew = false;
    for (const f of frames) {
      if (!ids.has(f.frameId) && ids.has(f.parentFrameId)) {
        ids.add(f.frameId);
        out.push(f);
        grew = true;
      }
    }
  }
  return out;
}

/**
 * Ask child frames that have not received their parent's token yet (first snapshot of a new frame).
 * @param {number} tabId
 * @param {FrameInfo[]} frames
 * @param {Map<string, any>} results
 */
async function fillTokens(tabId, frames, results) {
  /** @type {Set<string>} */
  const known = new Set();
  /** @type {Set<number>} parents with iframe placeholders no child claimed yet */
  const waiting = new Set();
  for (const f of frames) {
    const t = results.get(f.documentId)?.token;
    if (t) known.add(t);
  }
  for (const f of frames) {
    const text = String(results.get(f.documentId)?.text ?? "");
    for (const m of text.matchAll(/\u0001(\w+)/g)) if (!known.has(m[1])) waiting.add(f.frameId);
  }
  const missing = frames.filter(
    (f) => f.parentFrameId >= 0 && waiting.has(f.parentFrameId) && results.has(f.documentId) && !results.get(f.documentId).token,
  );
  await Promise.all(
    missing.map(async (f) => {
      // A document that waited once in vain (its iframe is not rendered, so nobody posts it a token) is
      // asked without waiting from then on.
      const wait = tokenless.has(f.documentId) ? 0 : 300;
      try {
        const r = await callContent(tabId, f, "frames.whoami", { wait_ms: wait }, { timeoutMs: 2000 });
        results.get(f.documentId).token = r?.token ?? null;
        if (!r?.token) tokenless.add(f.documentId);
      } catch {
        // gone meanwhile: it is printed as not placed
      }
    }),
  );
  if (tokenless.size > 5000) tokenless.clear();
}

/** @type {Set<string>} documents whose parent never posted them a token */
const tokenless = new Set();

/**
 * Take a snapshot of a tab (the handler's logic, also used after actions for `delta`).
 * @param {SnapshotBody} body
 * @returns {Promise<SnapshotReply>}
 */
export async function takeSnapshot(body) {
  const tabId = body.tab_id;
  const mode = body.mode ?? "default";
  if (mode === "subtree" && !body.ref) throw new WebBridgeError(Codes.INVALID_MESSAGE, "mode subtree needs ref");
  if (mode === "find" && !body.query && !body.role) throw new WebBridgeError(Codes.INVALID_MESSAGE, "mode find needs query or role");
  const tab = await getTab(tabId);
  const all = await ensureInjected(tabId);
  let frames = all;
  if (mode === "subtree") {
    const n = frameOfRef(String(body.ref));
    const root = all.find((f) => f.n === n);
    if (!root) throw new WebBridgeError(Codes.STALE_REF, `ref ${body.ref} belongs to a frame or document that is gone`);
    frames = framesUnder(all, root);
  }
  const root = frames[0];
  const results = await callAll(tabId, frames, "snapshot", (f) => ({
    mode: mode === "subtree" ? (f === root ? "subtree" : "full") : mode,
    ref: f === root ? body.ref ?? undefined : undefined,
    query: body.query ?? undefined,
    role: body.role ?? undefined,
  }));
  await Promise.all(frames.map((f) => (results.has(f.documentId) ? recordHigh(tabId, f.n, Number(results.get(f.documentId).high)) : undefined)));
  const top = results.get(root.documentId);
  if (!top) throw new WebBridgeError(Codes.STALE_REF, "the page's document went away during the snapshot", { gone: true });
  const maxChars = Math.min(body.max_chars ?? (mode === "default" ? DEFAULT_MAX_CHARS : MAX_PAGE_TEXT), MAX_PAGE_TEXT);
  const live = frames.filter((f) => results.has(f.documentId));

  /** @type {{text: string, truncated: boolean}} */
  let out;
  if (mode === "delta" && live.every((f) => results.get(f.documentId).baseline)) {
    out = deltaText(live, results, maxChars);
  } else {
    if (mode !== "find") await fillTokens(tabId, live, results);
    const parts = live.map((f) => ({
      frameId: f.frameId, parentFrameId: f.parentFrameId, n: f.n, url: f.url,
      text: String(results.get(f.documentId).text ?? ""), token: results.get(f.documentId).token ?? null,
    }));
    if (mode === "find") {
      out = plain(parts.flatMap((p) => p.text.split("\n").filter(Boolean).map((l) => "v" + findLine(l))), maxChars);
      if (!out.text) out.text = `nothing matches${body.query ? ` ${JSON.stringify(body.query)}` : ""}${body.role ? ` with role ${body.role}` : ""}`;
    } else {
      const lines = stitch(parts, { dropUnplaced: mode === "subtree" });
      out = mode === "default" || mode === "delta" ? budget(lines, maxChars, top.scroll) : plain(lines, maxChars);
      if (mode === "delta") out.text = `no previous snapshot of this page to compare with: the default view\n${out.text}`;
    }
  }
  return {
    url: (tab.url ?? top.url ?? "").slice(0, 8192),
    title: (tab.title ?? top.title ?? "").slice(0, 8192),
    text: out.text,
    refs: countRefs(out.text),
    frames: live.length,
    truncated: out.truncated,
  };
}

/**
 * The delta text: the top frame's changes, then each child frame's under a header naming the frame.
 * @param {FrameInfo[]} frames
 * @param {Map<string, any>} results
 * @param {number} maxChars
 * @returns {{text: string, truncated: boolean}}
 */
function deltaText(frames, results, maxChars) {
  /** @type {string[]} */
  const lines = [];
  let added = 0;
  let removed = 0;
  let changed = 0;
  for (const f of frames) {
    const r = results.get(f.documentId);
    const c = r.counts ?? { added: 0, removed: 0, changed: 0 };
    added += c.added;
    removed += c.removed;
    changed += c.changed;
    const own = String(r.text ?? "").split("\n").filter(Boolean).map((l) => "v" + l.slice(1).replace(/\u0001.*$/, ""));
    if (!own.length) continue;
    if (f.parentFrameId >= 0) lines.push(`vin iframe f${f.n} ${JSON.stringify(f.url.slice(0, 200))}:`);
    lines.push(...own);
  }
  if (!lines.length) return { text: "no changes", truncated: false };
  lines.unshift(`v${added} added, ${removed} removed, ${changed} changed`);
  return plain(lines, maxChars);
}

/**
 * The `page.snapshot` handler.
 * @param {{kind: string, body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 */
export async function pageSnapshot(msg) {
  const reply = await takeSnapshot(/** @type {SnapshotBody} */ (/** @type {unknown} */ (msg.body)));
  return { kind: "page.snapshot.result", body: reply };
}
