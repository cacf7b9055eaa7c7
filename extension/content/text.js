/**
 * Readable text of a document, as markdown (`page.text`) or plain (what `wait.text` matches against).
 *
 * What a reader sees, in document order: text of rendered elements (display:none, visibility:hidden, closed
 * <details> and the like are left out, via `checkVisibility`), headings as `#`, links as `[text](url)`
 * (absolute URLs; `javascript:` links keep only their text), list items as `- ` / `1. `, table rows as
 * `| a | b |`, `<pre>` as fenced code, button labels and image alt text. Open shadow roots are read where
 * they render (slots resolved); closed ones cannot be. Form field values are never read (passwords).
 * Iframes are separate documents: each rendered iframe is printed as a marker `\u0001<token>\u0001` (its
 * frame token, content/frames.js) where it sits, and the background puts that frame's own text there
 * (background/text_stitch.js). The character \u0001 is removed from the page's own text.
 *
 * Op `text` `{max_chars}` → `{markdown, truncated, url, title, token}` (`token`: the one this document's
 * parent gave it, or null).
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("text")) return;
  ns.loaded.add("text");

  const SKIP = new Set([
    "script", "style", "noscript", "template", "head", "meta", "link", "object", "embed",
    "canvas", "svg", "math", "audio", "video", "input", "textarea", "select", "datalist", "option",
  ]);
  const BLOCK = new Set([
    "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup", "html", "legend", "main",
    "nav", "ol", "p", "section", "summary", "ul", "caption",
  ]);
  const HEADING = /^h([1-6])$/;
  const STOP = Symbol("stop");

  /**
   * @typedef {{markdown: boolean, max: number}} Options
   * @typedef {{kind: "para" | "line", text: string}} Block
   */

  /**
   * Render `root` (a document, element or shadow root).
   * @param {Node} root
   * @param {Options} opts
   * @returns {{text: string, truncated: boolean}}
   */
  function render(root, opts) {
    /** @type {Block[]} */
    const blocks = [];
    let cur = "";
    /** @type {"para" | "line"} */
    let curKind = "para";
    let size = 0;
    let truncated = false;
    /** @type {number[]} list nesting: -1 for ul, else the next number of an ol */
    const lists = [];

    const flush = () => {
      const t = cur.replace(/[ \t]+/g, " ").replace(/ *\n */g, "\n").trim();
      if (t) {
        blocks.push({ kind: curKind, text: t });
        size += t.length + 2;
        if (size > opts.max) {
          truncated = true;
          throw STOP;
        }
      }
      cur = "";
      curKind = "para";
    };
    /** @param {string} s */
    const inline = (s) => {
      cur += s;
      if (size + cur.length > opts.max) {
        truncated = true;
        throw STOP;
      }
    };

    /**
     * Inline text of a subtree (link text, table cells), blocks flattened to spaces.
     * @param {Node} node
     * @returns {string}
     */
    const inlineOf = (node) => {
      const saved = cur;
      const savedKind = curKind;
      const savedBlocks = blocks.length;
      cur = "";
      children(node, true);
      const text = [cur, ...blocks.splice(savedBlocks).map((b) => b.text)].join(" ").replace(/\s+/g, " ").trim();
      cur = saved;
      curKind = savedKind;
      return text;
    };

    /**
     * @param {Node} node
     * @param {boolean} flat  inside inline context: blocks become spaces
     */
    const children = (node, flat) => {
      const el = /** @type {Element} */ (node);
      if (el.nodeType === Node.ELEMENT_NODE && el.localName === "slot") {
        const assigned = /** @type {HTMLSlotElement} */ (el).assignedNodes({ flatten: true });
        if (assigned.length) {
          for (const n of assigned) visit(n, flat);
          return;
        }
      }
      const from = el.nodeType === Node.ELEMENT_NODE && el.shadowRoot ? el.shadowRoot : node;
      for (let c = from.firstChild; c; c = c.nextSibling) visit(c, flat);
    };

    /**
     * @param {Node} node
     * @param {boolean} flat
     */
    const visit = (node, flat) => {
      if (node.nodeType === Node.TEXT_NODE) {
        const parent = node.parentElement;
        const pre = parent?.closest("pre, textarea");
        const raw = (node.nodeValue ?? "").replace(/\u0001/g, "");
        inline(pre ? raw : raw.replace(/\s+/g, " "));
        return;
      }
      if (node.nodeType !== Node.ELEMENT_NODE) {
        if (node.nodeType === Node.DOCUMENT_NODE || node.nodeType === Node.DOCUMENT_FRAGMENT_NODE) children(node, flat);
        return;
      }
      const el = /** @type {HTMLElement} */ (node);
      const tag = el.localName;
      if (SKIP.has(tag) && !(tag === "input" && /^(submit|button|reset)$/i.test(el.getAttribute("type") ?? ""))) return;
      // `display: contents` (slots, wrapper elements) has no box of its own, yet its children render.
      if (el.checkVisibility && !el.checkVisibility({ visibilityProperty: true }) && getComputedStyle(el).display !== "contents") return;
      if (tag === "input") {
        inline(` ${/** @type {HTMLInputElement} */ (el).value} `);
        return;
      }
      if (tag === "iframe" || tag === "frame") {
        const marker = `\u0001${ns.frames.tokenFor(/** @type {HTMLIFrameElement} */ (el))}\u0001`;
        if (flat) inline(` ${marker} `);
        else {
          flush();
          blocks.push({ kind: "para", text: marker });
        }
        return;
      }
      if (tag === "a") {
        link(el);
        return;
      }
      if (flat) {
        if (tag === "br") inline(" ");
        else if (tag === "img") inline(` ${el.getAttribute("alt") ?? ""} `);
        else {
          if (BLOCK.has(tag) || tag === "li" || tag === "tr" || HEADING.test(tag)) inline(" ");
          children(el, true);
          inline(" ");
        }
        return;
      }
      const h = HEADING.exec(tag);
      if (h) {
        flush();
        cur = opts.markdown ? `${"#".repeat(Number(h[1]))} ` : "";
        cur += inlineOf(el);
        flush();
        return;
      }
      switch (tag) {
        case "br":
          inline("\n");
          return;
        case "hr":
          flush();
          if (opts.markdown) blocks.push({ kind: "para", text: "---" });
          return;
        case "img":
          inline(el.getAttribute("alt") ?? "");
          return;
        case "pre": {
          flush();
          const body = (el.innerText ?? el.textContent ?? "").replace(/\u0001/g, "").replace(/\n+$/, "");
          cur = opts.markdown ? `\`\`\`\n${body}\n\`\`\`` : body;
          flush();
          return;
        }
        case "ul":
        case "ol":
          flush();
          lists.push(tag === "ol" ? Number(el.getAttribute("start") ?? 1) : -1);
          children(el, false);
          flush();
          lists.pop();
          return;
        case "li": {
          flush();
          const depth = Math.max(0, lists.length - 1);
          const top = lists.length - 1;
          let bullet = "- ";
          if (top >= 0 && lists[top] >= 0) bullet = `${lists[top]++}. `;
          cur = opts.markdown ? "  ".repeat(depth) + bullet : "";
          curKind = "line";
          children(el, false);
          if (cur.trim()) {
            curKind = "line";
            flush();
          }
          cur = "";
          return;
        }
        case "table":
          flush();
          table(/** @type {HTMLTableElement} */ (el));
          return;
        default:
          if (BLOCK.has(tag)) {
            const kind = curKind;
            flush();
            children(el, false);
            if (kind === "line" && !cur.trim()) return;
            flush();
          } else {
            children(el, false);
          }
      }
    };

    /**
     * A link as `[text](absolute URL)`; links without a usable URL (`javascript:`, none) keep their text.
     * @param {HTMLElement} el
     */
    const link = (el) => {
      const text = inlineOf(el) || el.getAttribute("aria-label") || el.getAttribute("title") || "";
      const href = /** @type {HTMLAnchorElement} */ (el).href;
      if (opts.markdown && typeof href === "string" && /^(https?|mailto):/i.test(href) && text) {
        inline(`[${text.replace(/([\[\]])/g, "\\$1")}](${/[\s()<>]/.test(href) ? `<${encodeURI(href)}>` : href})`);
      } else inline(text);
    };

    /** @param {HTMLTableElement} t */
    const table = (t) => {
      let first = true;
      for (const row of Array.from(t.rows)) {
        if (row.checkVisibility && !row.checkVisibility({ visibilityProperty: true })) continue;
        const cells = Array.from(row.cells).map((c) => inlineOf(c).replace(/\|/g, "\\|"));
        if (!cells.some((c) => c)) continue;
        cur = opts.markdown ? `| ${cells.join(" | ")} |` : cells.join(" ");
        curKind = "line";
        flush();
        if (first && opts.markdown && Array.from(row.cells).every((c) => c.localName === "th")) {
          blocks.push({ kind: "line", text: `|${" --- |".repeat(cells.length)}` });
        }
        first = false;
      }
    };

    try {
      visit(root, false);
      flush();
    } catch (err) {
      if (err !== STOP) throw err;
    }
    let out = "";
    for (let i = 0; i < blocks.length; i++) {
      if (i) out += blocks[i].kind === "line" && blocks[i - 1].kind === "line" ? "\n" : "\n\n";
      out += blocks[i].text;
    }
    if (out.length > opts.max) {
      out = out.slice(0, opts.max);
      truncated = true;
    }
    return { text: out, truncated };
  }

  ns.text = { render };

  /** @param {{max_chars?: number}} args */
  ns.ops.text = (args) => {
    const max = Math.max(1, Math.min(Number(args.max_chars) || 100_000, 16_000_000));
    const { text, truncated } = render(document.body ?? document.documentElement, { markdown: true, max });
    return { markdown: text, truncated, url: location.href, title: document.title, token: ns.frames.token() };
  };
})();
