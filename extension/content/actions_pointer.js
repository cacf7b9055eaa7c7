/**
 * Actions, part 3 — the pointer: mouse and pointer events as a user's mouse produces them (enter/leave,
 * press, release, click, context menu), the focus a press gives, and two questions the `auto` input rule
 * asks (docs/PROTOCOL.md §5.2, background/auto_input.js):
 *
 * - `clickActivation(el)`: does a click on `el` have a default action that synthetic events trigger too
 *   (a link with `href`, a download, a form submit/reset button, a label, a summary, a form control or an
 *   editable element)? Then the DOM path already did what the browser does, and "no visible effect" never
 *   means "needs trusted input".
 * - `hoverReveals(el)`: would a real pointer over `el` change the page through CSS `:hover` beyond restyling
 *   `el` itself? True when a `:hover` rule that matches `el` or an ancestor styles another element or a
 *   pseudo-element (`li:hover > ul`, `.menu:hover .sub`, `.tip:hover::after`). Synthetic events never set
 *   `:hover`, so such a hover needs trusted input; `a:hover { color }` does not (nothing the page model shows
 *   changes). Style sheets the frame cannot read (cross-origin without CORS) are not looked at.
 *
 * Adds to `ns.actions`: `mouse`, `enter`, `press`, `clickActivation`, `hoverReveals`.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("actions_pointer")) return;
  ns.loaded.add("actions_pointer");
  /** @type {Record<string, any>} the actions' shared helpers (one object per frame, filled by each actions_*.js) */
  const A = (ns.actions ??= {});

  /** @type {WeakRef<Element> | null} the element the last hover went to (it gets the leave events) */
  let hovered = null;
  /** Elements whose click does something by itself, for synthetic clicks as for real ones. */
  const ACTIVATES = "a[href], area[href], button, input, select, textarea, option, label, summary, [contenteditable]:not([contenteditable=false])";

  /**
   * @param {Element} el
   * @param {string} type
   * @param {number} x
   * @param {number} y
   * @param {{button?: number, buttons?: number, detail?: number, pointer?: boolean, bubbles?: boolean}} [o]
   * @returns {boolean}  false when a listener called preventDefault
   */
  function mouse(el, type, x, y, o = {}) {
    const init = {
      bubbles: o.bubbles ?? true, cancelable: true, composed: true, view: window, clientX: x, clientY: y,
      screenX: x + window.screenX, screenY: y + window.screenY, button: o.button ?? 0, buttons: o.buttons ?? 0, detail: o.detail ?? 0,
    };
    const ev = o.pointer
      ? new PointerEvent(type, { ...init, pointerId: 1, pointerType: "mouse", isPrimary: true, width: 1, height: 1, pressure: o.buttons ? 0.5 : 0 })
      : new MouseEvent(type, init);
    return A.dispatch(el, ev);
  }

  /**
   * Move the pointer onto `el` (leave events for the element hovered before).
   * @param {Element} el
   * @param {number} x
   * @param {number} y
   */
  function enter(el, x, y) {
    const prev = hovered?.deref();
    if (prev && prev !== el && prev.isConnected) {
      mouse(prev, "pointerout", x, y, { pointer: true });
      mouse(prev, "pointerleave", x, y, { pointer: true, bubbles: false });
      mouse(prev, "mouseout", x, y);
      mouse(prev, "mouseleave", x, y, { bubbles: false });
    }
    if (prev !== el) {
      mouse(el, "pointerover", x, y, { pointer: true });
      mouse(el, "pointerenter", x, y, { pointer: true, bubbles: false });
      mouse(el, "mouseover", x, y);
      mouse(el, "mouseenter", x, y, { bubbles: false });
    }
    mouse(el, "pointermove", x, y, { pointer: true });
    mouse(el, "mousemove", x, y);
    hovered = new WeakRef(el);
  }

  /**
   * The element focus goes to when `el` is pressed: `el` or its nearest focusable ancestor.
   * @param {Element} el
   * @returns {HTMLElement | null}
   */
  function focusTarget(el) {
    for (let e = /** @type {Element | null} */ (el); e; e = e.parentElement) {
      const h = /** @type {HTMLElement} */ (e);
      if (h.tabIndex >= 0 || h.isContentEditable || h.hasAttribute("tabindex")) return h;
    }
    return null;
  }

  /**
   * One press and release of `button` (0 left, 2 right), with the click that follows.
   * @param {Element} el
   * @param {number} x
   * @param {number} y
   * @param {number} button
   * @param {number} detail
   */
  function press(el, x, y, button, detail) {
    const buttons = button === 2 ? 2 : 1;
    mouse(el, "pointerdown", x, y, { pointer: true, button, buttons });
    const down = mouse(el, "mousedown", x, y, { button, buttons, detail });
    if (down) {
      const f = focusTarget(el);
      if (f && f !== document.activeElement) {
        f.focus({ preventScroll: true });
        A.noteSelfFocus();
      }
    }
    mouse(el, "pointerup", x, y, { pointer: true, button });
    mouse(el, "mouseup", x, y, { button, detail });
    if (button === 0) mouse(el, "click", x, y, { button, detail });
    else mouse(el, "contextmenu", x, y, { button, buttons: 0, detail });
  }

  /**
   * @param {Element} el
   * @returns {boolean}  a click on `el` has a default action of its own (see the file comment)
   */
  function clickActivation(el) {
    const a = el.closest(ACTIVATES);
    if (!a) return false;
    // A plain button does nothing by itself; a submit/reset button of a form submits or resets it.
    if (a.localName === "button") {
      const b = /** @type {HTMLButtonElement} */ (a);
      return b.form !== null && b.type !== "button";
    }
    return true;
  }

  /** Rules looked at per hover, at most (a page with huge style sheets answers "no" beyond this). */
  const MAX_RULES = 20_000;

  /**
   * Split a selector list at its top-level commas.
   * @param {string} list
   * @returns {string[]}
   */
  function splitSelectors(list) {
    /** @type {string[]} */
    const out = [];
    let depth = 0;
    let start = 0;
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      if (c === "(" || c === "[") depth++;
      else if (c === ")" || c === "]") depth--;
      else if (c === "," && depth === 0) {
        out.push(list.slice(start, i));
        start = i + 1;
      }
    }
    out.push(list.slice(start));
    return out.map((s) => s.trim()).filter(Boolean);
  }

  /**
   * For one complex selector with `:hover`: the part that must match the hovered element or an ancestor
   * (its compounds up to the last `:hover`, without `:hover`), when the rule styles something other than
   * that element itself (a combinator or a pseudo-element follows); else null.
   * @param {string} sel
   * @returns {string | null}
   */
  function revealingPrefix(sel) {
    const i = sel.lastIndexOf(":hover");
    if (i < 0) return null;
    const rest = sel.slice(i + 6);
    let depth = 0;
    let end = -1;
    for (let j = 0; j < rest.length; j++) {
      const c = rest[j];
      if (c === "(" || c === "[") depth++;
      else if (c === ")" || c === "]") depth--;
      else if (depth === 0 && (c === " " || c === ">" || c === "+" || c === "~" || (c === ":" && rest[j + 1] === ":"))) {
        end = j;
        break;
      }
    }
    if (end < 0) return null;
    const prefix = (sel.slice(0, i) + rest.slice(0, end)).replaceAll(":hover", "").trim();
    return prefix === "" || /[\s>+~]$/.test(prefix) ? `${prefix}*` : prefix;
  }

  /**
   * @param {Element} el
   * @returns {boolean}  see the file comment
   */
  function hoverReveals(el) {
    const root = el.getRootNode();
    /** @type {CSSStyleSheet[]} */
    const sheets = [...document.styleSheets, ...document.adoptedStyleSheets];
    if (root instanceof ShadowRoot) sheets.push(...root.styleSheets, ...root.adoptedStyleSheets);
    let budget = MAX_RULES;
    /** @param {CSSRuleList} rules @returns {boolean} */
    const scan = (rules) => {
      for (const rule of rules) {
        if (--budget < 0) return false;
        if (rule instanceof CSSStyleRule) {
          if (!rule.selectorText.includes(":hover")) continue;
          for (const sel of splitSelectors(rule.selectorText)) {
            const prefix = revealingPrefix(sel);
            if (prefix === null) continue;
            try {
              if (el.closest(prefix)) return true;
            } catch {
              // a selector this engine parses only in style sheets (or a nested-rule `&`): not ours to judge
            }
          }
        } else if ("cssRules" in rule && scan(/** @type {CSSGroupingRule} */ (rule).cssRules)) {
          return true;
        }
      }
      return false;
    };
    for (const sheet of sheets) {
      /** @type {CSSRuleList} */
      let rules;
      try {
        rules = sheet.cssRules;
      } catch {
        continue; // cross-origin style sheet without CORS: unreadable
      }
      if (scan(rules)) return true;
    }
    return false;
  }

  Object.assign(A, { mouse, enter, press, clickActivation, hoverReveals });
})();
