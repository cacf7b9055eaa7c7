/**
 * Ops for capture and file transfer (background handlers page_screenshot.js, page_upload.js, page_drag.js):
 *
 * - `capture.rect` `{ref}` → `{x, y, width, height}`: the element's border box in this frame's viewport
 *   (CSS px), scrolled into view first when it is not fully inside. 6001 stale, 6003 hidden / no size.
 * - `upload.mark` `{ref, count}` → `{token}`: checks that the ref names an enabled `<input type=file>` (or a
 *   label of one) taking `count` files (6003 otherwise), and marks it with `data-webbridge-upload` so that
 *   the background can find the same node through CDP. `upload.unmark` `{token}` → `{files}`: removes the
 *   mark and answers the names of the files the input now holds.
 * - `drag.point` `{ref}` → `{x, y}`: the point to press or release at (centre, after the checks of a
 *   pointer action: visible, enabled, not covered; scrolled into view).
 * - `drag.dom` `{ref, to, effect_ms?}` → `{started, accepted, effect}`: HTML5 drag and drop with DOM events
 *   and one shared DataTransfer: dragstart and drag on the source, dragenter and dragover on the target,
 *   drop when the target accepted (cancelled dragover) else dragleave, dragend on the source. `started`
 *   false when the source is not draggable or cancelled dragstart (then nothing else is dispatched, as in a
 *   browser). `effect`: the target accepted or the DOM changed (waiting up to `effect_ms` for a change).
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("capture")) return;
  ns.loaded.add("capture");

  const MARK = "data-webbridge-upload";
  /** @type {Map<string, WeakRef<HTMLInputElement>>} */
  const marked = new Map();

  /**
   * @param {string} ref
   * @returns {HTMLElement}
   */
  function live(ref) {
    const el = ns.refs.elementFor(ref);
    if (!el) throw ns.error(6001, `stale ref ${ref}: the element is gone (removed or re-rendered); take a new snapshot`);
    return /** @type {HTMLElement} */ (el);
  }

  ns.ops["capture.rect"] = (/** @type {{ref: string}} */ args) => {
    const el = live(args.ref);
    if (!el.checkVisibility({ visibilityProperty: true })) throw ns.error(6003, `${ns.actions.describe(el)} is hidden`);
    let r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) throw ns.error(6003, `${ns.actions.describe(el)} has no size (hidden)`);
    if (r.top < 0 || r.left < 0 || r.bottom > window.innerHeight || r.right > window.innerWidth) {
      el.scrollIntoView({ block: "nearest", inline: "nearest", behavior: "instant" });
      r = el.getBoundingClientRect();
    }
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  };

  ns.ops["upload.mark"] = (/** @type {{ref: string, count: number}} */ args) => {
    let el = live(args.ref);
    if (el.localName === "label" && /** @type {HTMLLabelElement} */ (el).control) {
      el = /** @type {HTMLElement} */ (/** @type {HTMLLabelElement} */ (el).control);
    }
    const input = /** @type {HTMLInputElement} */ (el);
    if (input.localName !== "input" || input.type !== "file") throw ns.error(6003, `${ns.actions.describe(el)} is not a file input`);
    if (input.disabled || input.matches(":disabled")) throw ns.error(6003, `${ns.actions.describe(el)} is disabled`);
    if (args.count > 1 && !input.multiple) throw ns.error(6003, `${ns.actions.describe(el)} takes one file, not ${args.count}`);
    const token = crypto.randomUUID();
    input.setAttribute(MARK, token);
    marked.set(token, new WeakRef(input));
    return { token };
  };

  ns.ops["upload.unmark"] = (/** @type {{token: string}} */ args) => {
    const input = marked.get(args.token)?.deref();
    marked.delete(args.token);
    if (!input) return { files: [] };
    if (input.getAttribute(MARK) === args.token) input.removeAttribute(MARK);
    return { files: [...(input.files ?? [])].map((f) => f.name) };
  };

  ns.ops["drag.point"] = (/** @type {{ref: string}} */ args) => {
    const at = ns.actions.locate(args.ref, "hover");
    return { x: at.x, y: at.y };
  };

  /**
   * @param {Element} el
   * @param {string} type
   * @param {{x: number, y: number}} p
   * @param {DataTransfer} dt
   * @returns {boolean} false when a listener cancelled the event
   */
  function fire(el, type, p, dt) {
    const cancelable = type !== "dragleave" && type !== "dragend";
    return el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable, composed: true, clientX: p.x, clientY: p.y, dataTransfer: dt }));
  }

  /**
   * @param {Element} el
   * @param {string} type
   * @param {{x: number, y: number}} p
   * @param {number} buttons
   */
  function pointer(el, type, p, buttons) {
    const init = { bubbles: true, cancelable: true, composed: true, clientX: p.x, clientY: p.y, button: 0, buttons, view: window };
    el.dispatchEvent(type.startsWith("pointer") ? new PointerEvent(type, { ...init, pointerId: 1, pointerType: "mouse", isPrimary: true }) : new MouseEvent(type, init));
  }

  ns.ops["drag.dom"] = async (/** @type {{ref: string, to: string, effect_ms?: number}} */ args) => {
    const dst = ns.actions.locate(args.to, "hover");
    const src = ns.actions.locate(args.ref, "hover");
    // Locating the source may have scrolled: where is the target now?
    const r = dst.el.getBoundingClientRect();
    const to = { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    if (to.x < 0 || to.y < 0 || to.x >= window.innerWidth || to.y >= window.innerHeight) {
      throw ns.error(6003, `${ns.actions.describe(src.el)} and ${ns.actions.describe(dst.el)} do not fit in the viewport together`);
    }
    const from = { x: src.x, y: src.y };
    // A browser starts an HTML5 drag only from draggable elements (links and images are by default).
    const draggable = src.el.draggable || src.el.closest("[draggable=true]") !== null;
    if (!draggable) return { started: false, accepted: false, effect: false };
    const watch = ns.settle.watch();
    try {
      const dt = new DataTransfer();
      pointer(src.el, "pointerdown", from, 1);
      pointer(src.el, "mousedown", from, 1);
      if (!fire(src.el, "dragstart", from, dt)) {
        return { started: false, accepted: false, effect: watch.changed() };
      }
      fire(src.el, "drag", from, dt);
      fire(dst.el, "dragenter", to, dt);
      const accepted = !fire(dst.el, "dragover", to, dt);
      if (accepted) fire(dst.el, "drop", to, dt);
      else fire(dst.el, "dragleave", to, dt);
      fire(src.el, "dragend", to, dt);
      const ms = Math.min(Math.max(Number(args.effect_ms ?? 150), 0), 2000);
      const effect = accepted || watch.changed() || (await watch.next(ms));
      return { started: true, accepted, effect };
    } finally {
      watch.stop();
    }
  };
})();
