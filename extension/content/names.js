/**
 * Accessible names, following accname 1.2 / HTML-AAM as Chromium and Playwright compute them for the
 * elements the snapshot prints: `aria-labelledby`, `aria-label`, the element's own text alternative (labels,
 * `alt`, `value`, `title`, `placeholder`, `legend`, `caption`), then its content for roles named from content.
 *
 * Differences from a full implementation, chosen for speed: CSS `::before`/`::after` content is not read,
 * and `aria-owns` is not followed. Names are whitespace-normalised and cut at `NAME_MAX` characters (with …).
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("names")) return;
  ns.loaded.add("names");

  const NAME_MAX = 100;
  /** Raw characters collected before normalising; enough for NAME_MAX after whitespace collapses. */
  const RAW_MAX = 600;
  const TEXTBOX_TYPES = new Set(["text", "password", "number", "search", "tel", "email", "url"]);
  /** Whether the document has any <label> (checked once per snapshot walk): `el.labels` is costly. */
  let labelsInDocument = true;
  /** @type {HTMLCollectionOf<HTMLLabelElement> | null} live */
  let labelList = null;

  /** Called at the start of a walk. */
  function beginWalk() {
    labelList ??= document.getElementsByTagName("label");
    labelsInDocument = labelList.length > 0;
  }

  /**
   * Attribute bits (`attrMask`): which of the attributes the snapshot reads an element has. A clear bit means
   * `getAttribute(name)` would answer null (the mask compares qualified names exactly, as `getAttribute`
   * does with a lower-case name), so the walk skips that read; one `getAttributeNames()` call stands in for
   * up to a dozen `getAttribute` calls per printed element.
   */
  const ATTR = Object.freeze({
    ROLE: 1, LABELLEDBY: 2, LABEL: 4, TITLE: 8, PLACEHOLDER: 16, CONTENTEDITABLE: 32, ONCLICK: 64, TABINDEX: 128,
    STATE: 256, VALUE: 512, LEVEL: 1024, ALL: -1,
  });
  /** @type {Map<string, number>} */
  const ATTR_BITS = new Map([
    ["role", ATTR.ROLE], ["aria-labelledby", ATTR.LABELLEDBY], ["aria-label", ATTR.LABEL], ["title", ATTR.TITLE],
    ["placeholder", ATTR.PLACEHOLDER], ["contenteditable", ATTR.CONTENTEDITABLE],
    ["onclick", ATTR.ONCLICK], ["tabindex", ATTR.TABINDEX], ["aria-checked", ATTR.STATE], ["aria-expanded", ATTR.STATE],
    ["aria-pressed", ATTR.STATE], ["aria-selected", ATTR.STATE], ["aria-disabled", ATTR.STATE],
    ["aria-required", ATTR.STATE], ["aria-readonly", ATTR.STATE], ["aria-invalid", ATTR.STATE],
    ["aria-valuetext", ATTR.VALUE], ["aria-valuenow", ATTR.VALUE], ["aria-level", ATTR.LEVEL],
  ]);

  /**
   * Which of the attributes in `ATTR` an element has (bits), from one `getAttributeNames()` call.
   * @param {Element} el
   * @returns {number}
   */
  function attrMask(el) {
    if (!el.hasAttributes()) return 0;
    let m = 0;
    for (const n of el.getAttributeNames()) m |= ATTR_BITS.get(n) ?? 0;
    return m;
  }

  /** Whether `normalize` has anything to do: whitespace other than a single space between non-spaces, or a
   * character it drops. */
  const NEEDS_WORK = /[^\S ]| {2}|^ | $|[\u200b\u00ad]/;

  /**
   * Collapse whitespace, drop zero-width characters, trim; cut at `max` with an ellipsis.
   * @param {string} s
   * @param {number} [max]
   * @returns {string}
   */
  function normalize(s, max = NAME_MAX) {
    // Most names and texts are already normal (single spaces, nothing to trim or drop): one test, no copies.
    let t = NEEDS_WORK.test(s) ? s.replace(/[\u200b\u00ad]/g, "").replace(/\s+/g, " ").trim() : s;
    if (t.length > max) t = t.slice(0, max - 1).trimEnd() + "…";
    return t;
  }

  /**
   * Whether an element is left out of names (not rendered, `visibility: hidden`, `aria-hidden`).
   * @param {Element} el
   * @returns {boolean}
   */
  function hiddenForName(el) {
    if (el.getAttribute("aria-hidden") === "true") return true;
    if (el.checkVisibility({ visibilityProperty: true })) return false;
    return getComputedStyle(el).display !== "contents";
  }

  /**
   * The text an element contributes to a name computed from content.
   * @param {Element} root
   * @param {{skip?: Element | null, hiddenOk?: boolean}} [opts]  `skip`: the element being named (left out
   *   of its own label); `hiddenOk`: include hidden content (aria-labelledby targets)
   * @returns {string}  raw (not normalised)
   */
  function contentText(root, opts = {}) {
    // Most labels are one text node and nothing else (links, buttons): that text, without the general walk.
    const first = root.firstChild;
    if (first !== null && first.nodeType === 3 && first.nextSibling === null && root.localName !== "slot" && root.shadowRoot === null) {
      return /** @type {Text} */ (first).data;
    }
    /** @type {string[]} */
    const parts = [];
    let size = 0;
    /** @param {Node} parent */
    const visitChildren = (parent) => {
      const el = /** @type {Element} */ (parent);
      /** @type {Node | null} */
      let child;
      if (el.localName === "slot") {
        const assigned = /** @type {HTMLSlotElement} */ (el).assignedNodes();
        if (assigned.length) {
          for (const n of assigned) visit(n);
          return;
        }
      }
      const sr = el.shadowRoot;
      for (child = (sr ?? el).firstChild; child && size < RAW_MAX; child = child.nextSibling) visit(child);
    };
    /** @param {Node} node */
    const visit = (node) => {
      if (node.nodeType === 3) {
        const v = /** @type {Text} */ (node).data;
        parts.push(v);
        size += v.length;
        return;
      }
      if (node.nodeType !== 1) return;
      const el = /** @type {Element} */ (node);
      if (el === opts.skip) return;
      const tag = el.localName;
      if (tag === "script" || tag === "style" || tag === "noscript" || tag === "template") return;
      if (!opts.hiddenOk && hiddenForName(el)) return;
      const own = embeddedName(el, tag);
      const block = tag === "br" || getComputedStyle(el).display !== "inline";
      if (block) parts.push(" ");
      if (own !== null) {
        parts.push(own);
        size += own.length;
      } else {
        visitChildren(el);
      }
      if (block) parts.push(" ");
    };
    visitChildren(root);
    return parts.join("");
  }

  /** Roles of descendants whose content counts towards an ancestor's name (accname 1.2 as Playwright and
   * Chromium apply it); descendants with other roles (article, figure, navigation, group, img…) contribute
   * only their own text alternative. "" is an element without a role. */
  const DESCENDANT_CONTENT = new Set([
    "", "caption", "code", "contentinfo", "definition", "deletion", "emphasis", "insertion", "list", "listitem",
    "mark", "none", "paragraph", "presentation", "region", "row", "rowgroup", "section", "strong", "subscript",
    "superscript", "table", "term", "time",
  ]);

  /**
   * The first child element with a given tag, or null.
   * @param {Element} el
   * @param {string} tag
   * @returns {Element | null}
   */
  function childOf(el, tag) {
    for (let c = el.firstElementChild; c; c = c.nextElementSibling) if (c.localName === tag) return c;
    return null;
  }

  /**
   * The name a descendant contributes in place of its content, or null to use its content.
   * @param {Element} el
   * @param {string} tag
   * @returns {string | null}
   */
  function embeddedName(el, tag) {
    const lb = el.getAttribute("aria-labelledby");
    if (lb) {
      const t = idrefsText(el, lb);
      if (t.trim()) return t;
    }
    const label = el.getAttribute("aria-label");
    if (label && label.trim()) return label;
    switch (tag) {
      case "img":
      case "area":
        return el.getAttribute("alt") || el.getAttribute("title") || "";
      case "input": {
        const input = /** @type {HTMLInputElement} */ (el);
        if (input.type === "checkbox" || input.type === "radio") return "";
        return input.value || "";
      }
      case "textarea":
        return /** @type {HTMLTextAreaElement} */ (el).value;
      case "select": {
        const s = /** @type {HTMLSelectElement} */ (el);
        const o = s.selectedOptions[0] ?? s.options[0];
        return o ? o.text : "";
      }
      case "svg": {
        const t = childOf(el, "title");
        return t ? t.textContent ?? "" : el.getAttribute("title") || "";
      }
      case "figure":
      case "fieldset": {
        const c = childOf(el, tag === "figure" ? "figcaption" : "legend");
        return c ? contentText(c) : el.getAttribute("title") || "";
      }
      case "table": {
        const c = childOf(el, "caption");
        if (c) return contentText(c);
        if (el.getAttribute("summary")) return el.getAttribute("summary") ?? "";
        break;
      }
      default:
        break;
    }
    const role = ns.roles.roleOf(el, tag) ?? "";
    if ((role === "textbox" || role === "searchbox") && tag !== "input" && tag !== "textarea") return el.textContent ?? "";
    if (ns.roles.NAME_FROM_CONTENT.has(role) || DESCENDANT_CONTENT.has(role)) return null;
    return el.getAttribute("title") || "";
  }

  /**
   * Text of the elements an id list names (`aria-labelledby`), hidden ones included.
   * @param {Element} el
   * @param {string} ids
   * @returns {string}
   */
  function idrefsText(el, ids) {
    const root = /** @type {Document | ShadowRoot} */ (el.getRootNode());
    if (typeof root.getElementById !== "function") return "";
    /** @type {string[]} */
    const out = [];
    for (const id of ids.split(/\s+/)) {
      if (!id) continue;
      const target = root.getElementById(id);
      if (!target) continue;
      const label = target === el ? null : target.getAttribute("aria-label");
      out.push(label && label.trim() ? label : contentText(target, { hiddenOk: true, skip: target === el ? null : el }));
    }
    return out.join(" ");
  }

  /**
   * @param {HTMLElement & {labels?: NodeListOf<HTMLLabelElement> | null}} el
   * @returns {string}
   */
  function labelsText(el) {
    if (!labelsInDocument && el.getRootNode() === document) return "";
    const labels = el.labels;
    if (!labels || labels.length === 0) return "";
    /** @type {string[]} */
    const out = [];
    for (const l of labels) {
      const al = l.getAttribute("aria-label");
      out.push(al && al.trim() ? al : contentText(l, { skip: el }));
    }
    return normalize(out.join(" "));
  }

  /**
   * The accessible name of an element with a given role.
   * @param {Element} el
   * @param {string | null} role
   * @param {string} [tag]
   * @param {number} [attrs]  `attrMask(el)` when the caller has it (attributes whose bit is clear are not read)
   * @returns {string}  normalised, at most NAME_MAX characters
   */
  function nameOf(el, role, tag = el.localName, attrs = ATTR.ALL) {
    if (attrs & ATTR.LABELLEDBY) {
      const lb = el.getAttribute("aria-labelledby");
      if (lb) {
        const t = normalize(idrefsText(el, lb));
        if (t) return t;
      }
    }
    if (attrs & ATTR.LABEL) {
      const al = el.getAttribute("aria-label");
      if (al && al.trim()) return normalize(al);
    }
    const h = /** @type {HTMLElement} */ (el);
    switch (tag) {
      case "input": {
        const input = /** @type {HTMLInputElement} */ (el);
        const type = input.type;
        if (type === "button" || type === "submit" || type === "reset") {
          if (input.value.trim()) return normalize(input.value);
          if (type === "submit") return "Submit";
          if (type === "reset") return "Reset";
          return attrs & ATTR.TITLE ? normalize(el.getAttribute("title") || "") : "";
        }
        const fromLabels = labelsText(h);
        if (fromLabels) return fromLabels;
        if (type === "file") return "Choose File";
        if (type === "image") return normalize(el.getAttribute("alt") || el.getAttribute("title") || "Submit");
        return placeholderOrTitle(el, TEXTBOX_TYPES.has(type), attrs);
      }
      case "textarea":
      case "select":
      case "meter":
      case "progress": {
        const fromLabels = labelsText(h);
        if (fromLabels) return fromLabels;
        return placeholderOrTitle(el, tag === "textarea", attrs);
      }
      case "button": {
        const fromLabels = labelsText(h);
        if (fromLabels) return fromLabels;
        break;
      }
      case "fieldset":
      case "figure":
      case "table": {
        const want = tag === "fieldset" ? "legend" : tag === "figure" ? "figcaption" : "caption";
        for (let c = el.firstElementChild; c; c = c.nextElementSibling) {
          if (c.localName === want) return normalize(contentText(c));
        }
        if (tag === "table" && el.getAttribute("summary")) return normalize(el.getAttribute("summary") ?? "");
        return normalize(el.getAttribute("title") || "");
      }
      case "img":
      case "area":
        return normalize(el.getAttribute("alt") || el.getAttribute("title") || "");
      default:
        break;
    }
    if ((role && ns.roles.NAME_FROM_CONTENT.has(role)) || tag === "summary") {
      const t = normalize(contentText(el));
      if (t) return t;
    }
    return attrs & ATTR.TITLE ? normalize(el.getAttribute("title") || "") : "";
  }

  /**
   * @param {Element} el
   * @param {boolean} usePlaceholder
   * @param {number} attrs  `attrMask(el)` or `ATTR.ALL`
   * @returns {string}
   */
  function placeholderOrTitle(el, usePlaceholder, attrs) {
    const title = attrs & ATTR.TITLE ? el.getAttribute("title") || "" : "";
    if (!usePlaceholder || title) return normalize(title);
    return attrs & ATTR.PLACEHOLDER ? normalize(el.getAttribute("placeholder") || "") : "";
  }

  ns.names = { nameOf, contentText, normalize, beginWalk, attrMask, ATTR, NAME_MAX };
})();
