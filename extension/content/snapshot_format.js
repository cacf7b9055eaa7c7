/**
 * Entries → text lines, and the diff of two snapshots (delta mode).
 *
 * A printed line (docs/PROTOCOL.md §5.2):
 *
 *     <indent><role> "<name>" <ref> <states…> ="<value>" <position>
 *     <indent>- <text>
 *
 * `h1`…`h6` stand for headings; `<position>` is `hidden` for rendered zero-size elements (where an
 * element is relative to the viewport is carried by the line class, and printed by the background as
 * marker lines, or per line in `find` and `delta`). Names and values are JSON strings.
 *
 * Lines travel to the background with one extra leading character, the line's class, which the
 * background uses to budget the default view and to stitch frames (see background/snapshot_text.js):
 * `v` in the viewport, `L` container, `h`/`g` heading below/above the viewport, `i`/`j`/`k` actionable
 * element below/above/beside the viewport, `t`/`u` text below (or beside)/above the viewport, `x` zero-size actionable element,
 * `F` iframe placeholder (the child frame's token follows `\u0001` at the end of the line).
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("snapshot_format")) return;
  ns.loaded.add("snapshot_format");

  const POS = ["", " ↑", " ↓", " ←", " →", " hidden"];

  /**
   * The line of an entry, without indentation or position.
   * @param {{t: number, role: string, name: string, ref: string, states: string, value: string | null}} e
   * @returns {string}
   */
  function content(e) {
    if (e.t === 1) return `- ${e.name}`;
    let s = e.role;
    if (e.name) s += ` ${JSON.stringify(e.name)}`;
    if (e.ref) s += ` ${e.ref}`;
    s += e.states;
    if (e.value !== null && e.value !== undefined) s += ` =${JSON.stringify(e.value)}`;
    return s;
  }

  /**
   * @param {{t: number, role: string, pos: number}} e
   * @returns {string}
   */
  function lineClass(e) {
    if (e.t === 2) return "F";
    const heading = e.t === 3 && e.role.length === 2 && e.role[0] === "h";
    if (e.t === 3 && !heading) return "L";
    if (e.pos === 0) return "v";
    if (e.t === 1) return e.pos === 1 ? "u" : "t";
    if (heading) return e.pos === 1 ? "g" : "h";
    if (e.pos === 5) return "x";
    return e.pos === 2 ? "i" : e.pos === 1 ? "j" : "k";
  }

  /** Indentation strings by depth, built once. */
  const PAD = [""];

  /**
   * Wire lines (class character, indentation, line, position) of entries.
   * @param {WBCEntry[]} entries
   * @param {number} [baseDepth]
   * @param {Map<number, string>} [base]  when given, filled with key → line content (the comparison base of
   *   the next `delta`, the same as `baseline(entries)`), so each line is built once
   * @returns {string}
   */
  function wireLines(entries, baseDepth = 0, base) {
    /** @type {string[]} */
    const out = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const c = content(e);
      if (base) base.set(e.key, c);
      const d = e.d > baseDepth ? e.d - baseDepth : 0;
      while (PAD.length <= d) PAD.push(PAD[PAD.length - 1] + " ");
      let line = lineClass(e) + PAD[d] + c;
      if (e.pos === 5) line += POS[5];
      if (e.t === 2) line += `\u0001${e.token}`;
      out[i] = line;
    }
    return out.join("\n");
  }

  /**
   * What changed between two snapshots of one frame, as lines: `+` added, `-` removed, `~` changed (shown
   * as it is now). Positions are ignored when comparing (scrolling is not a change), shown on `+`/`~` lines.
   * @param {Map<number, string>} before  key → line of the previous snapshot
   * @param {WBCEntry[]} entries  the current snapshot
   * @returns {{lines: string[], added: number, removed: number, changed: number}}
   */
  function diff(before, entries) {
    /** @type {string[]} */
    const lines = [];
    let added = 0;
    let changed = 0;
    /** @type {Set<number>} */
    const seen = new Set();
    for (const e of entries) {
      seen.add(e.key);
      const now = content(e);
      const was = before.get(e.key);
      const tail = POS[e.pos] + (e.t === 2 ? `\u0001${e.token}` : "");
      if (was === undefined) {
        lines.push(`${e.t === 2 ? "F" : "v"}+ ${now}${tail}`);
        added++;
      } else if (was !== now) {
        lines.push(`${e.t === 2 ? "F" : "v"}~ ${now}${tail}`);
        changed++;
      }
    }
    let removed = 0;
    for (const [key, was] of before) {
      if (!seen.has(key)) {
        lines.push(`v- ${was}`);
        removed++;
      }
    }
    return { lines, added, removed, changed };
  }

  /**
   * The comparison base of a snapshot: key → line.
   * @param {WBCEntry[]} entries
   * @returns {Map<number, string>}
   */
  function baseline(entries) {
    /** @type {Map<number, string>} */
    const m = new Map();
    for (const e of entries) m.set(e.key, content(e));
    return m;
  }

  ns.format = { content, lineClass, wireLines, diff, baseline, POS };
})();
