/**
 * The console log of the tabs the agent watches (tab_watch.js): `console.*` calls
 * (`Runtime.consoleAPICalled`), uncaught exceptions (`Runtime.exceptionThrown`) and the browser's own
 * messages such as failed loads and CSP violations (`Log.entryAdded`), from the tab's held debugger
 * session. `Runtime.enable` replays what the current document logged before the watch began. Cross-origin
 * iframes that run in their own process are separate debugger targets and are not included.
 *
 * One bounded `Ring` per tab, in the worker's memory; texts cut to `MAX_TEXT`. Texts are page data.
 */

import { onEvent } from "./debugger.js";
import { Ring } from "./ring.js";

/** Most messages kept per tab. */
export const CONSOLE_LOG_SIZE = 1000;
/** Longest message text kept (the `MAX_CONSOLE_TEXT` of page_io_kinds.py). */
export const MAX_TEXT = 4000;

/**
 * @typedef {"debug" | "log" | "info" | "warning" | "error"} Level
 * @typedef {{level: Level, source: "console" | "exception" | "browser", text: string, url: string,
 *   line: number | null, time: number}} ConsoleEntry
 * @typedef {ConsoleEntry & {seq: number}} SeqEntry
 * @typedef {{type?: string, subtype?: string, value?: unknown, unserializableValue?: string,
 *   description?: string, className?: string}} RemoteObject
 */

/** @type {Map<number, Ring<SeqEntry>>} */
const logs = new Map();

/** @type {Record<string, Level>} console API call type → level */
const API_LEVEL = { debug: "debug", info: "info", error: "error", assert: "error", warning: "warning", trace: "debug" };
/** @type {Record<string, Level>} Log entry level → level */
const LOG_LEVEL = { verbose: "debug", info: "info", warning: "warning", error: "error" };

/**
 * @param {string} text
 * @returns {string}
 */
export function cut(text) {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/**
 * One console argument as text: strings as they are, other primitives printed, objects by description.
 * @param {RemoteObject} arg
 * @returns {string}
 */
export function argText(arg) {
  if (arg.unserializableValue !== undefined) return String(arg.unserializableValue);
  if (arg.type === "string") return String(arg.value ?? "");
  if (arg.type === "undefined") return "undefined";
  if ("value" in arg && (arg.type === "number" || arg.type === "boolean" || arg.subtype === "null")) return String(arg.value);
  return String(arg.description ?? arg.className ?? arg.type ?? "");
}

/**
 * @param {{callFrames?: Array<{url?: string, lineNumber?: number}>} | undefined} stack
 * @returns {{url: string, line: number | null}}
 */
function where(stack) {
  const top = stack?.callFrames?.[0];
  return { url: String(top?.url ?? "").slice(0, 8192), line: typeof top?.lineNumber === "number" ? top.lineNumber + 1 : null };
}

/**
 * @param {{type: string, args?: RemoteObject[], timestamp?: number, stackTrace?: any}} p
 * @returns {ConsoleEntry}
 */
export function fromConsoleApi(p) {
  return {
    level: API_LEVEL[p.type] ?? "log", source: "console",
    text: cut((p.args ?? []).map(argText).join(" ")), ...where(p.stackTrace), time: Math.max(0, Math.round(p.timestamp ?? Date.now())),
  };
}

/**
 * @param {{timestamp?: number, exceptionDetails: {text?: string, url?: string, lineNumber?: number,
 *   exception?: RemoteObject, stackTrace?: any}}} p
 * @returns {ConsoleEntry}
 */
export function fromException(p) {
  const d = p.exceptionDetails;
  const described = d.exception ? argText(d.exception) : "";
  const at = where(d.stackTrace);
  return {
    level: "error", source: "exception", text: cut(described || String(d.text ?? "exception")),
    url: at.url || String(d.url ?? "").slice(0, 8192), line: at.line ?? (typeof d.lineNumber === "number" ? d.lineNumber + 1 : null),
    time: Math.max(0, Math.round(p.timestamp ?? Date.now())),
  };
}

/**
 * @param {{entry: {level: string, text?: string, url?: string, lineNumber?: number, timestamp?: number}}} p
 * @returns {ConsoleEntry}
 */
export function fromLogEntry(p) {
  const e = p.entry;
  return {
    level: LOG_LEVEL[e.level] ?? "info", source: "browser", text: cut(String(e.text ?? "")), url: String(e.url ?? "").slice(0, 8192),
    line: typeof e.lineNumber === "number" ? e.lineNumber + 1 : null, time: Math.max(0, Math.round(e.timestamp ?? Date.now())),
  };
}

/**
 * @param {number} tabId
 * @param {ConsoleEntry} entry
 */
function add(tabId, entry) {
  let ring = logs.get(tabId);
  if (!ring) logs.set(tabId, (ring = new Ring(CONSOLE_LOG_SIZE)));
  ring.push({ seq: ring.nextSeq(), ...entry });
}

/**
 * Subscribe a tab's console events (the caller holds the debugger session and enables `Runtime` and
 * `Log` afterwards, so that the replayed messages arrive here).
 * @param {number} tabId
 * @returns {Array<() => void>}  unsubscribe functions
 */
export function consoleListeners(tabId) {
  if (!logs.has(tabId)) logs.set(tabId, new Ring(CONSOLE_LOG_SIZE));
  return [
    onEvent(tabId, "Runtime.consoleAPICalled", (p) => add(tabId, fromConsoleApi(p))),
    onEvent(tabId, "Runtime.exceptionThrown", (p) => add(tabId, fromException(p))),
    onEvent(tabId, "Log.entryAdded", (p) => add(tabId, fromLogEntry(p))),
  ];
}

/** @param {number} tabId */
export function forgetConsole(tabId) {
  logs.delete(tabId);
}

/**
 * Read a tab's console log (see `page.console` in PROTOCOL.md §5.2).
 * @param {number} tabId
 * @param {{since: number, limit: number, levels?: Level[] | null, clear?: boolean}} q
 * @returns {{messages: SeqEntry[], dropped: number, next: number}}
 */
export function readConsole(tabId, q) {
  const ring = logs.get(tabId);
  if (!ring) return { messages: [], dropped: 0, next: q.since };
  const levels = q.levels ? new Set(q.levels) : null;
  const { entries, dropped, next } = ring.read(q.since, q.limit, (e) => levels === null || levels.has(e.level));
  if (q.clear) ring.clear();
  return { messages: entries, dropped, next };
}
