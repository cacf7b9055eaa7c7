/**
 * The message catalogue (PROTOCOL.md §4, §5), driven by `extension/protocol/schema.json`.
 *
 * The Python models (`host/webbridge/protocol/messages.py`) are the single source of the message shapes; the
 * schema file is exported from them (`python -m webbridge.protocol.schema --write`) and lists, per kind, the
 * body's JSON Schema, its role (request / reply / event), whether it may travel plain and/or sealed, who sends
 * it and its reply kind. This module compiles that file once (`installSchema`, or `loadSchema` in the
 * browser) into validators that mirror pydantic's strict mode:
 *
 * - exact JSON types (an integer is not a bool, `1.5` is not an integer), no extra fields;
 * - string lengths in code points, patterns, numeric bounds, enums, `oneOf`/`anyOf`/`not`, `$ref` to `$defs`;
 * - every string whose pattern is a fixed-length base64url run (`^[A-Za-z0-9_-]{N}$`) must also be the
 *   canonical base64url of exactly ⌊3N/4⌋ bytes, and 65-byte values (uncompressed P-256 points) must start
 *   with byte 0x04, as the Python models' validators require.
 *
 * A schema keyword this compiler does not know fails at load time rather than being ignored (fail closed).
 * Errors: 2001 `unknown_kind`, 2002 `invalid_message` (naming the first offending field, never its value),
 * 2003 `unexpected_kind` (a kind that may not travel plain, or sealed).
 */

import { decode as b64decode } from "./b64.js";
import { Codes, WebBridgeError } from "./errors.js";

/**
 * @typedef {"request" | "reply" | "event"} MessageRole
 * @typedef {"e2d" | "d2e" | "both"} Direction
 * @typedef {"extension" | "daemon"} Role  which end of the connection
 * @typedef {{
 *   kind: string,
 *   role: MessageRole,
 *   plain: boolean,
 *   sealed: boolean,
 *   direction: Direction,
 *   reply: string | null,
 * }} KindSpec
 * @typedef {(value: unknown, path: string) => string | null}  Check  an error description, or null when valid
 * @typedef {Record<string, unknown>} SchemaNode
 */

/** @type {Map<string, KindSpec & {check: Check}> | null} */
let catalogue = null;
/** @type {Promise<void> | null} */
let loading = null;

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
export function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Compile and install the exported schema (`schema.json` parsed). Throws on a malformed schema or an unknown
 * keyword. Replaces any schema installed before.
 * @param {unknown} schema
 */
export function installSchema(schema) {
  if (!isPlainObject(schema) || !isPlainObject(schema.kinds)) throw new Error("schema.json: no `kinds` object");
  /** @type {Map<string, KindSpec & {check: Check}>} */
  const out = new Map();
  for (const [kind, entry] of Object.entries(schema.kinds)) {
    if (!isPlainObject(entry) || !isPlainObject(entry.body)) throw new Error(`schema.json: ${kind} has no body schema`);
    const body = entry.body;
    const defs = isPlainObject(body.$defs) ? body.$defs : {};
    /** @type {Map<string, Check>} */
    const refs = new Map();
    for (const [name, def] of Object.entries(defs)) {
      if (!isPlainObject(def)) throw new Error(`schema.json: ${kind}: $defs.${name} is not a schema`);
      refs.set(name, compile(def, defs, refs));
    }
    out.set(kind, {
      kind,
      role: /** @type {MessageRole} */ (entry.role),
      plain: entry.plain === true,
      sealed: entry.sealed === true,
      direction: /** @type {Direction} */ (entry.direction),
      reply: typeof entry.reply === "string" ? entry.reply : null,
      check: compile(body, defs, refs),
    });
  }
  catalogue = out;
}

/**
 * Load `schema.json` next to this module (browser: the extension's own file) and install it, once.
 * @returns {Promise<void>}
 */
export function loadSchema() {
  if (catalogue) return Promise.resolve();
  loading ??= (async () => {
    const res = await fetch(new URL("./schema.json", import.meta.url));
    if (!res.ok) throw new Error(`could not load schema.json: HTTP ${res.status}`);
    installSchema(await res.json());
  })().finally(() => {
    loading = null;
  });
  return loading;
}

/** @returns {Map<string, KindSpec & {check: Check}>} */
function kinds() {
  if (!catalogue) throw new WebBridgeError(Codes.INTERNAL, "the message schema is not loaded");
  return catalogue;
}

/**
 * @param {string} kind
 * @returns {KindSpec | undefined}
 */
export function specOf(kind) {
  return kinds().get(kind);
}

/** @returns {string[]} every kind in the catalogue */
export function allKinds() {
  return [...kinds().keys()];
}

/**
 * Validate a body as a message of `kind`.
 * @param {unknown} kind
 * @param {unknown} body
 * @returns {KindSpec}
 * @throws {WebBridgeError} 2001 unknown kind, 2002 invalid body
 */
export function validateBody(kind, body) {
  const spec = typeof kind === "string" ? kinds().get(kind) : undefined;
  if (!spec) {
    const shown = typeof kind === "string" ? JSON.stringify(kind.slice(0, 64)) : typeof kind;
    throw new WebBridgeError(Codes.UNKNOWN_KIND, `unknown kind ${shown}`);
  }
  if (!isPlainObject(body)) throw new WebBridgeError(Codes.INVALID_MESSAGE, `${kind}: body must be an object`);
  const problem = spec.check(body, "body");
  if (problem !== null) throw new WebBridgeError(Codes.INVALID_MESSAGE, `${kind}: ${problem}`);
  return spec;
}

/**
 * Validate a message that travels (or is about to travel) plain or sealed.
 * @param {unknown} kind
 * @param {unknown} body
 * @param {{sealed: boolean}} how
 * @returns {KindSpec}
 * @throws {WebBridgeError} 2001, 2003 (a plain-only kind sealed, or a sealed-only kind plain), 2002
 */
export function validateMessage(kind, body, how) {
  const spec = typeof kind === "string" ? kinds().get(kind) : undefined;
  if (spec && (how.sealed ? !spec.sealed : !spec.plain)) {
    throw new WebBridgeError(Codes.UNEXPECTED_KIND, `${kind} may not travel ${how.sealed ? "sealed" : "plain"}`);
  }
  return validateBody(kind, body);
}

// --- the schema compiler ------------------------------------------------------------------------------

const KNOWN_KEYWORDS = new Set([
  "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "minLength",
  "maxLength", "pattern", "minimum", "maximum", "enum", "const", "anyOf", "oneOf", "allOf", "not", "$ref",
  "$defs", "title", "description", "default", "examples",
]);
const B64_PATTERN = /^\^\[A-Za-z0-9_-\]\{(\d+)\}\$$/;

/**
 * @param {SchemaNode} node
 * @param {Record<string, unknown>} defs  the body schema's `$defs`
 * @param {Map<string, Check>} refs  compiled `$defs`, shared (refs may recurse)
 * @returns {Check}
 */
function compile(node, defs, refs) {
  for (const key of Object.keys(node)) {
    if (!KNOWN_KEYWORDS.has(key)) throw new Error(`schema.json: unsupported keyword ${key}`);
  }
  /** @type {Check[]} */
  const checks = [];

  if (typeof node.$ref === "string") {
    const m = /^#\/\$defs\/(.+)$/.exec(node.$ref);
    if (!m || !isPlainObject(defs[m[1]])) throw new Error(`schema.json: unresolvable $ref ${node.$ref}`);
    const name = m[1];
    // Resolved when used, so that definitions may refer to each other; installSchema compiles every
    // definition up front, so a bad keyword in one still fails at load time.
    checks.push((v, p) => /** @type {Check} */ (refs.get(name))(v, p));
  }
  if (node.type !== undefined) {
    const types = Array.isArray(node.type) ? node.type : [node.type];
    checks.push((v, p) => (types.some((t) => hasType(v, String(t))) ? null : `${p}: must be ${types.join(" or ")}`));
  }
  if (node.enum !== undefined) {
    const options = /** @type {unknown[]} */ (node.enum);
    checks.push((v, p) => (options.some((o) => o === v) ? null : `${p}: not one of the allowed values`));
  }
  if (node.const !== undefined) {
    const c = node.const;
    checks.push((v, p) => (v === c ? null : `${p}: must be ${JSON.stringify(c)}`));
  }
  // strings
  if (typeof node.minLength === "number" || typeof node.maxLength === "number") {
    const min = typeof node.minLength === "number" ? node.minLength : 0;
    const max = typeof node.maxLength === "number" ? node.maxLength : Infinity;
    checks.push((v, p) => {
      if (typeof v !== "string") return null;
      // Lengths count code points (JSON Schema, pydantic); a JS length counts UTF-16 units.
      if (v.length >= min && v.length <= max && !(v.length < 2 * min)) return null;
      const n = codePoints(v);
      if (n < min) return `${p}: shorter than ${min} characters`;
      if (n > max) return `${p}: longer than ${max} characters`;
      return null;
    });
  }
  if (typeof node.pattern === "string") {
    const re = new RegExp(node.pattern, "u");
    const b64 = B64_PATTERN.exec(node.pattern);
    const bytes = b64 ? Math.floor((Number(b64[1]) * 3) / 4) : 0;
    checks.push((v, p) => {
      if (typeof v !== "string") return null;
      if (!re.test(v)) return `${p}: does not match ${node.pattern}`;
      if (b64) {
        let raw;
        try {
          raw = b64decode(v);
        } catch {
          return `${p}: not canonical base64url`;
        }
        if (raw.length !== bytes) return `${p}: must decode to ${bytes} bytes`;
        if (bytes === 65 && raw[0] !== 0x04) return `${p}: must be an uncompressed point (first byte 0x04)`;
      }
      return null;
    });
  }
  // numbers
  if (typeof node.minimum === "number") {
    const min = node.minimum;
    checks.push((v, p) => (typeof v === "number" && v < min ? `${p}: below ${min}` : null));
  }
  if (typeof node.maximum === "number") {
    const max = node.maximum;
    checks.push((v, p) => (typeof v === "number" && v > max ? `${p}: above ${max}` : null));
  }
  // arrays
  if (typeof node.minItems === "number" || typeof node.maxItems === "number") {
    const min = typeof node.minItems === "number" ? node.minItems : 0;
    const max = typeof node.maxItems === "number" ? node.maxItems : Infinity;
    checks.push((v, p) => (Array.isArray(v) && (v.length < min || v.length > max) ? `${p}: must hold ${min}–${max} items` : null));
  }
  if (isPlainObject(node.items)) {
    const item = compile(node.items, defs, refs);
    checks.push((v, p) => {
      if (!Array.isArray(v)) return null;
      for (let i = 0; i < v.length; i++) {
        const r = item(v[i], `${p}[${i}]`);
        if (r !== null) return r;
      }
      return null;
    });
  }
  // objects
  if (Array.isArray(node.required)) {
    const required = /** @type {string[]} */ (node.required);
    checks.push((v, p) => {
      if (!isPlainObject(v)) return null;
      const missing = required.find((k) => !Object.hasOwn(v, k));
      return missing === undefined ? null : `${p}.${missing}: field required`;
    });
  }
  if (isPlainObject(node.properties) || node.additionalProperties !== undefined) {
    const props = new Map(
      Object.entries(isPlainObject(node.properties) ? node.properties : {}).map(([k, s]) => [
        k,
        compile(/** @type {SchemaNode} */ (s), defs, refs),
      ]),
    );
    const extra = node.additionalProperties;
    /** @type {Check | null} */
    const extraCheck = isPlainObject(extra) ? compile(extra, defs, refs) : null;
    checks.push((v, p) => {
      if (!isPlainObject(v)) return null;
      for (const [k, value] of Object.entries(v)) {
        const c = props.get(k);
        if (c) {
          const r = c(value, `${p}.${k}`);
          if (r !== null) return r;
        } else if (extra === false) {
          return `${p}.${k.slice(0, 64)}: extra fields are not permitted`;
        } else if (extraCheck) {
          const r = extraCheck(value, `${p}.${k.slice(0, 64)}`);
          if (r !== null) return r;
        }
      }
      return null;
    });
  }
  // combinators
  if (Array.isArray(node.allOf)) {
    const parts = node.allOf.map((s) => compile(s, defs, refs));
    checks.push((v, p) => {
      for (const c of parts) {
        const r = c(v, p);
        if (r !== null) return r;
      }
      return null;
    });
  }
  if (Array.isArray(node.anyOf)) {
    const parts = node.anyOf.map((s) => compile(s, defs, refs));
    checks.push((v, p) => (parts.some((c) => c(v, p) === null) ? null : `${p}: matches none of the allowed forms`));
  }
  if (Array.isArray(node.oneOf)) {
    const parts = node.oneOf.map((s) => compile(s, defs, refs));
    checks.push((v, p) => {
      const n = parts.filter((c) => c(v, p) === null).length;
      return n === 1 ? null : `${p}: must match exactly one form (matches ${n})`;
    });
  }
  if (isPlainObject(node.not)) {
    const inner = compile(node.not, defs, refs);
    checks.push((v, p) => (inner(v, p) === null ? `${p}: matches a forbidden form` : null));
  }

  return (v, p) => {
    for (const c of checks) {
      const r = c(v, p);
      if (r !== null) return r;
    }
    return null;
  };
}

/**
 * @param {unknown} v
 * @param {string} type
 * @returns {boolean}
 */
function hasType(v, type) {
  switch (type) {
    case "string":
      return typeof v === "string";
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "boolean":
      return typeof v === "boolean";
    case "null":
      return v === null;
    case "array":
      return Array.isArray(v);
    case "object":
      return isPlainObject(v);
    default:
      throw new Error(`schema.json: unsupported type ${type}`);
  }
}

/**
 * @param {string} s
 * @returns {number}
 */
function codePoints(s) {
  let pairs = 0;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return s.length - pairs;
}
