/**
 * `page.describe {tab_id, ref}` (daemon → extension, read-only): what a ref is right now, computed by the
 * content script from the live element (content/actions_identity.js): role, accessible name, the URL of its
 * document, its form (action URL, method, whether activating it submits, the form's field values) and a
 * link's href. The daemon's policy asks just before deciding a click, a key press or typing, so that it
 * decides on where data would really go (a form on one site that posts to another: W8), never on model text.
 *
 * Errors: 6005 no such tab; 6001 the ref's document or element is gone.
 */

import { Codes, WebBridgeError } from "../../protocol/errors.js";
import { callContent, ensureInjected } from "../content.js";
import { frameOfRef } from "../frames.js";
import { getTab } from "./page_snapshot.js";

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 */
export async function pageDescribe(msg) {
  const tabId = /** @type {number} */ (msg.body.tab_id);
  const ref = String(msg.body.ref);
  await getTab(tabId);
  const frames = await ensureInjected(tabId);
  const frame = frames.find((f) => f.n === frameOfRef(ref));
  if (!frame) throw new WebBridgeError(Codes.STALE_REF, `stale ref ${ref}: its page or frame is gone (navigated or removed); take a new snapshot`);
  const body = await callContent(tabId, frame, "describe", { ref });
  return { kind: "page.describe.result", body };
}
