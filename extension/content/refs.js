/**
 * The ref registry of one document: ref ↔ element. A ref is `e<n>` in the top frame (frame 0) and
 * `f<frame>e<n>` in any other; `f0e<n>` is the old spelling of `e<n>` and names the same element (every
 * parser here and in `background/frames.js` reads both; refs are printed only in the short form). The
 * grammar is docs/PROTOCOL.md §5.2; `tests/vectors/refs.json` holds this file, `background/frames.js` and
 * the host's `protocol/refs.py` to one table.
 *
 * - A ref is given once per element and never reused in this document: a WeakMap element → n, and n →
 *   WeakRef(element). The element can be collected; its ref then stops resolving (stale) and never points
 *   at anything else.
 * - The frame prefix is the number the background assigned to this frame (the top frame, 0, has none). A frame
 *   that navigates keeps its number, and the background passes `base` with every call: the lowest element
 *   number this document may give out, above every number an earlier document of the frame handed out. So
 *   old refs never name elements of a new document. Snapshots report `high()` back.
 * - `elementFor(ref)` answers only for live, connected elements of this document; anything else is null,
 *   which the callers turn into 6001 `stale_ref`.
 *
 * Node keys (`keyOf`) are a second numbering over every node the snapshot prints (text included), used to
 * diff snapshots for `delta`; they are not refs and never leave this frame.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("refs")) return;
  ns.loaded.add("refs");

  /** @type {WeakMap<Element, number>} */
  const numbers = new WeakMap();
  /** @type {Map<number, WeakRef<Element>>} */
  const elements = new Map();
  let next = 1;
  /** @type {WeakMap<Node, number>} */
  const keys = new WeakMap();
  let nextKey = 1;
  const REF = /^(?:f(\d{1,4}))?e(\d{1,9})$/;

  /**
   * Frame and element number of a ref in either spelling (`e12`, `f0e12` → frame 0; `f3e12` → frame 3),
   * or null when it is not a ref.
   * @param {unknown} ref
   * @returns {{frame: number, n: number} | null}
   */
  function parse(ref) {
    const m = typeof ref === "string" ? REF.exec(ref) : null;
    return m ? { frame: m[1] === undefined ? 0 : Number(m[1]), n: Number(m[2]) } : null;
  }

  /**
   * The printed (canonical) ref of element `n` of frame `frame`.
   * @param {number} frame
   * @param {number} n
   * @returns {string}
   */
  function format(frame, n) {
    return frame === 0 ? `e${n}` : `f${frame}e${n}`;
  }

  /**
   * The canonical spelling of a ref (`f0e12` → `e12`), or null when it is not a ref.
   * @param {unknown} ref
   * @returns {string | null}
   */
  function canonical(ref) {
    const p = parse(ref);
    return p ? format(p.frame, p.n) : null;
  }

  /** Drop entries whose element was collected or detached (keeps the map bounded on re-rendering pages). */
  function sweep() {
    for (const [n, w] of elements) {
      const el = w.deref();
      if (!el || !el.isConnected) elements.delete(n);
    }
  }

  /**
   * The ref of `el`, assigning one if it has none yet.
   * @param {Element} el
   * @returns {string}
   */
  function refFor(el) {
    let n = numbers.get(el);
    if (n === undefined) {
      n = next++;
      numbers.set(el, n);
      elements.set(n, new WeakRef(el));
      if (elements.size > 50_000 && n % 10_000 === 0) sweep();
    }
    return format(ns.frame, n);
  }

  /**
   * The ref of `el` if it has one; never assigns.
   * @param {Element} el
   * @returns {string | null}
   */
  function peek(el) {
    const n = numbers.get(el);
    return n === undefined ? null : format(ns.frame, n);
  }

  /**
   * The live element a ref of this frame names (either spelling), or null (not a ref, unknown, other
   * frame, collected, or detached).
   * @param {string} ref
   * @returns {Element | null}
   */
  function elementFor(ref) {
    const p = parse(String(ref));
    if (!p || p.frame !== ns.frame) return null;
    const el = elements.get(p.n)?.deref();
    if (!el || !el.isConnected || numbers.get(el) !== p.n) return null;
    return el;
  }

  /**
   * A key for any node the snapshot prints (stable while the node lives), for diffing.
   * @param {Node} node
   * @returns {number}
   */
  function keyOf(node) {
    let k = keys.get(node);
    if (k === undefined) {
      k = nextKey++;
      keys.set(node, k);
    }
    return k;
  }

  /**
   * Never give out numbers below `base` (idempotent; only ever raises the counter).
   * @param {number} base
   */
  function raise(base) {
    if (Number.isInteger(base) && base > next) next = base;
  }

  ns.refs = { refFor, peek, elementFor, parse, format, canonical, keyOf, raise, high: () => next - 1, size: () => elements.size };
})();
