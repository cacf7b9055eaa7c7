/**
 * Wraps every daemon request that names a tab (`body.tab_id`), in the router:
 *
 * 1. `touchTab` (tab_watch.js): the agent's first request naming a tab starts its network log and its
 *    dialog/console watch.
 * 2. A JavaScript dialog open in the tab blocks the page, so a request that needs the page is refused at
 *    once with 6020 `dialog_open` (nothing done) rather than hanging until its deadline.
 * 3. If a dialog opens while the request runs (its own click, submit or navigation opened it), the reply is
 *    6021 `dialog_opened` describing the dialog; what the request did up to the dialog has happened. The
 *    handler itself goes on in the background and its late result is dropped.
 *
 * Kinds in `NO_PAGE` do not need the page (they read logs, handle the dialog, or act on the tab only) and
 * pass through steps 2 and 3.
 */

import { Codes, WebBridgeError } from "../protocol/errors.js";
import { describeDialog, openDialog, whenDialogOpens } from "./dialogs.js";
import { touchTab } from "./tab_watch.js";

/** @typedef {import("../protocol/session.js").Message} Message */
/** @typedef {import("../protocol/channel.js").Reply} Reply */

export const NO_PAGE = new Set(["dialog.state", "dialog.handle", "page.console", "page.network", "tabs.activate", "tabs.close"]);
/** Kinds that name a tab without making it one the agent works in. */
const NO_TOUCH = new Set(["tabs.close"]);

/**
 * @param {Message} msg
 * @param {(msg: Message) => Promise<Reply>} handler
 * @returns {Promise<Reply>}
 * @throws {WebBridgeError} 6020, 6021; and whatever the handler throws
 */
export async function guardTab(msg, handler) {
  const body = /** @type {Record<string, unknown> | undefined} */ (msg.body);
  const tabId = body?.tab_id;
  if (typeof tabId !== "number" || NO_TOUCH.has(msg.kind)) return handler(msg);
  await touchTab(tabId);
  if (NO_PAGE.has(msg.kind)) return handler(msg);
  const already = openDialog(tabId);
  if (already) {
    throw new WebBridgeError(Codes.DIALOG_OPEN, `${describeDialog(already)} blocks tab ${tabId}: answer it with dialog.handle first`);
  }
  const opens = whenDialogOpens(tabId);
  try {
    return await Promise.race([
      handler(msg),
      opens.promise.then((d) => {
        throw new WebBridgeError(Codes.DIALOG_OPENED, `the page opened ${describeDialog(d)} and waits for dialog.handle (accept or dismiss)`);
      }),
    ]);
  } finally {
    opens.cancel();
  }
}
