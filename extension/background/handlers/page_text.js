/**
 * `page.text {tab_id, max_chars?}` → `page.text.result {url, title, markdown, truncated}`: what a reader
 * sees, as markdown (content/text.js: headings, links with absolute URLs, lists, tables; hidden elements
 * and form values left out). The top document comes first; each child frame's text follows under a
 * `--- frame: URL ---` line (frames are not placed where they sit in the page). `max_chars` (default
 * `DEFAULT_MAX_CHARS`) bounds the whole; `truncated` says whether anything was cut.
 *
 * Refused (6004) in tabs showing pages the URL policy forbids. A page still loading is read once its
 * document is parsed (or as it is after `READY_MS`).
 */

import { WebBridgeError } from "../../protocol/errors.js";
import { callContent, ensureInjected } from "../content.js";
import { getTab } from "../tab_info.js";
import { documentReady } from "../tab_waits.js";
import { requireActionableTab } from "../url_policy.js";

export const DEFAULT_MAX_CHARS = 100_000;
const READY_MS = 10_000;

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
  const top = await callContent(tabId, frames[0], "text", { max_chars: max });
  let markdown = String(top.markdown);
  let truncated = !!top.truncated;
  for (const f of frames.slice(1)) {
    if (truncated) break;
    const header = `\n\n--- frame: ${f.url.slice(0, 500)} ---\n\n`;
    const budget = max - markdown.length - header.length;
    if (budget < 1) {
      truncated = true;
      break;
    }
    /** @type {{markdown: string, truncated: boolean}} */
    let r;
    try {
      r = await callContent(tabId, f, "text", { max_chars: budget });
    } catch (err) {
      if (err instanceof WebBridgeError && err.detail.gone) continue; // that frame navigated or went away
      throw err;
    }
    if (r.markdown) markdown += header + r.markdown;
    truncated ||= r.truncated;
  }
  return {
    kind: "page.text.result",
    body: {
      url: String(top.url).slice(0, 8192),
      title: String(top.title).slice(0, 8192),
      markdown: markdown.slice(0, max),
      truncated: truncated || markdown.length > max,
    },
  };
}
