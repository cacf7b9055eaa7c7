/**
 * Actions, part 1 — where to act: resolve a ref to its live element and run the checks an action needs
 * before anything happens (content/actions.js runs them first; a failed check leaves the page untouched).
 *
 * - 6001 the ref names no live element of this document; 6003 the element is hidden, has no size, is
 *   disabled, read-only (typing) or, for pointer actions, covered at its centre (after scrolling it into view).
 *
 * Adds to `ns.actions`: `locate(ref, action)` → `{el, target, x, y}`, `describe(el)`, `isDisabled(el)`.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("actions_locate")) return;
  ns.loaded.add("actions_locate");
  /** @type {Record<string, any>} the actions' shared helpers (one object per frame, filled by each actions_*.js) */
  const A = (ns.actions ??= {});

  const POINTER = new Set(["click", "dblclick", "rightclick", "hover", "check"]);
  const NEEDS_ENABLED = new Set(["click", "dblclick", "rightclick", "type", "fill", "select", "check", "press"]);

  /**
   * @param {Element} el
   * @returns {string}  short description for error messages (never page text beyond a few words)
   */
  function describe(el) {
    let s = el.localName;
    if (el.id) s += `#${el.id.slice(0, 40)}`;
    const cls = typeof el.className === "string" ? el.className.trim().split(/\s+/).slice(0, 2).join(".") : "";
    if (cls) s += `.${cls.slice(0, 60)}`;
    return s;
  }

  /**
   * `a` is `b` or inside it, across shadow roots.
   * @param {Node} b
   * @param {Node | null} a
   * @returns {boolean}
   */
  function composedContains(b, a) {
    for (let n = a; n; n = n.parentNode ?? /** @type {ShadowRoot} */ (n).host ?? null) {
      if (n === b) return true;
    }
    return false;
  }

  /**
   * The element at a point, through open shadow roots.
   * @param {number} x
   * @param {number} y
   * @returns {Element | null}
   */
  function deepElementFromPoint(x, y) {
    let el = document.elementFromPoint(x, y);
    while (el && el.shadowRoot) {
      const inner = el.shadowRoot.elementFromPoint(x, y);
      if (!inner || inner === el) break;
      el = inner;
    }
    return el;
  }

  /**
   * @param {Element} el
   * @returns {boolean}
   */
  function isDisabled(el) {
    if ("disabled" in el && el.matches(":disabled")) return true;
    for (let e = /** @type {Element | null} */ (el); e; e = e.parentElement) {
      if (e.getAttribute("aria-disabled") === "true") return true;
    }
    return false;
  }

  /**
   * Resolve a ref and run the checks of the action; scroll into view; answer the element, what receives the
   * input (a label's control for fill/select/check) and the point.
   * @param {string} ref
   * @param {string} action
   * @returns {{el: HTMLElement, target: HTMLElement, x: number, y: number}}
   */
  function locate(ref, action) {
    const found = ns.refs.elementFor(ref);
    if (!found) throw ns.error(6001, `stale ref ${ref}: the element is gone (removed or re-rendered); take a new snapshot`);
    const el = /** @type {HTMLElement} */ (found);
    let target = el;
    if (el.localName === "label" && /** @type {HTMLLabelElement} */ (el).control && (action === "fill" || action === "select" || action === "check" || action === "type")) {
      target = /** @type {HTMLElement} */ (/** @type {HTMLLabelElement} */ (el).control);
    }
    if (!el.checkVisibility({ visibilityProperty: true })) throw ns.error(6003, `${describe(el)} is hidden`);
    if (action !== "scroll" && NEEDS_ENABLED.has(action)) {
      if (isDisabled(target)) throw ns.error(6003, `${describe(target)} is disabled`);
      if ((action === "type" || action === "fill") && /** @type {HTMLInputElement} */ (target).readOnly === true) {
        throw ns.error(6003, `${describe(target)} is read-only`);
      }
    }
    let r = el.getBoundingClientRect();
    if (action !== "scroll" && (r.width === 0 || r.height === 0)) throw ns.error(6003, `${describe(el)} has no size (hidden)`);
    if (action === "scroll") return { el, target, x: r.left + r.width / 2, y: r.top + r.height / 2 };
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    if (r.top < 0 || r.left < 0 || r.bottom > vh || r.right > vw) {
      el.scrollIntoView({ block: "center", inline: "center", behavior: "instant" });
      r = el.getBoundingClientRect();
    }
    let x = Math.min(Math.max(r.left + r.width / 2, 0), vw - 1);
    let y = Math.min(Math.max(r.top + r.height / 2, 0), vh - 1);
    if (POINTER.has(action)) {
      let hit = deepElementFromPoint(x, y);
      if (hit && hit.closest("[data-webbridge-indicator]")) {
        // Our own "agent is acting" pill is over it: move the element to the middle of the viewport. A
        // trusted click must never land on the pill (its Stop button is the user's).
        el.scrollIntoView({ block: "center", inline: "center", behavior: "instant" });
        r = el.getBoundingClientRect();
        x = Math.min(Math.max(r.left + r.width / 2, 0), vw - 1);
        y = Math.min(Math.max(r.top + r.height / 2, 0), vh - 1);
        hit = deepElementFromPoint(x, y);
      }
      const ok =
        hit !== null &&
        (composedContains(el, hit) ||
          // a shadow host around el: the point hit text slotted into el, which is retargeted to the host
          (hit.shadowRoot !== null && composedContains(hit, el)) ||
          (target !== el && composedContains(target, hit)) ||
          (hit.localName === "label" && /** @type {HTMLLabelElement} */ (hit).control === el));
      if (!ok) throw ns.error(6003, `${describe(el)} is covered by ${hit ? describe(hit) : "nothing (outside the viewport)"}`);
    }
    return { el, target, x, y };
  }

  Object.assign(A, { locate, describe, isDisabled });
})();
