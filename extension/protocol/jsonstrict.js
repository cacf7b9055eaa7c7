/**
 * Strict JSON, mirroring `host/webbridge/protocol/jsonstrict.py` and PROTOCOL.md §1.
 *
 * Used for the signed part `P` of sealed envelopes (after its MAC verified) and for frames reassembled from
 * chunks. Refused, each with its typed error:
 *
 * - 1004 `invalid_utf8`: bytes that are not valid UTF-8 (overlong forms, encoded surrogates, truncation), or
 *   a text holding a lone surrogate code unit (it has no UTF-8 form);
 * - 1005 `invalid_json`: not exactly one JSON value, a BOM, comments, `NaN`/`Infinity`, trailing data,
 *   trailing commas, control characters in strings, any syntax error;
 * - 1006 `json_too_deep`: objects/arrays nested deeper than 64 (the top-level object is depth 1);
 * - 1007 `json_limits`: an integer of more than 20 digits, a number that overflows to ±Infinity, a lone
 *   surrogate escape (`"\ud800"`) in a string;
 * - 1008 `duplicate_key`: an object that repeats a key (compared after unescaping);
 * - 1009 `not_an_object`: a valid value at the top level that is not an object.
 *
 * The text is validated by one iterative scanner (no recursion, so any depth is safe) and then handed to the
 * native `JSON.parse`, which accepts a superset of what the scanner does and builds the value fast (large
 * echo and snapshot payloads). Strings, where the bytes of a large payload are, are crossed by jumps from one
 * quote, backslash or control character to the next (`indexOf` and an unanchored search), not character by
 * character.
 */

import { Codes, WebBridgeError } from "./errors.js";

/** Deepest allowed nesting of objects and arrays; the top-level object counts as 1. */
export const MAX_DEPTH = 64;
/** Longest allowed integer literal, in digits (the sign not counted). */
export const MAX_INT_DIGITS = 20;

const WS = /[ \t\n\r]*/y;
// The next control character (refused inside strings). An unanchored search for a class, not a sticky loop
// over every character: V8 runs it several times faster on long strings.
const CONTROL = /[\u0000-\u001f]/g;
const NUM = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Parse UTF-8 bytes strictly.
 * @param {Uint8Array} bytes
 * @returns {Record<string, unknown>}
 * @throws {WebBridgeError} 1004–1009
 */
export function parseStrictBytes(bytes) {
  let text;
  try {
    text = utf8Decoder.decode(bytes);
  } catch {
    throw new WebBridgeError(Codes.INVALID_UTF8, "text is not valid UTF-8");
  }
  return parseStrict(text);
}

/**
 * Parse a JSON text strictly.
 * @param {string} text
 * @returns {Record<string, unknown>}
 * @throws {WebBridgeError} 1004 (lone surrogate code units in the text itself), 1005–1009
 */
export function parseStrict(text) {
  if (typeof text !== "string") throw new WebBridgeError(Codes.INVALID_JSON, "JSON text must be a string");
  // Text that came from UTF-8 cannot hold a lone surrogate; one here cannot be encoded, like bad UTF-8.
  if (SURROGATE.test(text) && !isWellFormed(text)) {
    throw new WebBridgeError(Codes.INVALID_UTF8, "text holds a lone surrogate code unit");
  }
  if (text.charCodeAt(0) === 0xfeff) throw new WebBridgeError(Codes.INVALID_JSON, "byte order mark before the JSON text");
  scan(text);
  return JSON.parse(text);
}

const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** @type {((this: string) => boolean) | undefined} */
const nativeWellFormed = /** @type {{isWellFormed?: (this: string) => boolean}} */ (String.prototype).isWellFormed;

/**
 * No lone surrogate in `text`: the native `String.prototype.isWellFormed` (Chrome 111+, Node 20+) when there
 * is one, which is far faster than the regular expression on text full of surrogate pairs (emoji).
 * @param {string} text
 * @returns {boolean}
 */
function isWellFormed(text) {
  return nativeWellFormed ? nativeWellFormed.call(text) : !LONE_SURROGATE.test(text);
}

/**
 * One open object or array while scanning.
 * @typedef {{object: boolean, keys: Set<string> | null, duplicate: string | null}} Container
 */

/**
 * Validate `text` as one strict JSON object, without recursion (any nesting depth is scanned safely).
 *
 * Errors come in the order the Python parser raises them, so that a text with several faults gets the same
 * code on both sides: syntax errors, number limits and `NaN`/`Infinity` where they occur; a duplicate key
 * when its object closes; then, for a text that parsed, a top level that is not an object, too deep a
 * nesting, and last a lone surrogate escape.
 * @param {string} t
 */
function scan(t) {
  /** @type {Container[]} */
  const stack = [];
  const n = t.length;
  let i = 0;
  let maxDepth = 0;
  let loneEscape = false;
  // Where the next '"', '\\' and control character are, at or after the position they were looked up from
  // (n: none left). A string is scanned by jumping between them; each is looked up again only once the scan
  // has passed it, so the whole text is searched about once for each.
  let quoteAt = -1;
  let backslashAt = -1;
  let controlAt = -1;

  /**
   * @param {number} code
   * @param {string} what
   * @returns {never}
   */
  const fail = (code, what) => {
    throw new WebBridgeError(code, `${what} at offset ${i}`);
  };
  const ws = () => {
    WS.lastIndex = i;
    WS.test(t);
    i = WS.lastIndex;
  };

  /**
   * Scan a string at its opening quote; return its value only when `keep`. Raw surrogates need no look:
   * parseStrict refused lone ones, and a pair is as good as any other character here.
   * @param {boolean} keep
   * @returns {string}
   */
  const string = (keep) => {
    i++;
    /** @type {string[] | null} */
    const parts = keep ? [] : null;
    for (;;) {
      if (quoteAt < i) quoteAt = indexOrEnd(t.indexOf('"', i));
      if (backslashAt < i) backslashAt = indexOrEnd(t.indexOf("\\", i));
      if (controlAt < i) {
        CONTROL.lastIndex = i;
        controlAt = CONTROL.test(t) ? CONTROL.lastIndex - 1 : n;
      }
      const stop = Math.min(quoteAt, backslashAt, controlAt);
      if (parts && stop > i) parts.push(t.slice(i, stop));
      i = stop;
      if (stop === quoteAt && stop < n) {
        i++;
        return parts ? parts.join("") : "";
      }
      if (stop === n) fail(Codes.INVALID_JSON, "unterminated string");
      if (stop === controlAt) fail(Codes.INVALID_JSON, "control character in string");
      if (!parts && SIMPLE_ESCAPE_CODES[t.charCodeAt(i + 1)] === 1) {
        i += 2; // a one-character escape in a string whose value is not kept
        continue;
      }
      const unit = escape();
      if (parts) parts.push(unit);
    }
  };

  /**
   * @param {number} at  an indexOf result
   * @returns {number}  `at`, or the text's length when nothing was found
   */
  const indexOrEnd = (at) => (at < 0 ? n : at);

  /** @returns {string} the unescaped code unit(s) */
  const escape = () => {
    const e = t[i + 1];
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      i += 2;
      return simple;
    }
    if (e !== "u") fail(Codes.INVALID_JSON, "invalid escape");
    const hi = hex4(i + 2);
    i += 6;
    if (hi >= 0xdc00 && hi <= 0xdfff) {
      loneEscape = true;
      return String.fromCharCode(hi);
    }
    if (hi < 0xd800 || hi > 0xdbff) return String.fromCharCode(hi);
    if (t[i] === "\\" && t[i + 1] === "u") {
      const lo = hex4(i + 2);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        i += 6;
        return String.fromCharCode(hi, lo);
      }
    }
    loneEscape = true; // the next escape, if any, is scanned on its own
    return String.fromCharCode(hi);
  };

  /** @param {number} at */
  const hex4 = (at) => {
    const h = t.slice(at, at + 4);
    if (!HEX4.test(h)) {
      i = at;
      fail(Codes.INVALID_JSON, "invalid \\u escape");
    }
    return parseInt(h, 16);
  };

  const number = () => {
    NUM.lastIndex = i;
    const m = NUM.exec(t);
    if (!m) return fail(Codes.INVALID_JSON, "invalid number");
    const lexeme = m[0];
    if (m[1] === undefined && m[2] === undefined) {
      const digits = lexeme.charCodeAt(0) === 0x2d ? lexeme.length - 1 : lexeme.length;
      if (digits > MAX_INT_DIGITS) fail(Codes.JSON_LIMITS, `integer of ${digits} digits (at most ${MAX_INT_DIGITS})`);
    } else if (!Number.isFinite(Number(lexeme))) {
      fail(Codes.JSON_LIMITS, "number is not finite");
    }
    i += lexeme.length;
  };

  /** Read `"key"` `:` inside the innermost object, recording a repeated key. */
  const member = () => {
    ws();
    if (t.charCodeAt(i) !== 0x22) fail(Codes.INVALID_JSON, "expected a string key");
    const top = stack[stack.length - 1];
    const key = string(true);
    const keys = /** @type {Set<string>} */ (top.keys);
    if (keys.has(key)) top.duplicate ??= key;
    else keys.add(key);
    ws();
    if (t.charCodeAt(i) !== 0x3a) fail(Codes.INVALID_JSON, "expected ':'");
    i++;
  };

  const topIsObject = (ws(), t.charCodeAt(i) === 0x7b);
  // Each turn scans one value; containers push and continue with their first member.
  for (;;) {
    ws();
    const c = t.charCodeAt(i);
    let closedScalar = true;
    if (c === 0x7b || c === 0x5b) {
      const object = c === 0x7b;
      stack.push({ object, keys: object ? new Set() : null, duplicate: null });
      if (stack.length > maxDepth) maxDepth = stack.length;
      i++;
      ws();
      if (t.charCodeAt(i) === (object ? 0x7d : 0x5d)) {
        i++;
        stack.pop();
      } else {
        if (object) member();
        closedScalar = false;
      }
    } else if (c === 0x22) {
      string(false);
    } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
      const word = c === 0x74 ? "true" : c === 0x66 ? "false" : "null";
      if (!t.startsWith(word, i)) fail(Codes.INVALID_JSON, "invalid literal");
      i += word.length;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      number();
    } else if (Number.isNaN(c)) {
      fail(Codes.INVALID_JSON, "unexpected end of text");
    } else {
      fail(Codes.INVALID_JSON, "unexpected character (NaN, Infinity and comments are refused)");
    }
    if (!closedScalar) continue;
    // After a complete value: close containers or move to the next member/element.
    for (;;) {
      if (stack.length === 0) {
        ws();
        if (i !== t.length) fail(Codes.INVALID_JSON, "trailing data after the JSON value");
        if (!topIsObject) fail(Codes.NOT_AN_OBJECT, "the top level must be a JSON object");
        if (maxDepth > MAX_DEPTH) fail(Codes.JSON_TOO_DEEP, `nesting deeper than ${MAX_DEPTH}`);
        if (loneEscape) fail(Codes.JSON_LIMITS, "string holds a lone surrogate escape");
        return;
      }
      ws();
      const top = stack[stack.length - 1];
      const d = t.charCodeAt(i);
      if (d === 0x2c) {
        i++;
        if (top.object) member();
        break;
      }
      if (d === (top.object ? 0x7d : 0x5d)) {
        i++;
        if (top.duplicate !== null) fail(Codes.DUPLICATE_KEY, `duplicate key ${JSON.stringify(top.duplicate.slice(0, 64))}`);
        stack.pop();
        continue;
      }
      fail(Codes.INVALID_JSON, top.object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
}

/** 1 at the code of each character that makes a one-character escape after a backslash: " \ / b f n r t. */
const SIMPLE_ESCAPE_CODES = new Uint8Array(128);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE_CODES[c.charCodeAt(0)] = 1;

/** @type {Record<string, string>} */
const SIMPLE_ESCAPES = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
