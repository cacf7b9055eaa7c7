/**
 * The console log of the tabs the agent works in: `console.*` calls, uncaught exceptions and unhandled
 * rejections, failed resource loads and CSP violations, as the page hook reports them (content/page_hook.js
 * through page_hooks.js, no debugger) from the agent's first request naming the tab, across the documents
 * the tab loads.
 *
 * What a document logged before the hook arrived (the user's own page, before the agent looked) is only
 * known to the browser's console: `replayEarlier` fetches it on request (`page.console` with `earlier`) by
 * attaching the debugger briefly (`Runtime.enable` and `Log.enable` replay what the current document logged;
 * the bar shows while attached), keeping the entries older than the hook. Cross-origin iframes in their own
 * process are separate debugger targets and are not replayed.
 *
 * One bounded `Ring` per tab, in the worker's memory; texts cut to `MAX_TEXT`. Texts are page data.
 */

import { detachIfUnused, hold, isAttached, onEvent, send } from "./debugger.js";
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

const LEVELS = new Set(["debug", "log", "info", "warning", "error"]);
const SOURCES = new Set(["console", "exception", "browser"]);

/**
 * Add what a tab's page hook reported (page data: every field is checked and cut again here).
 * @param {number} tabId
 * @param {unknown[]} entries
 * @param {number} [lost]  entries the relay dropped before these (the page logged faster than it reports):
 *   one warning entry says how many
 */
export function addConsoleEntries(tabId, entries, lost = 0) {
  if (lost > 0 && entries.length >= CONSOLE_LOG_SIZE) {
    // room for the warning in a full log (the entries it replaces were dropped too)
    lost += entries.length - (CONSOLE_LOG_SIZE - 1);
    entries = entries.slice(-(CONSOLE_LOG_SIZE - 1));
  }
  if (lost > 0) {
    add(tabId, {
      level: "warning", source: "browser", url: "", line: null, time: Date.now(),
      text: `WebBridge dropped ${lost} console message${lost === 1 ? "" : "s"} of this page: it logged faster than they are recorded`,
    });
  }
  for (const raw of entries) {
    if (!raw || typeof raw !== "object") continue;
    const e = /** @type {Record<string, unknown>} */ (raw);
    const line = Number(e.line);
    const time = Number(e.time);
    add(tabId, {
      level: /** @type {Level} */ (LEVELS.has(String(e.level)) ? e.level : "log"),
      source: /** @type {ConsoleEntry["source"]} */ (SOURCES.has(String(e.source)) ? e.source : "console"),
      text: cut(String(e.text ?? "")), url: String(e.url ?? "").slice(0, 8192),
      line: Number.isInteger(line) && line > 0 ? line : null, time: Number.isFinite(time) ? Math.max(0, Math.round(time)) : Date.now(),
    });
  }
}

/** @type {Map<number, string>} tab → the document whose earlier messages were replayed */
const replayed = new Map();

/**
 * Add what the tab's current document logged before the hook arrived (`hookedAt`, ms since the epoch), once
 * per document, from the browser's console through a brief debugger attach.
 * @param {number} tabId
 * @param {string} documentId  the top document now
 * @param {number} hookedAt
 * @returns {Promise<number>}  how many entries were added
 * @throws {import("../protocol/errors.js").WebBridgeError} 6007 when the debugger cannot attach
 */
export async function replayEarlier(tabId, documentId, hookedAt) {
  if (replayed.get(tabId) === documentId) return 0;
  /** @type {Array<ConsoleEntry & {at: number}>} `at`: the browser's own time, not rounded */
  const got = [];
  /** @param {ConsoleEntry} e @param {unknown} at */
  const keep = (e, at) => got.push({ ...e, at: typeof at === "number" && Number.isFinite(at) ? at : e.time });
  const unsubscribe = [
    onEvent(tabId, "Runtime.consoleAPICalled", (p) => keep(fromConsoleApi(p), p.timestamp)),
    onEvent(tabId, "Runtime.exceptionThrown", (p) => keep(fromException(p), p.timestamp)),
    onEvent(tabId, "Log.entryAdded", (p) => keep(fromLogEntry(p), p.entry?.timestamp)),
  ];
  const wasAttached = isAttached(tabId);
  const release = await hold(tabId).catch((err) => {
    for (const u of unsubscribe) u();
    throw err;
  });
  try {
    // Both replay what is stored before they answer.
    await Promise.all([send(tabId, "Runtime.enable"), send(tabId, "Log.enable")]);
    await Promise.all([send(tabId, "Runtime.disable"), send(tabId, "Log.disable")]).catch(() => undefined);
  } finally {
    for (const u of unsubscribe) u();
    release();
    if (!wasAttached) await detachIfUnused(tabId);
  }
  replayed.set(tabId, documentId);
  // Compared before rounding: an entry at 999.6 ms was logged before recording began at 1000.
  const earlier = got.filter((e) => e.at < hookedAt).sort((a, b) => a.at - b.at);
  for (const { at: _at, ...e } of earlier) add(tabId, e);
  return earlier.length;
}

/** @param {number} tabId */
export function forgetConsole(tabId) {
  logs.delete(tabId);
  replayed.delete(tabId);
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
