/**
 * Actions, part 4 — form values: filling text fields and editable elements, value inputs (date, time,
 * number, range, color), selects, checkboxes, radios and switches, the way a page's own code sees a user's
 * input (native value setters, the browser's editing commands, `input`/`change` events). A value the
 * control does not accept exactly is 6007 and changes nothing.
 *
 * Adds to `ns.actions`: `TEXT_INPUTS`, `VALUE_INPUTS`, `setValue`, `insertText`, `isTextField`,
 * `placeCaret`, `fill`, `selectValues`, `checkedOf`, `setChecked`.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("actions_form")) return;
  ns.loaded.add("actions_form");
  /** @type {Record<string, any>} the actions' shared helpers (one object per frame, filled by each actions_*.js) */
  const A = (ns.actions ??= {});

  const TEXT_INPUTS = new Set(["text", "search", "email", "tel", "url", "password", ""]);
  const VALUE_INPUTS = new Set(["date", "datetime-local", "month", "week", "time", "color", "range", "number"]);

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
    if (!isTextField(el)) throw ns.error(6007, `${A.describe(el)} is not a field that can be filled`);
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
    if (now === null) throw ns.error(6007, `${A.describe(box)} is not a checkbox, radio or switch`);
    if (now === want) return false;
    if (!want && box.localName === "input" && /** @type {HTMLInputElement} */ (box).type === "radio") {
      throw ns.error(6007, "a radio button cannot be unchecked; check another one of its group");
    }
    if (at) {
      A.enter(el, at.x, at.y);
      A.press(el, at.x, at.y, 0, 1);
    } else {
      el.click();
    }
    return true;
  }

  Object.assign(A, { TEXT_INPUTS, VALUE_INPUTS, setValue, insertText, isTextField, placeCaret, fill, selectValues, checkedOf, setChecked });
})();
