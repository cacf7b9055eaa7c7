/**
 * ARIA roles of elements (explicit `role`, else the implicit role of HTML-AAM), as Chromium's accessibility
 * tree and Playwright's `getAriaRole` compute them, reduced to what the snapshot needs; and the role sets
 * that decide what the snapshot prints.
 *
 * Pure functions of an element's tag, attributes and a few properties, so they can be tested in Node with
 * plain objects (tests/js/content_roles.test.js).
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("roles")) return;
  ns.loaded.add("roles");

  /** Roles a user acts on: these always get a ref. */
  const INTERACTIVE = new Set([
    "button", "checkbox", "combobox", "link", "listbox", "menuitem", "menuitemcheckbox", "menuitemradio",
    "option", "radio", "searchbox", "slider", "spinbutton", "switch", "tab", "textbox", "treeitem",
    "gridcell", "scrollbar",
  ]);
  /** Landmarks and other structure printed as containers (dropped when nothing inside them is printed). */
  const CONTAINER = new Set([
    "banner", "navigation", "main", "complementary", "contentinfo", "search", "form", "region",
    "dialog", "alertdialog", "group", "table", "grid", "treegrid", "tablist", "tabpanel", "menu", "menubar",
    "radiogroup", "tree", "toolbar", "article", "figure",
  ]);
  /** Containers that are landmarks: always part of the page outline. */
  const LANDMARK = new Set(["banner", "navigation", "main", "complementary", "contentinfo", "search", "form", "region", "dialog", "alertdialog"]);
  /** Roles whose accessible name comes from their content (ARIA "name from: contents"). */
  const NAME_FROM_CONTENT = new Set([
    "button", "cell", "checkbox", "columnheader", "gridcell", "heading", "link", "menuitem", "menuitemcheckbox",
    "menuitemradio", "option", "radio", "row", "rowheader", "switch", "tab", "tooltip", "treeitem",
  ]);
  const VALID = new Set([
    "alert", "alertdialog", "application", "article", "banner", "blockquote", "button", "caption", "cell",
    "checkbox", "code", "columnheader", "combobox", "complementary", "contentinfo", "definition", "deletion",
    "dialog", "directory", "document", "emphasis", "feed", "figure", "form", "generic", "grid", "gridcell",
    "group", "heading", "img", "insertion", "link", "list", "listbox", "listitem", "log", "main", "mark",
    "marquee", "math", "meter", "menu", "menubar", "menuitem", "menuitemcheckbox", "menuitemradio",
    "navigation", "none", "note", "option", "paragraph", "presentation", "progressbar", "radio", "radiogroup",
    "region", "row", "rowgroup", "rowheader", "scrollbar", "search", "searchbox", "separator", "slider",
    "spinbutton", "status", "strong", "subscript", "superscript", "switch", "tab", "table", "tablist",
    "tabpanel", "term", "textbox", "time", "timer", "toolbar", "tooltip", "tree", "treegrid", "treeitem",
  ]);
  const INPUT_ROLE = /** @type {Record<string, string>} */ ({
    button: "button", image: "button", reset: "button", submit: "button", file: "button",
    checkbox: "checkbox", radio: "radio", range: "slider", number: "spinbutton",
  });
  const LANDMARK_BLOCKERS = "article:not([role]), aside:not([role]), main:not([role]), nav:not([role]), section:not([role]), [role=article], [role=complementary], [role=main], [role=navigation], [role=region]";

  /**
   * @param {Element} el
   * @returns {boolean}
   */
  function hasExplicitName(el) {
    return el.hasAttribute("aria-label") || el.hasAttribute("aria-labelledby");
  }

  /**
   * The implicit (HTML-AAM) role, or null for elements with none (generic).
   * @param {Element} el
   * @param {string} tag  lower-case local name
   * @returns {string | null}
   */
  function implicitRole(el, tag) {
    switch (tag) {
      case "a":
      case "area":
        return el.hasAttribute("href") ? "link" : null;
      case "button":
        return "button";
      case "input": {
        const type = (/** @type {HTMLInputElement} */ (el).type || "text").toLowerCase();
        if (type === "hidden") return null;
        if (type === "text" || type === "search" || type === "email" || type === "tel" || type === "url" || type === "") {
          const list = el.getAttribute("list");
          if (list && el.ownerDocument?.getElementById(list)?.localName === "datalist") return "combobox";
          return type === "search" ? "searchbox" : "textbox";
        }
        return INPUT_ROLE[type] ?? "textbox";
      }
      case "textarea":
        return "textbox";
      case "select": {
        const s = /** @type {HTMLSelectElement} */ (el);
        return s.multiple || s.size > 1 ? "listbox" : "combobox";
      }
      case "option":
        return "option";
      case "h1":
      case "h2":
      case "h3":
      case "h4":
      case "h5":
      case "h6":
        return "heading";
      case "nav":
        return "navigation";
      case "main":
        return "main";
      case "aside":
        return "complementary";
      case "header":
        return el.closest(LANDMARK_BLOCKERS) ? null : "banner";
      case "footer":
        return el.closest(LANDMARK_BLOCKERS) ? null : "contentinfo";
      case "search":
        return "search";
      case "form":
        return hasExplicitName(el) ? "form" : null;
      case "section":
        return hasExplicitName(el) ? "region" : null;
      case "dialog":
        return "dialog";
      case "fieldset":
      case "details":
      case "optgroup":
        return "group";
      case "summary":
        return "button";
      case "table":
        return "table";
      case "ul":
      case "ol":
      case "menu":
        return "list";
      case "li":
        return "listitem";
      case "img":
        return el.getAttribute("alt") === "" && !el.getAttribute("title") ? "presentation" : "img";
      case "svg":
        return "img";
      case "article":
        return "article";
      case "figure":
        return "figure";
      case "iframe":
      case "frame":
        return "iframe";
      case "hr":
        return "separator";
      case "progress":
        return "progressbar";
      case "meter":
        return "meter";
      case "output":
        return "status";
      case "p":
        return "paragraph";
      default:
        return null;
    }
  }

  /**
   * The role of an element: the first valid token of `role`, else the implicit role. `none`/`presentation`
   * on a focusable element falls back to the implicit role (ARIA's presentational-conflict rule).
   * @param {Element} el
   * @param {string} [tag]  lower-case local name, when the caller has it
   * @returns {string | null}
   */
  function roleOf(el, tag = el.localName) {
    const attr = el.getAttribute("role");
    if (attr) {
      for (const token of attr.toLowerCase().split(/\s+/)) {
        if (!VALID.has(token)) continue;
        if ((token === "none" || token === "presentation") && (el.hasAttribute("tabindex") || isNativelyFocusable(el, tag))) {
          return implicitRole(el, tag);
        }
        return token;
      }
    }
    return implicitRole(el, tag);
  }

  /**
   * @param {Element} el
   * @param {string} tag
   * @returns {boolean}
   */
  function isNativelyFocusable(el, tag) {
    if (tag === "button" || tag === "select" || tag === "textarea" || tag === "details") return true;
    if (tag === "a" || tag === "area") return el.hasAttribute("href");
    return tag === "input";
  }

  ns.roles = { roleOf, implicitRole, INTERACTIVE, CONTAINER, LANDMARK, NAME_FROM_CONTENT };
})();
