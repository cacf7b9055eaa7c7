/**
 * Actions, part 5 — the keyboard: key events as a user's keyboard produces them (keydown, keypress, the
 * text inserted, keyup), typing key by key, and the keyboard defaults that synthetic key events do not
 * trigger by themselves (Enter submits a single-line field's form or activates a link/button, Space toggles,
 * Tab moves focus, Backspace/Delete edit, Control/Meta+A selects all in a field). Other shortcuts (e.g.
 * Control+K) reach only the page's listeners.
 *
 * Adds to `ns.actions`: `key`, `typeText`, `keyDefault` (answers whether it performed a default),
 * `activeOrBody`.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("actions_keyboard")) return;
  ns.loaded.add("actions_keyboard");
  /** @type {Record<string, any>} the actions' shared helpers (one object per frame, filled by each actions_*.js) */
  const A = (ns.actions ??= {});

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
    return A.dispatch(target, ev);
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
        if ("value" in f) A.setValue(f, f.value + k.text);
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
      return A.insertText(text);
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
   * @returns {boolean}  whether there was a form to submit
   */
  function submitImplicitly(el) {
    const form = /** @type {HTMLInputElement} */ (el).form;
    if (!form || el.localName !== "input") return false;
    form.requestSubmit();
    return true;
  }

  /**
   * Keyboard defaults a synthetic key event does not trigger by itself, for the common keys.
   * @param {HTMLElement} target
   * @param {any} k  KeySpec
   * @returns {boolean}  whether the key has a default here, which this performed
   */
  function keyDefault(target, k) {
    const mods = k.modifiers.filter((/** @type {string} */ m) => m !== "Shift");
    const editable = A.isTextField(target) || target.isContentEditable || (target.localName === "input" && A.VALUE_INPUTS.has(/** @type {HTMLInputElement} */ (target).type));
    if (mods.length === 1 && (mods[0] === "Control" || mods[0] === "Meta") && k.key.toLowerCase() === "a" && editable) {
      document.execCommand("selectAll", false);
      return true;
    }
    if (mods.length) return false;
    switch (k.key) {
      case "Enter":
        if (target.localName === "input") return submitImplicitly(target);
        if (target.localName === "a" || target.localName === "button" || target.getAttribute("role") === "button") target.click();
        else if (editable) A.insertText("\n");
        else return false;
        return true;
      case " ":
        if (target.localName === "button" || (target.localName === "input" && /^(checkbox|radio|button|submit|reset)$/.test(/** @type {HTMLInputElement} */ (target).type))) target.click();
        else if (editable) A.insertText(" ");
        else return false;
        return true;
      case "Tab":
        moveFocus(target, k.modifiers.includes("Shift") ? -1 : 1);
        return true;
      case "Backspace":
        if (editable) document.execCommand("delete", false);
        return editable;
      case "Delete":
        if (editable) document.execCommand("forwardDelete", false);
        return editable;
      default:
        if (k.text && editable) A.insertText(k.text);
        return Boolean(k.text) && editable;
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
    ]).filter((e) => e.tabIndex >= 0 && !A.isDisabled(e) && e.checkVisibility({ visibilityProperty: true }));
    if (!all.length) return;
    const i = all.indexOf(from);
    const next = all[(i + dir + all.length) % all.length] ?? all[0];
    next.focus();
  }

  /** @returns {HTMLElement} */
  function activeOrBody() {
    return /** @type {HTMLElement} */ (ns.walk.deepActiveElement() ?? document.body ?? document.documentElement);
  }

  Object.assign(A, { key, typeText, keyDefault, activeOrBody });
})();
