/**
 * JavaScript dialogs (alert, confirm, prompt, beforeunload) in the tabs the agent watches (tab_watch.js),
 * from CDP `Page.javascriptDialogOpening` / `Page.javascriptDialogClosed` on the tab's held debugger
 * session. A dialog blocks its page — content scripts and `chrome.scripting` calls into it do not return —
 * so the router refuses requests to a tab with a dialog open (6020) and ends a request whose own action
 * opens one (6021) instead of letting either hang (tab_guard.js). `handleDialog` answers it.
 *
 * Dialog texts and URLs are page data.
 */

import { Codes, WebBridgeError } from "../protocol/errors.js";
import { onEvent, send } from "./debugger.js";

/**
 * @typedef {{type: "alert" | "confirm" | "prompt" | "beforeunload", message: string, url: string,
 *   default_prompt: string, opened_at: number}} Dialog
 */

const TYPES = new Set(["alert", "confirm", "prompt", "beforeunload"]);
const MAX_TEXT = 8192;

/** @type {Map<number, Dialog>} tab → its open dialog */
const open = new Map();
/** @type {Map<number, Set<(d: Dialog) => void>>} tab → told when a dialog opens */
const openers = new Map();

/**
 * @param {{type?: string, message?: string, url?: string, defaultPrompt?: string}} p
 * @returns {Dialog}
 */
export function fromOpening(p) {
  return {
    type: /** @type {Dialog["type"]} */ (TYPES.has(String(p.type)) ? p.type : "alert"),
    message: String(p.message ?? "").slice(0, MAX_TEXT),
    url: String(p.url ?? "").slice(0, MAX_TEXT),
    default_prompt: String(p.defaultPrompt ?? "").slice(0, MAX_TEXT),
    opened_at: Date.now(),
  };
}

/**
 * A dialog in one line, for error messages.
 * @param {Dialog} d
 * @returns {string}
 */
export function describeDialog(d) {
  const text = d.message.length > 300 ? `${d.message.slice(0, 300)}…` : d.message;
  return `a JavaScript ${d.type} dialog ${JSON.stringify(text)} from ${d.url.slice(0, 300)}`;
}

/**
 * Subscribe a tab's dialog events (the caller holds the session and enables `Page` afterwards).
 * @param {number} tabId
 * @returns {Array<() => void>}  unsubscribe functions
 */
export function dialogListeners(tabId) {
  return [
    onEvent(tabId, "Page.javascriptDialogOpening", (p) => {
      const d = fromOpening(p);
      open.set(tabId, d);
      for (const f of [...(openers.get(tabId) ?? [])]) f(d);
    }),
    onEvent(tabId, "Page.javascriptDialogClosed", () => void open.delete(tabId)),
  ];
}

/**
 * The dialog open in a tab now, or null.
 * @param {number} tabId
 * @returns {Dialog | null}
 */
export function openDialog(tabId) {
  return open.get(tabId) ?? null;
}

/** @param {number} tabId */
export function forgetDialogs(tabId) {
  open.delete(tabId);
}

/**
 * Be told (once) when a dialog opens in the tab. Create before starting what might open one.
 * @param {number} tabId
 * @returns {{promise: Promise<Dialog>, cancel: () => void}}  `cancel` leaves the promise pending
 */
export function whenDialogOpens(tabId) {
  /** @type {(d: Dialog) => void} */
  let fn = () => undefined;
  const promise = new Promise((resolve) => {
    fn = (d) => {
      cancel();
      resolve(d);
    };
  });
  let set = openers.get(tabId);
  if (!set) openers.set(tabId, (set = new Set()));
  set.add(fn);
  const cancel = () => {
    const s = openers.get(tabId);
    s?.delete(fn);
    if (s?.size === 0) openers.delete(tabId);
  };
  return { promise: /** @type {Promise<Dialog>} */ (promise), cancel };
}

/**
 * Accept or dismiss the tab's open dialog (`promptText`: what an accepted prompt returns).
 * @param {number} tabId
 * @param {"accept" | "dismiss"} action
 * @param {string | null | undefined} promptText
 * @returns {Promise<Dialog>}  the dialog that was handled
 * @throws {WebBridgeError} 6022 when no dialog is open; 6007 when the browser refuses
 */
export async function handleDialog(tabId, action, promptText) {
  const d = open.get(tabId);
  if (!d) throw new WebBridgeError(Codes.NO_DIALOG, `no JavaScript dialog is open in tab ${tabId}`);
  /** @type {Record<string, unknown>} */
  const params = { accept: action === "accept" };
  if (promptText != null) params.promptText = promptText;
  try {
    await send(tabId, "Page.handleJavaScriptDialog", params);
  } catch (err) {
    // Closed meanwhile (by the page's navigation, or another client): nothing left to handle.
    if (err instanceof WebBridgeError && /no dialog/i.test(err.message)) {
      open.delete(tabId);
      throw new WebBridgeError(Codes.NO_DIALOG, `the dialog in tab ${tabId} closed before it was handled`);
    }
    throw err;
  }
  if (open.get(tabId) === d) open.delete(tabId);
  return d;
}
