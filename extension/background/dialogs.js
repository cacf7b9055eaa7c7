/**
 * JavaScript dialogs in the tabs the agent works in. Two kinds:
 *
 * - **Answered** dialogs: `alert`, `confirm` and `prompt` never block a hooked tab. The page hook
 *   (content/page_hook.js, page_relay.js) answers each at once — with the answer armed by `dialog.arm`, or
 *   else by dismissing it — and the record arrives here (`noteAnswered`) with the reply of the content op
 *   it happened in, or as a report (page_hooks.js). tab_guard.js tells the agent about the ones nobody
 *   armed an answer for (6021).
 * - **Open** dialogs: the browser's own, which the hook cannot answer — "leave this page?"
 *   (`beforeunload`), and any dialog in a frame without the hook — seen only while the tab's debugger watch
 *   is on (tab_watch.js), from CDP `Page.javascriptDialogOpening` / `Page.javascriptDialogClosed`. Such a
 *   dialog blocks its page — content scripts and `chrome.scripting` calls into it do not return — so the
 *   router refuses requests to the tab while it is open (6020) and ends a request whose own action opens
 *   one (6021) instead of letting either hang (tab_guard.js). `handleDialog` answers it.
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

/**
 * @typedef {Dialog & {answer: "accept" | "dismiss", prompt_text: string | null, by: "armed" | "default"}} AnsweredDialog
 * @typedef {AnsweredDialog & {seq: number, key: string, reported: boolean}} AnsweredEntry
 */

/** Answered dialogs kept per tab. */
const KEEP_ANSWERED = 20;
/** @type {Map<number, {seq: number, list: AnsweredEntry[]}>} tab → the dialogs the hook answered */
const answered = new Map();

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

/**
 * Record a dialog the page hook answered (from an op's reply or a relay report; the same dialog arriving
 * both ways is recorded once).
 * @param {number} tabId
 * @param {string} documentId  the document it happened in
 * @param {{n?: unknown, type?: unknown, message?: unknown, url?: unknown, default_prompt?: unknown,
 *   opened_at?: unknown, answer?: unknown, prompt_text?: unknown, by?: unknown}} raw  page data
 * @returns {AnsweredEntry | null}  the record (null when it was already there)
 */
export function noteAnswered(tabId, documentId, raw) {
  let t = answered.get(tabId);
  if (!t) answered.set(tabId, (t = { seq: 0, list: [] }));
  const key = `${documentId}#${Number(raw.n)}`;
  if (t.list.some((e) => e.key === key)) return null;
  const base = fromOpening({ type: String(raw.type), message: String(raw.message ?? ""), url: String(raw.url ?? ""), defaultPrompt: String(raw.default_prompt ?? "") });
  const at = Number(raw.opened_at);
  t.seq += 1;
  /** @type {AnsweredEntry} */
  const e = {
    ...base, opened_at: Number.isFinite(at) ? at : base.opened_at,
    answer: raw.answer === "accept" ? "accept" : "dismiss",
    prompt_text: typeof raw.prompt_text === "string" ? raw.prompt_text.slice(0, MAX_TEXT) : null,
    by: raw.by === "armed" ? "armed" : "default", seq: t.seq, key, reported: false,
  };
  t.list.push(e);
  if (t.list.length > KEEP_ANSWERED) t.list.shift();
  return e;
}

/**
 * A mark to pass to `answeredSince` later.
 * @param {number} tabId
 */
export function answeredMark(tabId) {
  return answered.get(tabId)?.seq ?? 0;
}

/**
 * The dialogs answered in the tab after `mark`, now counted as told to the agent.
 * @param {number} tabId
 * @param {number} mark
 * @returns {AnsweredEntry[]}
 */
export function answeredSince(tabId, mark) {
  const list = (answered.get(tabId)?.list ?? []).filter((e) => e.seq > mark);
  for (const e of list) e.reported = true;
  return list;
}

/**
 * The dialogs the hook dismissed on its own (no answer armed) that the agent has not been told about —
 * they opened between its requests — now counted as told.
 * @param {number} tabId
 * @returns {AnsweredEntry[]}
 */
export function takeUnreported(tabId) {
  const list = (answered.get(tabId)?.list ?? []).filter((e) => !e.reported && e.by === "default");
  for (const e of answered.get(tabId)?.list ?? []) e.reported = true;
  return list;
}

/**
 * The last `n` dialogs the hook answered in the tab, oldest first, as the protocol shows them.
 * @param {number} tabId
 * @param {number} [n]
 * @returns {AnsweredDialog[]}
 */
export function recentDialogs(tabId, n = 10) {
  return (answered.get(tabId)?.list ?? []).slice(-n).map(({ seq: _s, key: _k, reported: _r, ...d }) => d);
}

/** @param {number} tabId */
export function forgetAnswered(tabId) {
  answered.delete(tabId);
}

/**
 * What the hook did with a dialog, in one sentence, for error messages.
 * @param {AnsweredDialog} d
 * @returns {string}
 */
export function describeAnswer(d) {
  if (d.type === "alert") return `${describeDialog(d)}, which WebBridge closed`;
  const what = d.answer === "accept"
    ? d.type === "prompt" ? `accepted with ${JSON.stringify((d.prompt_text ?? "").slice(0, 100))}` : "accepted (OK)"
    : "dismissed (Cancel)";
  const why = d.by === "armed" ? "as armed" : "because no answer was armed";
  return `${describeDialog(d)}, which WebBridge ${what} ${why}`;
}
