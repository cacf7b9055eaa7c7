/**
 * One pass over a document (or a subtree) that collects what the snapshot prints, in document order:
 *
 * - elements a user can act on (interactive roles, contenteditable roots, focusable or `onclick` elements),
 *   with role, name, states, value and a ref;
 * - headings (with a ref, so that "scroll to" and "subtree" can name them);
 * - containers: landmarks, dialogs, forms, groups, tables, menus, tab lists… (dropped again when nothing
 *   inside them is printed);
 * - text, merged per block (a paragraph is one entry, a table row is one entry with cells joined by " | "),
 *   except text already part of an element's name;
 * - iframes, as placeholders the background replaces with the child frame's own entries.
 *
 * It walks the composed tree: open shadow roots (and closed ones of custom elements, through
 * `chrome.dom.openOrClosedShadowRoot`), slots with what is assigned to them. Subtrees that are not rendered
 * (`display: none`, closed `<details>`, …) are skipped whole; `visibility: hidden` elements are not printed
 * but their visible descendants are. Each element is touched once; names are computed only for printed
 * elements. Cost is dominated by one `checkVisibility()` per element and one `getBoundingClientRect()` per
 * printed entry; the boxes are read after the walk, in one batch in document order (the walk changes nothing,
 * so they are the same boxes), and each element's attributes are listed once (`names.attrMask`) so that the
 * role, name, state and value code reads only attributes the element has.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("snapshot_walk")) return;
  ns.loaded.add("snapshot_walk");

  const SKIP = new Set(["script", "style", "noscript", "template", "head", "meta", "link", "title", "base"]);
  /** Elements whose content is not walked (their value is printed instead). */
  const LEAF = new Set(["select", "textarea", "input", "option", "optgroup", "datalist", "svg", "img", "video", "audio", "canvas", "object", "embed"]);
  /** Elements after which text starts a new entry (block-level by default). */
  const BLOCK = new Set([
    "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr",
    "ul", "caption", "legend", "label", "menu", "search", "html",
  ]);
  const TEXT_MAX = 160;
  const VALUE_MAX = 100;
  const MAX_DEPTH = 512;
  /** `checkVisibility` options, made once (the walk calls it per element). */
  const VIS_PROPERTY = { visibilityProperty: true };
  const FORM_CONTROL = new Set(["button", "input", "select", "textarea", "option", "optgroup", "fieldset"]);
  const CHECKABLE = new Set(["checkbox", "radio", "switch", "menuitemcheckbox", "menuitemradio", "option", "treeitem"]);
  /** Layout-read kinds of the walk (other values: a position already measured). */
  const POS_ELEMENT = 6;
  const POS_TEXT = 7;
  /** Text with `|` or whitespace at an end (trimmed off before printing), and text with something to print. */
  const EDGE = /^[\s|]|[\s|]$/;
  const EDGES = /^[\s|]+|[\s|]+$/g;
  const NOT_BLANK = /\S/;

  /**
   * @param {Element} el
   * @param {string} tag  its local name
   * @returns {ShadowRoot | null}
   */
  function shadowOf(el, tag) {
    const open = el.shadowRoot;
    if (open) return open;
    if (tag.includes("-") && chrome.dom?.openOrClosedShadowRoot) {
      try {
        return chrome.dom.openOrClosedShadowRoot(/** @type {HTMLElement} */ (el));
      } catch {
        return null;
      }
    }
    return null;
  }

  /**
   * The focused element, through shadow roots.
   * @returns {Element | null}
   */
  function deepActiveElement() {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    return a;
  }

  /**
   * States of an element as words (each with a leading space), the way the snapshot prints them.
   * @param {Element} el
   * @param {string} role
   * @param {string} tag
   * @param {Element | null} active
   * @param {number} [attrs]  `names.attrMask(el)` when the caller has it: ARIA states are read only when present
   * @returns {string}
   */
  function statesOf(el, role, tag, active, attrs = -1) {
    const STATE = ns.names.ATTR.STATE;
    let s = "";
    const h = /** @type {HTMLInputElement} */ (el);
    if (CHECKABLE.has(role)) {
      if ((tag === "input" && (h.type === "checkbox" || h.type === "radio"))) {
        if (h.indeterminate) s += " mixed";
        else if (h.checked) s += " checked";
      } else if (tag === "option") {
        if (/** @type {HTMLOptionElement} */ (el).selected) s += " selected";
      } else if (attrs & STATE) {
        const c = el.getAttribute("aria-checked");
        if (c === "true") s += " checked";
        else if (c === "mixed") s += " mixed";
      }
    }
    if (tag === "summary") {
      const d = el.parentElement;
      if (d && d.localName === "details") s += /** @type {HTMLDetailsElement} */ (d).open ? " expanded" : " collapsed";
    }
    if (FORM_CONTROL.has(tag)) {
      if (el.matches(":disabled")) s += " disabled";
      if (h.required === true) s += " required";
      if (h.readOnly === true && tag !== "select") s += " readonly";
    }
    if (attrs & STATE && el.hasAttributes()) {
      const exp = el.getAttribute("aria-expanded");
      if (exp === "true") s += " expanded";
      else if (exp === "false") s += " collapsed";
      const pressed = el.getAttribute("aria-pressed");
      if (pressed === "true") s += " pressed";
      else if (pressed === "mixed") s += " pressed=mixed";
      if (el.getAttribute("aria-selected") === "true") s += " selected";
      if (el.getAttribute("aria-disabled") === "true" && !s.includes(" disabled")) s += " disabled";
      if (el.getAttribute("aria-required") === "true" && !s.includes(" required")) s += " required";
      if (el.getAttribute("aria-readonly") === "true" && !s.includes(" readonly")) s += " readonly";
      if (el.getAttribute("aria-invalid") === "true") s += " invalid";
    }
    if (el === active) s += " focused";
    return s;
  }

  /**
   * The value the snapshot prints after `=`, or null. Passwords are never printed.
   * @param {Element} el
   * @param {string} role
   * @param {string} tag
   * @param {number} [attrs]  `names.attrMask(el)` when the caller has it
   * @returns {string | null}
   */
  function valueOf(el, role, tag, attrs = -1) {
    const norm = ns.names.normalize;
    if (tag === "input") {
      const input = /** @type {HTMLInputElement} */ (el);
      const type = input.type;
      if (type === "checkbox" || type === "radio" || type === "button" || type === "submit" || type === "reset" || type === "image") return null;
      if (type === "file") return input.files && input.files.length ? norm([...input.files].map((f) => f.name).join(", "), VALUE_MAX) : null;
      if (type === "password") return input.value ? "•••" : null;
      return input.value ? norm(input.value, VALUE_MAX) : null;
    }
    if (tag === "textarea") {
      const v = /** @type {HTMLTextAreaElement} */ (el).value;
      return v ? norm(v, VALUE_MAX) : null;
    }
    if (tag === "select") {
      const s = /** @type {HTMLSelectElement} */ (el);
      const picked = [...s.selectedOptions].map((o) => o.text);
      return picked.length ? norm(picked.join(", "), VALUE_MAX) : null;
    }
    if (role === "textbox" || role === "searchbox" || role === "combobox") {
      if (/** @type {HTMLElement} */ (el).isContentEditable) return norm(el.textContent ?? "", VALUE_MAX) || null;
    }
    if (!(attrs & ns.names.ATTR.VALUE)) return null;
    const vt = el.getAttribute("aria-valuetext") ?? el.getAttribute("aria-valuenow");
    return vt ? norm(vt, VALUE_MAX) : null;
  }

  /**
   * The options of a `<select>` as one short line ("a | b | c"), for the full view.
   * @param {HTMLSelectElement} s
   * @returns {string}
   */
  function optionsOf(s) {
    const opts = s.options;
    /** @type {string[]} */
    const out = [];
    const n = Math.min(opts.length, 25);
    for (let i = 0; i < n; i++) out.push(opts[i].text.trim());
    let text = out.join(" | ");
    if (opts.length > n) text += ` | …${opts.length - n} more`;
    return ns.names.normalize(text, 400);
  }

  /**
   * Walk `root` and collect entries.
   * @param {Element | Document} root
   * @param {{includeRoot?: boolean, options?: boolean}} [opts]  `includeRoot`: `root` itself may be an entry
   *   (subtree mode); `options`: list the options of selects (full view)
   * @returns {{entries: WBCEntry[], visited: number, shadowRoots: ShadowRoot[]}}
   */
  function walk(root, opts = {}) {
    const refs = ns.refs;
    const roles = ns.roles;
    const names = ns.names;
    const ATTR = names.ATTR;
    const INTERACTIVE = roles.INTERACTIVE;
    const CONTAINER = roles.CONTAINER;
    const NFC = roles.NAME_FROM_CONTENT;
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    const active = deepActiveElement();
    names.beginWalk();
    /** @type {WBCEntry[]} */
    const entries = [];
    let visited = 0;
    /** @type {ShadowRoot[]} */
    const shadowRoots = [];
    /** @type {string[]} */
    const pending = [];
    /** @type {Node | null} */
    let pendingNode = null;
    let pendingDepth = 0;
    /**
     * Layout reads, made after the walk (reads batched, not interleaved with the walk's other DOM calls), in
     * the order the walk met them: `POS_ELEMENT` (the entry's own box), `POS_TEXT` (the box of the text's
     * parent, unless an earlier element was below the viewport), or the position already measured (iframes,
     * whose entry depends on it). Nothing in the walk changes the DOM, so the boxes are the same either way.
     * @type {(WBCEntry | null)[]}
     */
    const posEntries = [];
    /** @type {(Element | null)[]} */
    const posEls = [];
    /** @type {number[]} */
    const posKinds = [];

    /**
     * @param {Element} el
     * @returns {WBCPos}
     */
    const measure = (el) => {
      const r = el.getBoundingClientRect();
      const w = r.width;
      const h = r.height;
      if (w === 0 || h === 0) return 5;
      // A DOMRect from getBoundingClientRect never has a negative size: top = y, bottom = y + height, ….
      const y = r.y;
      if (y + h <= 0) return 1;
      if (y >= vh) return 2;
      const x = r.x;
      if (x + w <= 0) return 3;
      if (x >= vw) return 4;
      return 0;
    };

    /**
     * @param {WBCEntry | null} entry  null: a zero-size iframe (not printed; its position still counts)
     * @param {Element | null} el
     * @param {number} kind  POS_ELEMENT, POS_TEXT, or a position already measured (0–5)
     */
    const wantPos = (entry, el, kind) => {
      posEntries.push(entry);
      posEls.push(el);
      posKinds.push(kind);
    };

    const flush = () => {
      if (pendingNode === null) return;
      const node = pendingNode;
      const raw = pending.length === 1 ? pending[0] : pending.join("");
      pending.length = 0;
      pendingNode = null;
      const text = names.normalize(EDGE.test(raw) ? raw.replace(EDGES, "") : raw, TEXT_MAX);
      if (!text) return;
      const entry = /** @type {WBCEntry} */ ({ t: 1, d: pendingDepth, key: refs.keyOf(node), role: "text", name: text, ref: "", states: "", value: null, pos: 0, el: null });
      entries.push(entry);
      wantPos(entry, node.parentElement, POS_TEXT);
    };

    /**
     * @param {Element} el
     * @param {string} tag  its local name
     * @param {number} depth
     * @param {boolean} vis  whether the parent is visible (text in it is printed)
     * @param {boolean} quiet  text here is part of an ancestor's name: not printed again
     */
    const children = (el, tag, depth, vis, quiet) => {
      if (tag === "slot") {
        const assigned = /** @type {HTMLSlotElement} */ (el).assignedNodes();
        if (assigned.length) {
          for (const n of assigned) visit(n, depth, vis, quiet);
          return;
        }
      }
      const sr = shadowOf(el, tag);
      if (sr) shadowRoots.push(sr);
      // Only text inside, and none of it printed here: nothing to visit (most links and buttons).
      else if ((quiet || !vis) && el.firstElementChild === null) return;
      for (let c = (sr ?? el).firstChild; c; c = c.nextSibling) visit(c, depth, vis, quiet);
    };

    /**
     * @param {Node} node
     * @param {number} depth
     * @param {boolean} vis
     * @param {boolean} quiet
     */
    const visit = (node, depth, vis, quiet) => {
      const type = node.nodeType;
      if (type === 3) {
        if (!vis || quiet) return;
        const data = /** @type {Text} */ (node).data;
        if (pendingNode === null) {
          if (!NOT_BLANK.test(data)) return;
          pendingNode = node;
          pendingDepth = depth;
        }
        pending.push(data);
        return;
      }
      if (type !== 1) return;
      visited++;
      const el = /** @type {HTMLElement} */ (node);
      const tag = el.localName;
      if (SKIP.has(tag)) return;
      let shown = el.checkVisibility(VIS_PROPERTY);
      let transparent = false;
      if (!shown) {
        if (!el.checkVisibility()) {
          // No box: not rendered, unless display: contents (its children are).
          if (getComputedStyle(el).display !== "contents") return;
          transparent = true;
          shown = vis;
        }
      }
      if (depth > MAX_DEPTH) return;
      if (tag === "iframe" || tag === "frame") {
        if (!shown) return;
        flush();
        const pos = measure(el);
        if (pos === 5) {
          wantPos(null, null, pos);
          return;
        }
        /** @type {WBCEntry} */
        const entry = {
          t: 2, d: depth, key: refs.keyOf(el), role: "iframe", name: names.normalize(el.getAttribute("title") || ""),
          ref: refs.refFor(el), states: "", value: null, pos, el, token: ns.frames.tokenFor(/** @type {HTMLIFrameElement} */ (el)),
        };
        entries.push(entry);
        wantPos(entry, null, pos);
        return;
      }
      if (tag === "br") {
        if (pendingNode !== null) pending.push(" ");
        return;
      }
      const block = BLOCK.has(tag);
      if (block && !quiet) flush();
      else if ((tag === "td" || tag === "th") && pendingNode !== null && !quiet) pending.push(" | ");

      const attrs = names.attrMask(el);
      let role = attrs & ATTR.ROLE ? roles.roleOf(el, tag) : roles.implicitRole(el, tag);
      let acts = role !== null && INTERACTIVE.has(role);
      if (!acts && attrs !== 0) {
        if (attrs & ATTR.CONTENTEDITABLE && el.isContentEditable && !el.parentElement?.isContentEditable) {
          role = "textbox";
          acts = true;
        } else if ((role === null || role === "generic") && (attrs & ATTR.ONCLICK || (attrs & ATTR.TABINDEX && el.tabIndex >= 0))) {
          role = "generic";
          acts = true;
        }
      }
      if (!acts && tag === "label" && shown && !transparent) {
        // A label standing in for a control that is not rendered or has no size (custom checkboxes and
        // toggles): the label is what a user clicks, so it gets the control's role, name and states.
        const control = /** @type {HTMLLabelElement} */ (el).control;
        if (control && (!control.checkVisibility() || control.getBoundingClientRect().width * control.getBoundingClientRect().height === 0)) {
          const cr = roles.roleOf(control);
          if (cr && INTERACTIVE.has(cr)) {
            flush();
            const entry = /** @type {WBCEntry} */ ({
              t: 0, d: depth, key: refs.keyOf(el), role: cr, name: names.nameOf(control, cr), ref: refs.refFor(el),
              states: statesOf(control, cr, control.localName, active), value: valueOf(control, cr, control.localName), pos: 0, el,
            });
            entries.push(entry);
            wantPos(entry, el, POS_ELEMENT);
            children(el, tag, depth + 1, true, true);
            flush();
            return;
          }
        }
      }
      if (acts && shown && !transparent) {
        flush();
        const r = /** @type {string} */ (role);
        const name = r === "generic"
          ? names.normalize((attrs & ATTR.LABEL ? el.getAttribute("aria-label") : null) || (attrs & ATTR.TITLE ? el.getAttribute("title") : null) || "")
          : names.nameOf(el, r, tag, attrs);
        const value = valueOf(el, r, tag, attrs);
        const entry = /** @type {WBCEntry} */ ({ t: 0, d: depth, key: refs.keyOf(el), role: r, name, ref: refs.refFor(el), states: statesOf(el, r, tag, active, attrs), value, pos: 0, el });
        entries.push(entry);
        wantPos(entry, el, POS_ELEMENT);
        if (tag === "select") {
          const list = optionsOf(/** @type {HTMLSelectElement} */ (el));
          if (list) entries.push({ t: 1, d: depth + 1, key: -refs.keyOf(el), role: "text", name: `options: ${list}`, ref: "", states: "", value: null, pos: 0, el: null });
        }
        if (!LEAF.has(tag)) children(el, tag, depth + 1, true, quiet || NFC.has(r) || r === "textbox");
        flush();
        return;
      }
      if (LEAF.has(tag) && tag !== "svg") return;
      if (role === "heading" && shown && !transparent) {
        flush();
        const level = (attrs & ATTR.LEVEL ? Number(el.getAttribute("aria-level")) : 0) || Number(tag[1]) || 2;
        const entry = /** @type {WBCEntry} */ ({ t: 3, d: depth, key: refs.keyOf(el), role: `h${Math.min(Math.max(level, 1), 6)}`, name: names.nameOf(el, "heading", tag, attrs), ref: refs.refFor(el), states: "", value: null, pos: 0, el });
        entries.push(entry);
        wantPos(entry, el, POS_ELEMENT);
        children(el, tag, depth + 1, true, true);
        flush();
        // a heading with nothing inside it to act on keeps no children: drop nothing
        return;
      }
      if (role !== null && CONTAINER.has(role) && !transparent && (shown || vis)) {
        flush();
        const at = entries.length;
        const name = role === "group" || role === "form" || role === "region" || role === "dialog" || role === "alertdialog" || role === "table" || role === "figure" || role === "navigation" || role === "tabpanel"
          ? names.nameOf(el, role, tag, attrs)
          : names.normalize((attrs & ATTR.LABEL ? el.getAttribute("aria-label") : null) || "");
        const entry = /** @type {WBCEntry} */ ({ t: 3, d: depth, key: refs.keyOf(el), role, name, ref: refs.refFor(el), states: role === "dialog" && el.hasAttribute("open") && tag === "dialog" && el.matches(":modal") ? " modal" : "", value: null, pos: 0, el });
        entries.push(entry);
        children(el, tag, depth + 1, shown, quiet);
        flush();
        if (entries.length === at + 1) entries.pop();
        else wantPos(entry, el, POS_ELEMENT);
        return;
      }
      if (tag === "svg") return;
      // Text that already is a printed element's name: a label of a control, a fieldset's legend, a
      // table's caption, a figure's caption. Controls inside them are still printed.
      const named = tag === "label" ? /** @type {HTMLLabelElement} */ (el).control !== null : tag === "legend" || tag === "caption" || tag === "figcaption";
      children(el, tag, depth, transparent ? vis : shown, quiet || named);
      if (block && !quiet) flush();
    };

    if (opts.includeRoot && root.nodeType === 1) {
      visit(root, 0, true, false);
    } else {
      const start = root.nodeType === 9 ? /** @type {Document} */ (root).body ?? /** @type {Document} */ (root).documentElement : root;
      if (start) {
        if (root.nodeType === 9) visit(start, 0, true, false);
        else children(/** @type {Element} */ (start), /** @type {Element} */ (start).localName, 0, true, false);
      }
    }
    flush();

    // Where each entry is, in the order the walk met them. After an element below the viewport, text
    // further down the document is below it too (document order), which saves a layout query per text block
    // on long pages.
    /** @type {WBCPos} where the last element measured was */
    let lastPos = 0;
    for (let i = 0; i < posEntries.length; i++) {
      const kind = posKinds[i];
      const el = posEls[i];
      if (kind === POS_TEXT) {
        /** @type {WBCPos} */
        let p = 0;
        if (lastPos === 2) p = 2;
        else if (el) {
          p = measure(el);
          if (p !== 5) lastPos = p;
        }
        /** @type {WBCEntry} */ (posEntries[i]).pos = p === 5 ? 0 : p;
        continue;
      }
      const p = kind === POS_ELEMENT ? measure(/** @type {Element} */ (el)) : /** @type {WBCPos} */ (kind);
      if (p !== 5) lastPos = p;
      const entry = posEntries[i];
      if (entry) entry.pos = p;
    }
    return { entries, visited, shadowRoots };
  }

  ns.walk = { walk, statesOf, valueOf, deepActiveElement };
})();
