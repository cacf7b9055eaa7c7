/**
 * `page.evaluate {tab_id, script, args, timeout_ms, max_bytes}` → `page.evaluate.result {type, value, url}`.
 *
 * Runs in the top frame's main world (`chrome.scripting.executeScript`, `world: "MAIN"`): the page's own
 * globals, under the page's Content-Security-Policy (a page that forbids `eval` refuses it: 6023 saying
 * so). `script` is evaluated as an expression in the global scope; a function result is called with
 * `args`; a promise is awaited. The result travels as JSON text and is parsed again here: it must be
 * JSON-serialisable (no functions, symbols, bigints, DOM nodes, cycles) and at most `max_bytes` UTF-8
 * bytes, else 6024. A throw is 6023 with the page's message (untrusted). After `timeout_ms` the reply is
 * 6025; the script itself cannot be stopped and a synchronous loop keeps the page busy.
 *
 * Refused (6004) in tabs the URL policy forbids; 6005 without the tab. This is the SCRIPT action class.
 */

import { Codes, WebBridgeError } from "../../protocol/errors.js";
import { answeredCount, collectAnswered } from "../page_hooks.js";
import { getTab } from "../tab_info.js";
import { requireActionableTab } from "../url_policy.js";

/** Longest error text passed on from the page. */
const MAX_MESSAGE = 2000;

/**
 * @typedef {{ok: true, type: string, json: string} | {ok: false, why: "threw" | "csp" | "result", message: string}} Outcome
 */

/**
 * Runs inside the page (serialised by `executeScript`: no closure, nothing from this module).
 * @param {string} source
 * @param {unknown[]} args
 * @param {number} maxBytes
 * @returns {Promise<Outcome>}
 */
async function runInPage(source, args, maxBytes) {
  /** @param {unknown} e */
  const text = (e) => {
    try {
      return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    } catch {
      return "an exception that cannot be printed";
    }
  };
  /** @type {unknown} */
  let fn;
  try {
    fn = (0, eval)(source);
  } catch (e) {
    if (e instanceof EvalError && /unsafe-eval|Content Security Policy/i.test(text(e))) {
      return { ok: false, why: "csp", message: text(e) };
    }
    return { ok: false, why: "threw", message: text(e) };
  }
  /** @type {unknown} */
  let value;
  try {
    value = await (typeof fn === "function" ? fn(...args) : fn);
  } catch (e) {
    return { ok: false, why: "threw", message: text(e) };
  }
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  if (type === "function" || type === "symbol" || type === "bigint") {
    return { ok: false, why: "result", message: `a ${type} is not JSON-serialisable` };
  }
  if (typeof Node === "function" && value instanceof Node) {
    return { ok: false, why: "result", message: "a DOM node is not JSON-serialisable: return its text or attributes" };
  }
  let json;
  try {
    json = value === undefined ? "null" : JSON.stringify(value);
  } catch (e) {
    return { ok: false, why: "result", message: `not JSON-serialisable: ${text(e)}` };
  }
  if (typeof json !== "string") json = "null";
  const size = new TextEncoder().encode(json).length;
  if (size > maxBytes) return { ok: false, why: "result", message: `the result is ${size} bytes as JSON, over the cap of ${maxBytes}` };
  return { ok: true, type, json };
}

/**
 * Check what came back from the page (which the page itself could have shaped) and turn it into the reply
 * value or a typed error.
 * @param {unknown} outcome
 * @param {number} maxBytes
 * @returns {{type: string, value: unknown}}
 * @throws {WebBridgeError} 6023, 6024
 */
export function settleOutcome(outcome, maxBytes) {
  const o = /** @type {Record<string, unknown> | null} */ (outcome && typeof outcome === "object" ? outcome : null);
  if (!o) throw new WebBridgeError(Codes.SCRIPT_RESULT_INVALID, "the script produced no result (the page replaced it, or the frame went away)");
  const message = String(o.message ?? "").slice(0, MAX_MESSAGE);
  if (o.ok !== true) {
    if (o.why === "result") throw new WebBridgeError(Codes.SCRIPT_RESULT_INVALID, message);
    if (o.why === "csp") throw new WebBridgeError(Codes.SCRIPT_ERROR, `the page's Content-Security-Policy forbids evaluating scripts: ${message}`);
    throw new WebBridgeError(Codes.SCRIPT_ERROR, `the script threw ${message}`);
  }
  const json = typeof o.json === "string" ? o.json : "";
  if (new TextEncoder().encode(json).length > maxBytes) {
    throw new WebBridgeError(Codes.SCRIPT_RESULT_INVALID, `the result is over the cap of ${maxBytes} bytes`);
  }
  try {
    return { type: String(o.type ?? "object").slice(0, 32), value: JSON.parse(json) };
  } catch {
    throw new WebBridgeError(Codes.SCRIPT_RESULT_INVALID, "the result is not valid JSON");
  }
}

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {WebBridgeError} 6004, 6005, 6007, 6023, 6024, 6025
 */
export async function pageEvaluate(msg) {
  const b = /** @type {{tab_id: number, script: string, args?: unknown[], timeout_ms?: number, max_bytes?: number}} */ (msg.body);
  const timeoutMs = b.timeout_ms ?? 10_000;
  const maxBytes = b.max_bytes ?? 1_000_000;
  const tab = await getTab(b.tab_id);
  requireActionableTab(tab);
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const timedOut = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new WebBridgeError(Codes.SCRIPT_TIMEOUT, `the script did not finish within ${timeoutMs} ms (it may still be running in the page)`)),
      timeoutMs,
    );
  });
  const mark = await answeredCount(b.tab_id);
  const run = chrome.scripting
    .executeScript({ target: { tabId: b.tab_id, frameIds: [0] }, world: "MAIN", func: runInPage, args: [b.script, b.args ?? [], maxBytes] })
    .catch((err) => {
      const text = err instanceof Error ? err.message : String(err);
      throw new WebBridgeError(Codes.ACTION_FAILED, `the script could not be run in this page: ${text.slice(0, 300)}`);
    });
  try {
    const [first] = await Promise.race([run, timedOut]);
    // Dialogs the script opened go on record before the reply, so the guard reports them with it.
    await collectAnswered(b.tab_id, mark);
    const { type, value } = settleOutcome(first?.result, maxBytes);
    const now = await getTab(b.tab_id);
    return { kind: "page.evaluate.result", body: { type, value, url: (now.url ?? "").slice(0, 8192) } };
  } finally {
    clearTimeout(timer);
  }
}
