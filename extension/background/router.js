/**
 * Kind → handler tables, with the sender checked before anything is dispatched.
 *
 * - Daemon requests arrive already authenticated (they came out of a verified session) and are routed by
 *   kind; an unknown kind is answered with 2001 `unknown_kind`. Before a request that acts in or reads a page
 *   runs, `policy_check.js` re-checks its site against the policy summary (8021 / 8022).
 * - Messages from our own UI (popup, later the side panel and options) come through
 *   `chrome.runtime.onMessage`. Only our extension's own pages may use them: `sender.id` must be our id and
 *   `sender.url` must start with our origin, which excludes content scripts (their URL is the page's) and
 *   every other extension. Anything else is refused before the table is even looked at.
 */

import { Codes, WebBridgeError, asWebBridgeError } from "../protocol/errors.js";
import { browserInfo } from "./handlers/browser_info.js";
import { downloadsWait } from "./handlers/downloads_wait.js";
import { pageDrag } from "./handlers/page_drag.js";
import { pagePdf } from "./handlers/page_pdf.js";
import { pageScreenshot } from "./handlers/page_screenshot.js";
import { pageUpload } from "./handlers/page_upload.js";
import { pageAct } from "./handlers/page_act.js";
import { pageDescribe } from "./handlers/page_describe.js";
import { pageConsole } from "./handlers/page_console.js";
import { dialogArm, dialogHandle, dialogState } from "./handlers/page_dialog.js";
import { pageEvaluate } from "./handlers/page_evaluate.js";
import { pageNetwork } from "./handlers/page_network.js";
import { pageNavigate } from "./handlers/page_navigate.js";
import { pageSnapshot } from "./handlers/page_snapshot.js";
import { pageText } from "./handlers/page_text.js";
import { pageWaitFor } from "./handlers/page_wait_for.js";
import { ping } from "./handlers/ping.js";
import { tabsActivate } from "./handlers/tabs_activate.js";
import { tabsClose } from "./handlers/tabs_close.js";
import { tabsList } from "./handlers/tabs_list.js";
import { tabsOpen } from "./handlers/tabs_open.js";
import { tabControl } from "./handlers/tab_control.js";
import { recheck } from "./policy_check.js";
import { guardTab } from "./tab_guard.js";

/**
 * @typedef {import("../protocol/session.js").Message} Message
 * @typedef {import("../protocol/channel.js").Reply} Reply
 * @typedef {(msg: Message) => Promise<Reply>} DaemonHandler
 * @typedef {{type: string, [key: string]: unknown}} UiMessage
 * @typedef {(msg: UiMessage) => Promise<unknown>} UiAction
 * @typedef {{ok: true, result: unknown} | {ok: false, error: {code: number, name: string, message: string}}} UiResponse
 */

/** Handlers that need nothing but the message. */
/** @type {Readonly<Record<string, DaemonHandler>>} */
export const DAEMON_HANDLERS = Object.freeze({
  "browser.info": () => browserInfo(),
  "page.snapshot": (msg) => pageSnapshot(msg),
  "page.act": (msg) => pageAct(msg),
  "page.describe": (msg) => pageDescribe(msg),
  "tabs.list": (msg) => tabsList(msg),
  "tabs.open": (msg) => tabsOpen(msg),
  "tabs.activate": (msg) => tabsActivate(msg),
  "tabs.close": (msg) => tabsClose(msg),
  "page.navigate": (msg) => pageNavigate(msg),
  "page.text": (msg) => pageText(msg),
  "page.wait_for": (msg) => pageWaitFor(msg),
  "page.evaluate": (msg) => pageEvaluate(msg),
  "page.console": (msg) => pageConsole(msg),
  "page.network": (msg) => pageNetwork(msg),
  "dialog.state": (msg) => dialogState(msg),
  "dialog.handle": (msg) => dialogHandle(msg),
  "dialog.arm": (msg) => dialogArm(msg),
  "page.screenshot": (msg) => pageScreenshot(msg),
  "page.pdf": (msg) => pagePdf(msg),
  "page.upload": (msg) => pageUpload(msg),
  "page.drag": (msg) => pageDrag(msg),
  "downloads.wait": (msg) => downloadsWait(msg),
  "tab.control": (msg) => tabControl(msg),
  ping: () => ping(),
});

/** Kinds that neither read nor act in a page (they mark which run controls a tab): no re-check, no guard. */
const UNGUARDED = new Set(["tab.control"]);

/**
 * Build the dispatcher for daemon requests.
 * @param {Record<string, DaemonHandler>} [extra]  handlers that need the connection (e.g. `key.rotate`)
 * @returns {(msg: Message) => Promise<Reply>}
 */
export function createDaemonRouter(extra = {}) {
  /** @type {Map<string, DaemonHandler>} */
  const table = new Map([...Object.entries(DAEMON_HANDLERS), ...Object.entries(extra)]);
  return async (msg) => {
    const handler = table.get(msg.kind);
    if (!handler) throw new WebBridgeError(Codes.UNKNOWN_KIND, `no handler for ${msg.kind}`);
    if (UNGUARDED.has(msg.kind)) return handler(msg);
    // The extension's own policy re-check (policy_check.js): a denied site is refused even if the daemon asked.
    await recheck(msg);
    // Requests naming a tab start its watch and fail fast while a JavaScript dialog blocks it.
    return guardTab(msg, handler);
  };
}

/**
 * Whether a `chrome.runtime.onMessage` sender is one of our own extension pages.
 * @param {chrome.runtime.MessageSender | undefined} sender
 * @param {string} ownId  `chrome.runtime.id`
 * @param {string} ownOrigin  `chrome.runtime.getURL("")`, e.g. "chrome-extension://<id>/"
 * @returns {boolean}
 */
export function isOwnPage(sender, ownId, ownOrigin) {
  return (
    !!sender &&
    sender.id === ownId &&
    typeof sender.url === "string" &&
    ownOrigin.length > "chrome-extension://".length &&
    sender.url.startsWith(ownOrigin)
  );
}

/**
 * Route a UI message after the sender check.
 * @param {unknown} message
 * @param {chrome.runtime.MessageSender | undefined} sender
 * @param {Record<string, UiAction>} actions
 * @param {{id: string, origin: string}} self  our id and origin
 * @returns {Promise<UiResponse>}
 */
export async function routeUiMessage(message, sender, actions, self) {
  if (!isOwnPage(sender, self.id, self.origin)) {
    return { ok: false, error: new WebBridgeError(Codes.ORIGIN_REFUSED, "messages are accepted only from this extension's pages").toWire() };
  }
  const msg = /** @type {UiMessage} */ (message);
  const type = msg && typeof msg === "object" && typeof msg.type === "string" ? msg.type : null;
  if (type === null || !Object.hasOwn(actions, type)) {
    return { ok: false, error: new WebBridgeError(Codes.UNKNOWN_KIND, `unknown UI message ${JSON.stringify(type)}`).toWire() };
  }
  try {
    return { ok: true, result: await actions[type](msg) };
  } catch (err) {
    return { ok: false, error: asWebBridgeError(err).toWire() };
  }
}

/**
 * The `chrome.runtime.onMessage` listener for our UI. Answers asynchronously (returns true).
 * @param {Record<string, UiAction>} actions
 * @returns {(message: unknown, sender: chrome.runtime.MessageSender, sendResponse: (r: UiResponse) => void) => boolean}
 */
export function createUiMessageListener(actions) {
  return (message, sender, sendResponse) => {
    const self = { id: chrome.runtime.id, origin: chrome.runtime.getURL("") };
    void routeUiMessage(message, sender, actions, self).then(sendResponse);
    return true;
  };
}
