/**
 * Key names and shortcuts for `press` (and `type`): "Enter", "Control+A", "Shift+Tab", "a", "ArrowDown".
 * `parseKeys` turns a shortcut into the fields of a KeyboardEvent (and of CDP `Input.dispatchKeyEvent`,
 * which the background builds from the same description). Pure (tests/js/content_keys.test.js).
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("keys")) return;
  ns.loaded.add("keys");

  /** @type {Record<string, [string, number, string?]>} key → [code, keyCode, text] */
  const NAMED = {
    Enter: ["Enter", 13, "\r"],
    Tab: ["Tab", 9],
    Backspace: ["Backspace", 8],
    Delete: ["Delete", 46],
    Escape: ["Escape", 27],
    " ": ["Space", 32, " "],
    ArrowUp: ["ArrowUp", 38],
    ArrowDown: ["ArrowDown", 40],
    ArrowLeft: ["ArrowLeft", 37],
    ArrowRight: ["ArrowRight", 39],
    Home: ["Home", 36],
    End: ["End", 35],
    PageUp: ["PageUp", 33],
    PageDown: ["PageDown", 34],
    Insert: ["Insert", 45],
    Shift: ["ShiftLeft", 16],
    Control: ["ControlLeft", 17],
    Alt: ["AltLeft", 18],
    Meta: ["MetaLeft", 91],
  };
  /** @type {Record<string, string>} */
  const ALIASES = {
    return: "Enter", esc: "Escape", space: " ", spacebar: " ", del: "Delete", up: "ArrowUp", down: "ArrowDown",
    left: "ArrowLeft", right: "ArrowRight", ctrl: "Control", control: "Control", cmd: "Meta", command: "Meta",
    meta: "Meta", option: "Alt", alt: "Alt", shift: "Shift", pgup: "PageUp", pgdn: "PageDown", tab: "Tab",
    enter: "Enter", escape: "Escape", backspace: "Backspace", delete: "Delete", home: "Home", end: "End",
    pageup: "PageUp", pagedown: "PageDown", arrowup: "ArrowUp", arrowdown: "ArrowDown", arrowleft: "ArrowLeft",
    arrowright: "ArrowRight", insert: "Insert",
  };
  /** CDP modifier bits. */
  const BITS = /** @type {Record<string, number>} */ ({ Alt: 1, Control: 2, Meta: 4, Shift: 8 });

  /**
   * @typedef {{key: string, code: string, keyCode: number, text: string, modifiers: string[], bits: number}} KeySpec
   */

  /**
   * One key: its KeyboardEvent key, code, legacy keyCode and the text it types ("" for none).
   * @param {string} name
   * @param {boolean} shift
   * @returns {{key: string, code: string, keyCode: number, text: string}}
   */
  function describe(name, shift) {
    const canon = NAMED[name] ? name : ALIASES[name.toLowerCase()] ?? name;
    const named = NAMED[canon];
    if (named) return { key: canon, code: named[0], keyCode: named[1], text: named[2] ?? "" };
    if (/^F([1-9]|1[0-9]|2[0-4])$/.test(canon)) return { key: canon, code: canon, keyCode: 111 + Number(canon.slice(1)), text: "" };
    if ([...canon].length !== 1) throw ns.error(6007, `unknown key ${JSON.stringify(name)}`);
    const ch = shift && canon.length === 1 ? canon.toUpperCase() : canon;
    const upper = ch.toUpperCase();
    let code = "";
    let keyCode = upper.charCodeAt(0);
    if (/^[A-Z]$/.test(upper)) code = `Key${upper}`;
    else if (/^[0-9]$/.test(ch)) code = `Digit${ch}`;
    else keyCode = 0;
    return { key: ch, code, keyCode, text: ch };
  }

  /**
   * Parse "Control+Shift+K" (a lone "+" and "Control++" are the plus key).
   * @param {string} keys
   * @returns {KeySpec}
   */
  function parseKeys(keys) {
    const s = String(keys);
    if (!s) throw ns.error(6007, "press needs keys");
    /** @type {string[]} */
    const parts = [];
    let rest = s;
    while (rest.length) {
      const i = rest.indexOf("+", 1);
      if (i < 0) {
        parts.push(rest);
        break;
      }
      parts.push(rest.slice(0, i));
      rest = rest.slice(i + 1);
    }
    const last = /** @type {string} */ (parts.pop());
    /** @type {string[]} */
    const modifiers = [];
    let bits = 0;
    for (const p of parts) {
      const m = ALIASES[p.toLowerCase()] ?? p;
      if (!(m in BITS)) throw ns.error(6007, `unknown modifier ${JSON.stringify(p)} in ${JSON.stringify(s)}`);
      if (!modifiers.includes(m)) modifiers.push(m);
      bits |= BITS[m];
    }
    const d = describe(last, modifiers.includes("Shift"));
    // A shortcut with Control/Alt/Meta types nothing.
    const text = modifiers.some((m) => m !== "Shift") ? "" : d.text;
    return { ...d, text, modifiers, bits };
  }

  /**
   * The keys of a text to type, one per character ("\n" is Enter).
   * @param {string} text
   * @returns {KeySpec[]}
   */
  function keysOfText(text) {
    return [...text].map((ch) => {
      if (ch === "\n" || ch === "\r") return parseKeys("Enter");
      const d = describe(ch, false);
      return { ...d, key: ch, text: ch, modifiers: [], bits: 0 };
    });
  }

  ns.keys = { parseKeys, keysOfText };
})();
