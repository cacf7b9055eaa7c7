/**
 * Wraps every daemon request that names a tab (`body.tab_id`), in the router:
 *
 * 1. `touchTab` (tab_watch.js): the agent's first request naming a tab starts its network log and its page
 *    hook (dialogs and console, no debugger).
 * 2. Dialogs the hook answered by itself (no answer armed with `dialog.arm`) are told to the agent as 6021
 *    `dialog_opened`: those that opened between its requests before the next request that needs the page
 *    runs (nothing of that request is done), and those that opened during a request instead of its result
 *    (what the request did has happened: the page went on after the answer). A dialog answered as armed is
 *    no error.
 * 3. The browser's own "leave this page?" dialog only the debugger can answer: before a request that may
 *    leave a page which would ask (page_hooks.js `leaveGuarded`), the tab's debugger watch starts. While such
 *    a dialog is open it blocks the page, so a request that needs the page is refused at once with 6020
 *    `dialog_open`, and a request whose own action opens one ends with 6021 instead of hanging; the handler
 *    goes on in the background and its late result is dropped.
 *
 * Kinds in `NO_PAGE` do not need the page (they read logs, answer or arm dialogs, or act on the tab only)
 * and pass through steps 2 and 3.
 */

import { Codes, WebBridgeError } from "../protocol/errors.js";
import { answeredMark, answeredSince, describeAnswer, describeDialog, openDialog, takeUnreported, whenDialogOpens } from "./dialogs.js";
import { leaveGuarded } from "./page_hooks.js";
import { isDebuggerWatched, settleWatch, touchTab, watchTab } from "./tab_watch.js";

/** @typedef {import("../protocol/session.js").Message} Message */
/** @typedef {import("../protocol/channel.js").Reply} Reply */

export const NO_PAGE = new Set([
  "dialog.state", "dialog.handle", "dialog.arm", "page.console", "page.network", "tabs.activate", "tabs.close",
]);
/** Kinds that name a tab without making it one the agent works in. */
const NO_TOUCH = new Set(["tabs.close"]);
/** Kinds that may leave the tab's page (a navigation, or a click or key press that follows a link). */
const MAY_LEAVE = new Set(["page.navigate", "page.act"]);

/**
 * @param {import("./dialogs.js").AnsweredDialog[]} list
 * @returns {string}
 */
function listAnswers(list) {
  return list.map(describeAnswer).join("; then ");
}

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
  const missed = takeUnreported(tabId);
  if (missed.length) {
    throw new WebBridgeError(
      Codes.DIALOG_OPENED,
      `since your last request the page opened ${listAnswers(missed)}. Nothing was done for this request: repeat it ` +
        "(to answer the page's next dialog another way, use dialog.arm first)",
    );
  }
  if (MAY_LEAVE.has(msg.kind) && !isDebuggerWatched(tabId) && (await leaveGuarded(tabId))) await watchTab(tabId);
  const mark = answeredMark(tabId);
  const opens = whenDialogOpens(tabId);
  /** @type {Reply} */
  let reply;
  try {
    reply = await Promise.race([
      handler(msg),
      opens.promise.then((d) => {
        throw new WebBridgeError(Codes.DIALOG_OPENED, `the page opened ${describeDialog(d)} and waits for dialog.handle (accept or dismiss)`);
      }),
    ]);
  } catch (err) {
    answeredSince(tabId, mark);
    throw err;
  } finally {
    opens.cancel();
    if (isDebuggerWatched(tabId)) settleWatch(tabId);
  }
  const during = answeredSince(tabId, mark);
  if (during.some((d) => d.by === "default")) {
    throw new WebBridgeError(
      Codes.DIALOG_OPENED,
      `the page opened ${listAnswers(during)}, and went on. What the request did has happened; do not repeat it ` +
        "just for the dialog. To answer the page's next dialog another way, use dialog.arm, then act again.",
    );
  }
  return reply;
}
