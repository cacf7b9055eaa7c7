/**
 * The snapshot's text, background side: stitch the frames' wire lines into one tree and, for the default
 * view, keep what fits the budget. Pure functions (tests/js/snapshot_text.test.js).
 *
 * Wire lines (content/snapshot_format.js): one class character, indentation, the printed line. Classes:
 * `v` in the viewport, `L` container, `h`/`g` heading below/above the viewport, `i`/`j`/`k` actionable
 * element below/above/beside the viewport, `t`/`u` text below/above the viewport, `x` zero-size actionable
 * element, `F` iframe placeholder with the child frame's token after `\u0001`.
 *
 * Where lines are relative to the viewport is printed as marker lines where it changes (`↓ below the
 * viewport`, …) in the tree views, and as a mark at the end of each line in `find` results.
 */

/**
 * @typedef {{frameId: number, parentFrameId: number, n: number, url: string, text: string, token: string | null}} FramePart
 * @typedef {{below: number, above: number, side: number, text: number, hidden: number}} Omitted
 */

const TOKEN_SEP = "\u0001";

/** @type {Record<string, string>} line class → zone */
const ZONE = { v: "in", i: "below", h: "below", t: "below", j: "above", g: "above", u: "above", k: "beside" };
/** @type {Record<string, string>} */
const MARKER = { in: "· in the viewport", below: "↓ below the viewport", above: "↑ above the viewport", beside: "→ beside the viewport" };
/** @type {Record<string, string>} */
const MARK = { below: " ↓", above: " ↑", beside: " →" };

/**
 * Print lines (class characters dropped) with a marker line wherever the zone changes.
 * @param {string[]} lines  wire lines
 * @returns {string[]}
 */
export function withZones(lines) {
  /** @type {string[]} */
  const out = [];
  let zone = "in";
  for (const line of lines) {
    const z = ZONE[line[0]];
    if (z && z !== zone) {
      const indent = line.length - 1 - line.slice(1).trimStart().length;
      out.push(" ".repeat(indent) + MARKER[z]);
      zone = z;
    }
    out.push(line.slice(1));
  }
  return out;
}

/**
 * A find result line: the class dropped, the zone marked at the end.
 * @param {string} line  wire line
 * @returns {string}
 */
export function findLine(line) {
  const z = ZONE[line[0]];
  return line.slice(1).replace(/\u0001.*$/, "").trimStart() + (z && z !== "in" ? MARK[z] : "");
}

/**
 * @param {string} line
 * @returns {number}  leading spaces after the class character
 */
function depthOf(line) {
  let i = 1;
  while (line.charCodeAt(i) === 32) i++;
  return i - 1;
}

/**
 * Put each child frame's lines under its iframe line in the parent, indented below it. A child whose
 * iframe was not found (its token never arrived) is appended at the end of its parent, marked "not placed"
 * (unless `dropUnplaced`, used for subtrees, where such a frame is outside the subtree).
 * @param {FramePart[]} parts  the top part first
 * @param {{dropUnplaced?: boolean}} [opts]
 * @returns {string[]}  wire lines
 */
export function stitch(parts, opts = {}) {
  if (parts.length === 0) return [];
  /** @type {Map<string, FramePart>} */
  const byToken = new Map();
  /** @type {Map<number, FramePart[]>} */
  const kids = new Map();
  const ids = new Set(parts.map((p) => p.frameId));
  for (const p of parts.slice(1)) {
    if (p.token) byToken.set(p.token, p);
    const list = kids.get(p.parentFrameId) ?? [];
    list.push(p);
    kids.set(p.parentFrameId, list);
  }
  /** @type {Set<FramePart>} */
  const placed = new Set();
  /** @type {string[]} */
  const out = [];

  /**
   * @param {FramePart} part
   * @param {number} extra
   */
  const render = (part, extra) => {
    placed.add(part);
    const pad = " ".repeat(extra);
    for (const line of part.text.split("\n")) {
      if (!line) continue;
      const cls = line[0];
      if (cls !== "F") {
        out.push(extra ? cls + pad + line.slice(1) : line);
        continue;
      }
      const sep = line.indexOf(TOKEN_SEP);
      const body = sep < 0 ? line.slice(1) : line.slice(1, sep);
      const token = sep < 0 ? "" : line.slice(sep + 1);
      const child = byToken.get(token);
      const isDelta = body.startsWith("+ ") || body.startsWith("~ ");
      out.push((isDelta ? "v" : "L") + pad + body);
      if (child && !placed.has(child) && child.parentFrameId === part.frameId && !isDelta) {
        render(child, extra + depthOf(line) + 1);
      }
    }
    if (opts.dropUnplaced) return;
    for (const child of kids.get(part.frameId) ?? []) {
      if (placed.has(child)) continue;
      out.push(`L${pad}iframe (not placed) f${child.n} ${JSON.stringify(child.url.slice(0, 200))}`);
      render(child, extra + 1);
    }
  };
  render(parts[0], 0);
  // Parts whose parent frame is not among the parts (it could not be scripted): at the end.
  if (!opts.dropUnplaced) {
    for (const p of parts.slice(1)) {
      if (!placed.has(p) && !ids.has(p.parentFrameId)) {
        out.push(`Liframe f${p.n} ${JSON.stringify(p.url.slice(0, 200))}`);
        render(p, 1);
      }
    }
  }
  return out;
}

/**
 * Lines without their class character, zones marked, cut at `maxChars` (at a line boundary).
 * @param {string[]} lines
 * @param {number} maxChars
 * @returns {{text: string, truncated: boolean}}
 */
export function plain(lines, maxChars) {
  /** @type {string[]} */
  const out = [];
  let size = 0;
  const printed = withZones(lines);
  for (const body of printed) {
    if (size + body.length + 1 > maxChars) {
      out.push(`… cut at ${maxChars} characters (${printed.length - out.length} more lines)`);
      return { text: out.join("\n"), truncated: true };
    }
    out.push(body);
    size += body.length + 1;
  }
  return { text: out.join("\n"), truncated: false };
}

/**
 * The default view: everything in the viewport, the outline (containers, headings), then actionable
 * elements outside the viewport, nearest first (below the viewport in document order, then above it from
 * the bottom up), while they fit `maxChars`. Text outside the viewport and zero-size elements are left out.
 * The last line says what was left out and how to get it.
 * @param {string[]} lines  wire lines
 * @param {number} maxChars
 * @param {{y: number, vh: number, height: number} | null} [scroll]  of the top frame
 * @returns {{text: string, truncated: boolean, omitted: Omitted}}
 */
export function budget(lines, maxChars, scroll = null) {
  const n = lines.length;
  const keep = new Uint8Array(n);
  const depth = new Int32Array(n);
  let size = 0;
  /** @type {Omitted} */
  const omitted = { below: 0, above: 0, side: 0, text: 0, hidden: 0 };
  for (let i = 0; i < n; i++) {
    const line = lines[i];
    depth[i] = depthOf(line);
    const cls = line[0];
    if (cls === "v" || cls === "h" || cls === "g") {
      keep[i] = 1;
      size += line.length;
    } else if (cls === "t" || cls === "u") omitted.text++;
    else if (cls === "x") omitted.hidden++;
  }
  // Actionable elements outside the viewport, nearest first.
  /** @type {number[]} */
  const below = [];
  /** @type {number[]} */
  const above = [];
  /** @type {number[]} */
  const side = [];
  for (let i = 0; i < n; i++) {
    const cls = lines[i][0];
    if (cls === "i") below.push(i);
    else if (cls === "j") above.push(i);
    else if (cls === "k") side.push(i);
  }
  above.reverse();
  const reserve = 200; // room for container lines and the closing note
  for (const [list, key] of /** @type {[number[], keyof Omitted][]} */ ([[below, "below"], [above, "above"], [side, "side"]])) {
    for (const i of list) {
      if (size + lines[i].length + reserve <= maxChars) {
        keep[i] = 1;
        size += lines[i].length;
      } else omitted[key]++;
    }
  }
  // Containers: kept when something inside is kept; otherwise shown (top levels only) with a count.
  /** @type {Map<number, number>} */
  const leftOut = new Map();
  for (let i = n - 1; i >= 0; i--) {
    if (lines[i][0] !== "L") continue;
    let inside = 0;
    let skipped = 0;
    for (let j = i + 1; j < n && depth[j] > depth[i]; j++) {
      if (keep[j]) inside++;
      else if ("ijktu".includes(lines[j][0])) skipped++;
    }
    if (inside > 0) keep[i] = 1;
    else if (skipped > 0 && depth[i] <= 1) {
      keep[i] = 1;
      leftOut.set(i, skipped);
    }
  }
  /** @type {string[]} */
  const kept = [];
  for (let i = 0; i < n; i++) {
    if (!keep[i]) continue;
    const lo = leftOut.get(i);
    kept.push(lo ? `${lines[i]} (${lo} inside left out)` : lines[i]);
  }
  /** @type {string[]} */
  const out = [];
  let total = 0;
  let truncated = false;
  for (const body of withZones(kept)) {
    if (total + body.length + 1 > maxChars - 120) {
      truncated = true;
      out.push(`… cut at ${maxChars} characters`);
      break;
    }
    out.push(body);
    total += body.length + 1;
  }
  const parts = [];
  if (omitted.below) parts.push(`${omitted.below} actionable below`);
  if (omitted.above) parts.push(`${omitted.above} actionable above`);
  if (omitted.side) parts.push(`${omitted.side} actionable beside`);
  if (omitted.text) parts.push(`${omitted.text} text blocks`);
  if (omitted.hidden) parts.push(`${omitted.hidden} zero-size`);
  if (parts.length) {
    const where = scroll ? ` (viewport y ${scroll.y}–${scroll.y + scroll.vh} of ${scroll.height})` : "";
    out.push(`… outside the viewport${where}, left out: ${parts.join(", ")}. mode "full" shows all, "find" searches by name/role.`);
  }
  return { text: out.join("\n"), truncated, omitted };
}

/**
 * Number of lines with a ref in a snapshot text: element lines (`role "name" ref …`, also a delta's `+`/`~`
 * lines) whose ref (`e<M>` or `f<N>e<M>`) follows the role and name. Text lines (`- …`), markers and a
 * delta's gone lines have none, so a word like "e4" in page text or in a name never counts.
 * @param {string} text
 * @returns {number}
 */
export function countRefs(text) {
  let n = 0;
  for (const _ of text.matchAll(/^ *(?:[+~] )?[a-z][a-z0-9-]*(?: "(?:[^"\\\n]|\\.)*")? (?:f\d{1,4})?e\d{1,9}(?=[ \n]|$)/gm)) n++;
  return n;
}
