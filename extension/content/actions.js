/**
 * Op `act`: one action on one element of this frame (or on the page), after checking that it is safe to.
 *
 * args: `{action, ref?, text?, values?, checked?, keys?, dx?, dy?, phase: "dom" | "locate", detect?, effect_ms?}`
 *
 * - Checks first, and nothing happens when one fails: the ref names a live element of this document (else
 *   6001); the element is rendered, visible and has a size (else 6003 hidden); it is enabled (6003
 *   disabled) and, for typing, editable (6003 read-only); for pointer actions the point at its centre, after
 *   scrolling it into view, hits the element itself or something inside it (else 6003 covered by …).
 * - `phase: "dom"` then acts with DOM events and, with `detect` (default true), reports `{effect}`: whether
 *   anything observable followed (a DOM mutation, a focus change other than our own emulated one, a
 *   value/checked change, a scroll, a navigation starting). When nothing did, it waits event-driven for the
 *   first mutation up to `effect_ms` (default 150) before saying no. Without `detect` nothing is watched.
 * - `phase: "locate"` only checks, scrolls into view, focuses (keyboard actions) and answers the point
 *   (`{point: {x, y}}`, CSS px in this frame's viewport) for trusted input from the background.
 *
 * `check` that finds the box already in the wanted state answers `{effect: false, noop: true}`.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("actions")) return;
  ns.loaded.add("actions");

  const POINTER = new Set(["click", "dblclick", "rightclick", "hover", "check"]);
  const NEEDS_ENABLED = new Set(["click", "dblclick", "rightclick", "type", "fill", "select", "check", "press"]);
  const TEXT_INPUTS = new Set(["text", "search", "email", "tel", "url", "password", ""]);
  const VALUE_INPUTS = new Set(["date", "datetime-local", "month", "week", "time", "color", "range", "number"]);

  /** @type {WeakRef<Element> | null} the element the last hover went to (it gets the leave events) */
  let hovered = null;
  /** @type {Element | null} what our own emulated mousedown focused (not an effect of the page's code) */
  let selfFocused = null;

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

  // --- DOM events ---------------------------------------------------------------------------------------

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
    return el.dispatchEvent(ev);
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
        selfFocused = ns.walk.deepActiveElement();
      }
    }
    mouse(el, "pointerup", x, y, { pointer: true, button });
    mouse(el, "mouseup", x, y, { button, detail });
    if (button === 0) mouse(el, "click", x, y, { button, detail });
    else mouse(el, "contextmenu", x, y, { button, buttons: 0, detail });
  }

  /**
   * @param {Element} target
   * @param {string} type
   * @param {any} k  a KeySpec of keys.js
   * @returns {boolean}  false when prevented
   */
  function key(target, type, k) {
    const m = k.modifiers ?? [];
    const ev = new KeyboardEvent(type, {
      key: k.key, code: k.code, keyCode: k.keyCode, which: k.keyCode, charCode: type === "keypress" ? k.text.charCodeAt(0) || 0 : 0,
      bubbles: true, cancelable: true, composed: true, view: window,
      ctrlKey: m.includes("Control"), shiftKey: m.includes("Shift"), altKey: m.includes("Alt"), metaKey: m.includes("Meta"),
    });
    return target.dispatchEvent(ev);
  }

  // --- values -------------------------------------------------------------------------------------------

  /**
   * Set a form control's value the way the page's own code would see a user's input: through the native
   * setter (so frameworks that track the value notice), then `input` and `change`.
   * @param {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} el
   * @param {string} value
   */
  function setValue(el, value) {
    const proto = Object.getPrototypeOf(el);
    const desc = Object.getOwnPropertyDescriptor(proto, "value");
    if (desc?.set) desc.set.call(el, value);
    else el.value = value;
    el.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }

  /**
   * Insert text at the caret of the focused editable element, as typing would (`beforeinput`/`input`).
   * @param {string} text
   * @returns {boolean}
   */
  function insertText(text) {
    return text === "" ? document.execCommand("delete", false) : document.execCommand("insertText", false, text);
  }

  /**
   * @param {HTMLElement} el
   * @returns {boolean}
   */
  function isTextField(el) {
    if (el.localName === "textarea") return true;
    if (el.localName === "input") return TEXT_INPUTS.has(/** @type {HTMLInputElement} */ (el).type);
    return el.isContentEditable;
  }

  /**
   * Put the caret at the end (type) or select everything (fill) in a text field or editable element.
   * @param {HTMLElement} el
   * @param {boolean} all
   */
  function placeCaret(el, all) {
    if (document.activeElement !== el && !(el.isContentEditable && el.contains(document.activeElement))) el.focus({ preventScroll: true });
    if (el.localName === "input" || el.localName === "textarea") {
      const f = /** @type {HTMLInputElement} */ (el);
      if (all) f.select();
      else {
        try {
          f.setSelectionRange(f.value.length, f.value.length);
        } catch {
          // types without a selection (email in some engines)
        }
      }
      return;
    }
    const sel = window.getSelection();
    if (!sel) return;
    const range = document.createRange();
    range.selectNodeContents(el);
    if (!all) range.collapse(false);
    sel.removeAllRanges();
    sel.addRange(range);
  }

  /**
   * Type `text` into the focused element key by key: keydown, keypress, the text inserted, keyup.
   * @param {HTMLElement} el
   * @param {string} text
   */
  function typeText(el, text) {
    for (const k of ns.keys.keysOfText(text)) {
      const target = /** @type {Element} */ (document.activeElement ?? el);
      if (!key(target, "keydown", k)) {
        key(target, "keyup", k);
        continue;
      }
      key(target, "keypress", k);
      if (k.key === "Enter" && el.localName !== "textarea" && !el.isContentEditable) {
        submitImplicitly(/** @type {HTMLElement} */ (target));
      } else if (!insertKey(el, k.key === "Enter" ? "\n" : k.text)) {
        // Not editable by execCommand (e.g. a number field): append through the value setter.
        const f = /** @type {HTMLInputElement} */ (el);
        if ("value" in f) setValue(f, f.value + k.text);
      }
      key(target, "keyup", k);
    }
  }

  /**
   * Insert one key's text at the caret of a text field as typing does (`beforeinput`, the text, `input`),
   * honouring `maxlength`. Fields without a selection API (email, number) and editable elements go through
   * the browser's editing command instead, which is slower (it runs the editing machinery per key).
   * @param {HTMLElement} el
   * @param {string} text
   * @returns {boolean}
   */
  function insertKey(el, text) {
    const f = /** @type {HTMLInputElement} */ (el);
    if ((el.localName !== "input" && el.localName !== "textarea") || f.selectionStart === null || document.activeElement !== el) {
      return insertText(text);
    }
    if (f.maxLength >= 0 && f.value.length - ((f.selectionEnd ?? 0) - f.selectionStart) >= f.maxLength) return true;
    const init = { bubbles: true, composed: true, inputType: "insertText", data: text };
    if (!f.dispatchEvent(new InputEvent("beforeinput", { ...init, cancelable: true }))) return true;
    f.setRangeText(text, f.selectionStart, f.selectionEnd ?? f.selectionStart, "end");
    f.dispatchEvent(new InputEvent("input", init));
    return true;
  }

  /**
   * Enter in a single-line field submits its form (HTML "implicit submission").
   * @param {HTMLElement} el
   */
  function submitImplicitly(el) {
    const form = /** @type {HTMLInputElement} */ (el).form;
    if (form && el.localName === "input") form.requestSubmit();
  }

  /**
   * @param {HTMLElement} el
   * @param {string} text
   */
  function fill(el, text) {
    const tag = el.localName;
    if (tag === "select") return selectValues(/** @type {HTMLSelectElement} */ (el), [text]);
    if (tag === "input") {
      const input = /** @type {HTMLInputElement} */ (el);
      const type = input.type;
      if (type === "checkbox" || type === "radio") return setChecked(el, !/^(false|off|no|0|unchecked|)$/i.test(text.trim()));
      if (type === "file") throw ns.error(6007, "file inputs are filled by uploading files, not text");
      if (VALUE_INPUTS.has(type)) {
        // Check the value on a detached input of the same type first: the browser sanitises what it does
        // not accept to "", and the page must not see that.
        const probe = document.createElement("input");
        probe.type = type;
        probe.value = text;
        if (probe.value !== text && !(type === "number" && probe.value !== "" && Number(probe.value) === Number(text))) {
          throw ns.error(6007, `${JSON.stringify(text)} is not a valid value for an input of type ${type}${type === "date" ? " (expected YYYY-MM-DD)" : ""}`);
        }
        input.focus({ preventScroll: true });
        setValue(input, text);
        if (input.value !== text && !(type === "number" && Number(input.value) === Number(text))) {
          throw ns.error(6007, `${JSON.stringify(text)} is not a valid value for an input of type ${type}${type === "date" ? " (expected YYYY-MM-DD)" : ""}`);
        }
        return;
      }
    }
    if (!isTextField(el)) throw ns.error(6007, `${describe(el)} is not a field that can be filled`);
    placeCaret(el, true);
    const ok = insertText(text);
    if (tag === "input" || tag === "textarea") {
      const f = /** @type {HTMLInputElement} */ (el);
      if (!ok || f.value !== text) setValue(f, text);
      else f.dispatchEvent(new Event("change", { bubbles: true }));
    } else if (!ok) {
      el.textContent = text;
      el.dispatchEvent(new InputEvent("input", { bubbles: true, composed: true, inputType: "insertText", data: text }));
    }
  }

  /**
   * @param {HTMLSelectElement} s
   * @param {string[]} values  option values or labels
   */
  function selectValues(s, values) {
    if (!s.multiple && values.length > 1) throw ns.error(6007, "this select takes one value");
    const opts = [...s.options];
    /** @type {HTMLOptionElement[]} */
    const picked = [];
    for (const v of values) {
      const o = opts.find((x) => x.value === v) ?? opts.find((x) => x.text.trim() === v.trim()) ?? opts.find((x) => x.label.trim() === v.trim());
      if (!o) {
        const avail = opts.slice(0, 20).map((x) => JSON.stringify(x.text.trim())).join(", ");
        throw ns.error(6007, `no option ${JSON.stringify(v)}; options: ${avail}${opts.length > 20 ? ", …" : ""}`);
      }
      if (o.disabled) throw ns.error(6003, `option ${JSON.stringify(v)} is disabled`);
      picked.push(o);
    }
    s.focus({ preventScroll: true });
    for (const o of opts) o.selected = picked.includes(o);
    s.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
    s.dispatchEvent(new Event("change", { bubbles: true }));
  }

  /**
   * The checked state of a checkbox-like element (native or ARIA), or null.
   * @param {HTMLElement} el
   * @returns {boolean | null}
   */
  function checkedOf(el) {
    if (el.localName === "input" && (/** @type {HTMLInputElement} */ (el).type === "checkbox" || /** @type {HTMLInputElement} */ (el).type === "radio")) {
      return /** @type {HTMLInputElement} */ (el).checked;
    }
    const a = el.getAttribute("aria-checked") ?? el.getAttribute("aria-pressed") ?? el.getAttribute("aria-selected");
    return a === null ? null : a === "true";
  }

  /**
   * Bring a checkbox/radio/switch to `want` by clicking it (or its label) when it is not there already.
   * @param {HTMLElement} el  the checkbox, or the label standing in for it
   * @param {boolean} want
   * @param {{x: number, y: number, target?: HTMLElement}} [at]
   * @returns {boolean}  false when it already was in that state
   */
  function setChecked(el, want, at) {
    const box = at?.target ?? el;
    const now = checkedOf(box);
    if (now === null) throw ns.error(6007, `${describe(box)} is not a checkbox, radio or switch`);
    if (now === want) return false;
    if (!want && box.localName === "input" && /** @type {HTMLInputElement} */ (box).type === "radio") {
      throw ns.error(6007, "a radio button cannot be unchecked; check another one of its group");
    }
    if (at) {
      enter(el, at.x, at.y);
      press(el, at.x, at.y, 0, 1);
    } else {
      el.click();
    }
    return true;
  }

  /**
   * The nearest element that scrolls (itself or an ancestor), else the page.
   * @param {Element} el
   * @returns {Element}
   */
  function scroller(el) {
    for (let e = /** @type {Element | null} */ (el); e; e = e.parentElement) {
      if (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1) {
        const o = getComputedStyle(e);
        if (/(auto|scroll|overlay)/.test(o.overflowY + o.overflowX)) return e;
      }
    }
    return document.scrollingElement ?? document.documentElement;
  }

  /** @returns {HTMLElement} */
  function activeOrBody() {
    return /** @type {HTMLElement} */ (ns.walk.deepActiveElement() ?? document.body ?? document.documentElement);
  }

  /**
   * Keyboard defaults a synthetic key event does not trigger by itself, for the common keys.
   * @param {HTMLElement} target
   * @param {any} k  KeySpec
   */
  function keyDefault(target, k) {
    const mods = k.modifiers.filter((/** @type {string} */ m) => m !== "Shift");
    const editable = isTextField(target) || target.isContentEditable || (target.localName === "input" && VALUE_INPUTS.has(/** @type {HTMLInputElement} */ (target).type));
    if (mods.length === 1 && (mods[0] === "Control" || mods[0] === "Meta") && k.key.toLowerCase() === "a" && editable) {
      document.execCommand("selectAll", false);
      return;
    }
    if (mods.length) return;
    switch (k.key) {
      case "Enter":
        if (target.localName === "input") submitImplicitly(target);
        else if (target.localName === "a" || target.localName === "button" || target.getAttribute("role") === "button") target.click();
        else if (editable) insertText("\n");
        return;
      case " ":
        if (target.localName === "button" || (target.localName === "input" && /^(checkbox|radio|button|submit|reset)$/.test(/** @type {HTMLInputElement} */ (target).type))) target.click();
        else if (editable) insertText(" ");
        return;
      case "Tab":
        moveFocus(target, k.modifiers.includes("Shift") ? -1 : 1);
        return;
      case "Backspace":
        if (editable) document.execCommand("delete", false);
        return;
      case "Delete":
        if (editable) document.execCommand("forwardDelete", false);
        return;
      default:
        if (k.text && editable) insertText(k.text);
    }
  }

  /**
   * Move focus to the next (+1) or previous (-1) focusable element in document order.
   * @param {HTMLElement} from
   * @param {number} dir
   */
  function moveFocus(from, dir) {
    const all = /** @type {HTMLElement[]} */ ([
      ...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, [tabindex], [contenteditable]"),
    ]).filter((e) => e.tabIndex >= 0 && !isDisabled(e) && e.checkVisibility({ visibilityProperty: true }));
    if (!all.length) return;
    const i = all.indexOf(from);
    const next = all[(i + dir + all.length) % all.length] ?? all[0];
    next.focus();
  }

  // --- the op -------------------------------------------------------------------------------------------

  /**
   * @typedef {{
   *   action: string, ref?: string, text?: string, values?: string[], checked?: boolean, keys?: string,
   *   dx?: number, dy?: number, phase?: "dom" | "locate", detect?: boolean, effect_ms?: number,
   * }} ActArgs
   */

  /**
   * @param {ActArgs} args
   * @returns {Promise<Record<string, unknown>>}
   */
  async function act(args) {
    const action = args.action;
    const phase = args.phase ?? "dom";
    const needsRef = !(action === "press" || action === "scroll");
    if (needsRef && !args.ref) throw ns.error(6007, `${action} needs a ref`);
    const at = args.ref ? locate(args.ref, action) : null;

    if (phase === "locate") {
      if (at && (action === "type" || action === "fill" || action === "press")) {
        const t = at.target;
        if (action === "type" && isTextField(t)) placeCaret(t, false);
        else if (action === "fill" && isTextField(t)) placeCaret(t, true);
        else if (document.activeElement !== t) t.focus({ preventScroll: true });
      }
      return {
        point: at ? { x: at.x, y: at.y } : null,
        text_field: at ? isTextField(at.target) : null,
        checked: at ? checkedOf(at.target) : null,
        keys: action === "press" ? [ns.keys.parseKeys(String(args.keys ?? ""))] : action === "type" ? ns.keys.keysOfText(String(args.text ?? "")) : null,
      };
    }

    const detect = args.detect ?? true;
    const before = detect ? stateOf(at) : null;
    selfFocused = null;
    const watch = detect ? watchFor(at) : null;
    let noop = false;
    let unloading = false;
    const onHide = () => {
      unloading = true;
    };
    window.addEventListener("pagehide", onHide);
    window.addEventListener("beforeunload", onHide);
    try {
      switch (action) {
        case "click":
          enter(/** @type {HTMLElement} */ (at?.el), /** @type {number} */ (at?.x), /** @type {number} */ (at?.y));
          press(/** @type {HTMLElement} */ (at?.el), /** @type {number} */ (at?.x), /** @type {number} */ (at?.y), 0, 1);
          break;
        case "dblclick": {
          const a = /** @type {NonNullable<typeof at>} */ (at);
          enter(a.el, a.x, a.y);
          press(a.el, a.x, a.y, 0, 1);
          press(a.el, a.x, a.y, 0, 2);
          mouse(a.el, "dblclick", a.x, a.y, { detail: 2 });
          break;
        }
        case "rightclick": {
          const a = /** @type {NonNullable<typeof at>} */ (at);
          enter(a.el, a.x, a.y);
          press(a.el, a.x, a.y, 2, 1);
          break;
        }
        case "hover": {
          const a = /** @type {NonNullable<typeof at>} */ (at);
          enter(a.el, a.x, a.y);
          break;
        }
        case "focus":
          /** @type {NonNullable<typeof at>} */ (at).target.focus();
          break;
        case "type": {
          const a = /** @type {NonNullable<typeof at>} */ (at);
          if (!isTextField(a.target) && !(a.target.localName === "input" && VALUE_INPUTS.has(/** @type {HTMLInputElement} */ (a.target).type))) {
            throw ns.error(6007, `${describe(a.target)} is not a text field`);
          }
          placeCaret(a.target, false);
          typeText(a.target, String(args.text ?? ""));
          break;
        }
        case "fill":
          fill(/** @type {NonNullable<typeof at>} */ (at).target, String(args.text ?? ""));
          break;
        case "select": {
          const t = /** @type {NonNullable<typeof at>} */ (at).target;
          if (t.localName !== "select") throw ns.error(6007, `${describe(t)} is not a <select>; click the option instead`);
          selectValues(/** @type {HTMLSelectElement} */ (t), args.values ?? (args.text !== undefined ? [String(args.text)] : []));
          break;
        }
        case "check": {
          const a = /** @type {NonNullable<typeof at>} */ (at);
          noop = !setChecked(a.el, args.checked ?? true, { x: a.x, y: a.y, target: a.target });
          break;
        }
        case "press": {
          const k = ns.keys.parseKeys(String(args.keys ?? ""));
          const target = at ? at.target : activeOrBody();
          if (at && document.activeElement !== target) target.focus({ preventScroll: true });
          if (key(target, "keydown", k)) {
            if (k.text || k.key === "Enter") key(target, "keypress", { ...k, text: k.text || "\r" });
            keyDefault(target, k);
          }
          key(/** @type {Element} */ (document.activeElement ?? target), "keyup", k);
          break;
        }
        case "scroll": {
          const dx = args.dx ?? 0;
          const dy = args.dy ?? (args.dx === undefined ? Math.round(window.innerHeight * 0.8) : 0);
          if (!at) window.scrollBy({ left: dx, top: dy, behavior: "instant" });
          else if (args.dx === undefined && args.dy === undefined) at.el.scrollIntoView({ block: "center", inline: "nearest", behavior: "instant" });
          else scroller(at.el).scrollBy({ left: dx, top: dy, behavior: "instant" });
          break;
        }
        default:
          throw ns.error(6007, `unknown action ${action}`);
      }
      if (noop) return { effect: false, noop: true };
      if (!watch || !before) return { effect: true, point: at ? { x: at.x, y: at.y } : null };
      let effect = observed(before, at, watch) || unloading;
      if (!effect && action !== "scroll" && action !== "focus") {
        effect = (await watch.next(Math.min(Math.max(Number(args.effect_ms ?? 150), 0), 2000))) || observed(before, at, watch) || unloading;
      }
      if (action === "check" && at && checkedOf(at.target) === before.checked) effect = false;
      return { effect, point: at ? { x: at.x, y: at.y } : null };
    } finally {
      watch?.stop();
      window.removeEventListener("pagehide", onHide);
      window.removeEventListener("beforeunload", onHide);
    }
  }

  /**
   * @param {{active: Element | null, value: string | null, checked: boolean | null, url: string, sx: number, sy: number}} before
   * @param {{target: HTMLElement} | null} at
   * @param {{changed: () => boolean}} watch
   * @returns {boolean}
   */
  function observed(before, at, watch) {
    if (watch.changed()) return true;
    const active = ns.walk.deepActiveElement();
    if (active !== before.active && active !== selfFocused) return true;
    if (location.href !== before.url) return true;
    if (window.scrollX !== before.sx || window.scrollY !== before.sy) return true;
    if (at) {
      if (before.value !== null && String(/** @type {HTMLInputElement} */ (at.target).value) !== before.value) return true;
      if (checkedOf(at.target) !== before.checked) return true;
    }
    return false;
  }

  /**
   * What `observed` compares against.
   * @param {{target: HTMLElement} | null} at
   */
  function stateOf(at) {
    return {
      active: ns.walk.deepActiveElement(),
      value: at && "value" in at.target ? String(/** @type {HTMLInputElement} */ (at.target).value) : null,
      checked: at ? checkedOf(at.target) : null,
      url: location.href,
      sx: window.scrollX,
      sy: window.scrollY,
    };
  }

  /**
   * A mutation watch covering the document and the element's shadow root.
   * @param {{el: HTMLElement} | null} at
   */
  function watchFor(at) {
    const root = at?.el.getRootNode();
    return ns.settle.watch({ extraRoots: root && root !== document ? [root] : [] });
  }

  /** @type {{at: {el: HTMLElement, target: HTMLElement} | null, before: ReturnType<typeof stateOf>, watch: ReturnType<typeof watchFor>} | null} */
  let pending = null;

  ns.actions = { locate, describe, checkedOf };
  ns.ops.act = act;

  /**
   * `effect.begin` {ref?} → {}: start watching for an effect of input that does not come through `act`
   * (trusted input from the background). `effect.end` {effect_ms} → {effect}: whether anything observable
   * happened since, waiting event-driven up to `effect_ms` for a first mutation.
   */
  ns.ops["effect.begin"] = (/** @type {{ref?: string}} */ args) => {
    pending?.watch.stop();
    const found = args.ref ? ns.refs.elementFor(args.ref) : null;
    const at = found ? { el: /** @type {HTMLElement} */ (found), target: /** @type {HTMLElement} */ (found) } : null;
    selfFocused = null;
    pending = { at, before: stateOf(at), watch: watchFor(at) };
    return {};
  };
  ns.ops["effect.end"] = async (/** @type {{effect_ms?: number}} */ args) => {
    const p = pending;
    pending = null;
    if (!p) return { effect: false };
    try {
      const ms = Math.min(Math.max(Number(args.effect_ms ?? 150), 0), 2000);
      return { effect: observed(p.before, p.at, p.watch) || (await p.watch.next(ms)) || observed(p.before, p.at, p.watch) };
    } finally {
      p.watch.stop();
    }
  };
})();
