/**
 * `page.upload` (daemon → extension): put local files into an `<input type=file>` with CDP
 * `DOM.setFileInputFiles` (no file chooser opens; the input fires `input` and `change` like a user pick).
 *
 * The daemon has already checked every path against the allowed roots (only resolved regular files arrive
 * here). Steps: tab checks (6005, 6004, 6002); the content script checks the ref (6001), that it is an
 * enabled file input taking that many files (6003), and marks it; the marked node is found in the DOM tree
 * CDP sees (shadow roots and same-process frames included) and given the files; the mark is removed
 * whatever happened. An input CDP cannot reach from the tab (a cross-origin frame in another process) is
 * 6007 and nothing is set.
 */

import { Codes, WebBridgeError } from "../../protocol/errors.js";
import { checkedTab, tabFramesFor } from "../act_target.js";
import { callContent } from "../content.js";
import { send } from "../debugger.js";

const MARK = "data-webbridge-upload";

/**
 * @typedef {{nodeId?: number, backendNodeId: number, attributes?: string[], children?: CdpNode[],
 *   shadowRoots?: CdpNode[], contentDocument?: CdpNode}} CdpNode
 */

/**
 * The backend node id of the element whose `attr` attribute equals `value` (pure: tested on its own).
 * @param {CdpNode} root  `DOM.getDocument({depth: -1, pierce: true}).root`
 * @param {string} attr
 * @param {string} value
 * @returns {number | null}
 */
export function findMarkedNode(root, attr, value) {
  /** @type {CdpNode[]} */
  const stack = [root];
  while (stack.length) {
    const n = /** @type {CdpNode} */ (stack.pop());
    const a = n.attributes;
    if (a) {
      for (let i = 0; i + 1 < a.length; i += 2) if (a[i] === attr && a[i + 1] === value) return n.backendNodeId;
    }
    if (n.children) stack.push(...n.children);
    if (n.shadowRoots) stack.push(...n.shadowRoots);
    if (n.contentDocument) stack.push(n.contentDocument);
  }
  return null;
}

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 */
export async function pageUpload(msg) {
  const b = /** @type {{tab_id: number, ref: string, paths: string[], expect_url?: string | null}} */ (/** @type {unknown} */ (msg.body));
  const tabId = b.tab_id;
  const { url } = await checkedTab(tabId, b.expect_url);
  const { frameOf } = await tabFramesFor(tabId);
  const frame = frameOf(b.ref);
  const { token } = await callContent(tabId, frame, "upload.mark", { ref: b.ref, count: b.paths.length });
  /** @type {string[]} */
  let files = [];
  let ok = false;
  try {
    const { root } = await send(tabId, "DOM.getDocument", { depth: -1, pierce: true });
    const node = findMarkedNode(root, MARK, token);
    if (node === null) {
      throw new WebBridgeError(Codes.ACTION_FAILED, "the file input cannot be reached through the debugger (an input in a cross-origin frame is not supported)");
    }
    await send(tabId, "DOM.setFileInputFiles", { files: b.paths, backendNodeId: node });
    ok = true;
  } finally {
    try {
      files = (await callContent(tabId, frame, "upload.unmark", { token })).files;
    } catch (err) {
      // The page went away after the files were set: report that, not the failure to clean up.
      if (ok) throw err;
    }
  }
  return { kind: "page.upload.result", body: { url: url.slice(0, 8192), files: files.map((f) => String(f).slice(0, 8192)) } };
}
