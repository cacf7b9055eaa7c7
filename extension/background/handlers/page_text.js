/**
 * `page.text {tab_id, max_chars?}` → `page.text.result {url, title, markdown, truncated}`: what a reader
 * sees, as markdown (content/text.js: headings, links with absolute URLs, lists, tables; hidden elements
 * and form values left out). Every frame is read at once and each child frame's text is put where its
 * iframe sits in the parent, between `--- frame: URL ---` and `--- end of frame ---` lines
 * (text_stitch.js); a frame whose place is unknown follows its parent's text. `max_chars` (default
 * `DEFAULT_MAX_CHARS`) bounds the whole; `truncated` says whether anything was cut.
 *
 * Refused (6004) in tabs showing pages the URL policy forbids. A page still loading is read once its
 * document is parsed (or as it is after `READY_MS`).
 */

import { Codes, WebBridgeError } from "../../protocol/errors.js";
import { callAll, callContent, ensureInjected } from "../content.js";
import { getTab } from "../tab_info.js";
import { documentReady } from "../tab_waits.js";
import { stitchText } from "../text_stitch.js";
import { requireActionableTab } from "../url_policy.js";

export const DEFAULT_MAX_CHARS = 100_000;
const READY_MS = 10_000;
/** How long a child frame may wait for the token its parent posts to it (event-driven, bounded). */
const TOKEN_WAIT_MS = 300;

/** @typedef {import("../frames.js").FrameInfo} FrameInfo */

/**
 * Children that answered before their parent's token reached them: ask again, letting them wait for it.
 * @param {number} tabId
 * @param {FrameInfo[]} frames
 * @param {Map<string, any>} results  documentId → text op result (updated in place)
 */
async function fillTokens(tabId, frames, results) {
  const missing = frames.filter((f) => f.parentFrameId >= 0 && results.has(f.documentId) && !results.get(f.documentId).token);
  await Promise.all(
    missing.map(async (f) => {
      try {
        const r = await callContent(tabId, f, "frames.whoami", { wait_ms: TOKEN_WAIT_MS }, { timeoutMs: 2000 });
        results.get(f.documentId).token = typeof r?.token === "string" ? r.token : null;
      } catch {
        // gone meanwhile: its text follows its parent's, unplaced
      }
    }),
  );
}

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {WebBridgeError} 6004, 6005; 6001 if the page navigated away while being read
 */
export async function pageText(msg) {
  const tabId = /** @type {number} */ (msg.body.tab_id);
  const max = /** @type {number | null | undefined} */ (msg.body.max_chars) ?? DEFAULT_MAX_CHARS;
  requireActionableTab(await getTab(tabId));
  await documentReady(tabId, READY_MS);
  const frames = await ensureInjected(tabId);
  const results = await callAll(tabId, frames, "text", () => ({ max_chars: max }));
  const top = results.get(frames[0].documentId);
  if (!top) throw new WebBridgeError(Codes.STALE_REF, "the page's document went away while it was read", { gone: true });
  const live = frames.filter((f) => results.has(f.documentId));
  await fillTokens(tabId, live, results);
  const markdown = stitchText(
    live.map((f) => {
      const r = results.get(f.documentId);
      return { frameId: f.frameId, parentFrameId: f.parentFrameId, url: f.url, markdown: String(r.markdown ?? ""), token: r.token ?? null };
    }),
  );
  const truncated = live.some((f) => !!results.get(f.documentId).truncated) || markdown.length > max;
  return {
    kind: "page.text.result",
    body: {
      url: String(top.url).slice(0, 8192),
      title: String(top.title).slice(0, 8192),
      markdown: markdown.slice(0, max),
      truncated,
    },
  };
}
