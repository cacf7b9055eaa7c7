/**
 * Op `act`: one action on one element of this frame (or on the page), after checking that it is safe to.
 * The helpers live in the `actions_*.js` files, one concept each, sharing `ns.actions`: where to act and
 * the checks (`actions_locate.js`), what followed (`actions_effect.js`), pointer (`actions_pointer.js`),
 * form values (`actions_form.js`), keyboard (`actions_keyboard.js`), scrolling (`actions_scroll.js`).
 *
 * args: `{action, ref?, text?, values?, checked?, keys?, dx?, dy?, phase: "dom" | "locate", detect?, effect_ms?,
 * hover_probe?}`
 *
 * - Checks first, and nothing happens when one fails: the ref names a live element of this document (else
 *   6001); the element is rendered, visible and has a size (else 6003 hidden); it is enabled (6003
 *   disabled) and, for typing, editable (6003 read-only); for pointer actions the point at its centre, after
 *   scrolling it into view, hits the element itself or something inside it (else 6003 covered by …).
 * - `phase: "dom"` then acts with DOM events and, with `detect` (default true), reports
 *   `{effect, activation, handled, point}`: `effect` whether anything observable followed (a DOM mutation,
 *   a focus change other than our own emulated one, a value/checked change, a scroll, a navigation
 *   starting; when nothing did at once, it waits event-driven for a first mutation up to `effect_ms`,
 *   default 150); `activation` whether the target has a default action of its own that the DOM path
 *   performed (a link, a submit button, a field, a key default …); `handled` whether a page listener
 *   prevented or stopped one of the events. Without `detect` nothing is watched (`{effect: true}`).
 *   With `hover_probe`, a `hover` whose `:hover` rules reveal something dispatches nothing and answers
 *   `{trusted_wanted: true}`: the background moves the real pointer instead.
 * - `phase: "locate"` only checks, scrolls into view, focuses (keyboard actions) and answers the point
 *   (`{point: {x, y}}`, CSS px in this frame's viewport) for trusted input from the background.
 * - `phase: "verify"` runs the checks again once the real pointer has reached the element, before trusted
 *   input presses it (the page may have swapped the element under the pointer: W6).
 * - With `expect_role`/`expect_name` (the snapshot's role and name of the ref), the live element must still
 *   have them — before anything happens and again once the pointer is over it — else 6008 `target_changed`
 *   (actions_identity.js) and nothing is pressed.
 *
 * `check` that finds the box already in the wanted state answers `{effect: false, noop: true}`.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("actions")) return;
  ns.loaded.add("actions");
  /** @type {Record<string, any>} */
  const A = ns.actions;

  /**
   * @typedef {{
   *   action: string, ref?: string, text?: string, values?: string[], checked?: boolean, keys?: string,
   *   dx?: number, dy?: number, phase?: "dom" | "locate" | "verify", detect?: boolean, effect_ms?: number,
   *   hover_probe?: boolean, expect_role?: string | null, expect_name?: string | null,
   * }} ActArgs
   * @typedef {{el: HTMLElement, target: HTMLElement, x: number, y: number}} Located
   */

  /**
   * @param {ActArgs} args
   * @param {Located | null} at
   */
  function locatePhase(args, at) {
    const action = args.action;
    if (at && (action === "type" || action === "fill" || action === "press")) {
      const t = at.target;
      if (action === "type" && A.isTextField(t)) A.placeCaret(t, false);
      else if (action === "fill" && A.isTextField(t)) A.placeCaret(t, true);
      else if (document.activeElement !== t) t.focus({ preventScroll: true });
    }
    return {
      point: at ? { x: at.x, y: at.y } : null,
      text_field: at ? A.isTextField(at.target) : null,
      checked: at ? A.checkedOf(at.target) : null,
      keys: action === "press" ? [ns.keys.parseKeys(String(args.keys ?? ""))] : action === "type" ? ns.keys.keysOfText(String(args.text ?? "")) : null,
    };
  }

  /**
   * Perform the action with DOM events.
   * @param {ActArgs} args
   * @param {Located | null} at
   * @returns {{noop: boolean, activation: boolean}}  `activation`: the target did something by itself
   */
  function perform(args, at) {
    const a = /** @type {Located} */ (at);
    switch (args.action) {
      case "click":
        A.enter(a.el, a.x, a.y);
        A.requireIdentity(a.el, args.ref, args); // the pointer's arrival may have swapped it (W6)
        A.press(a.el, a.x, a.y, 0, 1);
        return { noop: false, activation: A.clickActivation(a.el) };
      case "dblclick":
        A.enter(a.el, a.x, a.y);
        A.requireIdentity(a.el, args.ref, args);
        A.press(a.el, a.x, a.y, 0, 1);
        A.press(a.el, a.x, a.y, 0, 2);
        A.mouse(a.el, "dblclick", a.x, a.y, { detail: 2 });
        return { noop: false, activation: A.clickActivation(a.el) };
      case "rightclick":
        A.enter(a.el, a.x, a.y);
        A.requireIdentity(a.el, args.ref, args);
        A.press(a.el, a.x, a.y, 2, 1);
        return { noop: false, activation: false };
      case "hover":
        A.enter(a.el, a.x, a.y);
        return { noop: false, activation: false };
      case "focus":
        a.target.focus();
        return { noop: false, activation: true };
      case "type":
        if (!A.isTextField(a.target) && !(a.target.localName === "input" && A.VALUE_INPUTS.has(/** @type {HTMLInputElement} */ (a.target).type))) {
          throw ns.error(6007, `${A.describe(a.target)} is not a text field`);
        }
        A.placeCaret(a.target, false);
        A.typeText(a.target, String(args.text ?? ""));
        return { noop: false, activation: true };
      case "fill":
        A.fill(a.target, String(args.text ?? ""));
        return { noop: false, activation: true };
      case "select":
        if (a.target.localName !== "select") throw ns.error(6007, `${A.describe(a.target)} is not a <select>; click the option instead`);
        A.selectValues(/** @type {HTMLSelectElement} */ (a.target), args.values ?? (args.text !== undefined ? [String(args.text)] : []));
        return { noop: false, activation: true };
      case "check":
        if (!A.setChecked(a.el, args.checked ?? true, { x: a.x, y: a.y, target: a.target })) return { noop: true, activation: false };
        return { noop: false, activation: A.clickActivation(a.el) };
      case "press": {
        const k = ns.keys.parseKeys(String(args.keys ?? ""));
        const target = at ? at.target : A.activeOrBody();
        if (at && document.activeElement !== target) target.focus({ preventScroll: true });
        let activation = false;
        if (A.key(target, "keydown", k)) {
          if (k.text || k.key === "Enter") A.key(target, "keypress", { ...k, text: k.text || "\r" });
          activation = A.keyDefault(target, k);
        }
        A.key(/** @type {Element} */ (document.activeElement ?? target), "keyup", k);
        return { noop: false, activation };
      }
      case "scroll":
        A.scroll(at, args);
        return { noop: false, activation: true };
      default:
        throw ns.error(6007, `unknown action ${args.action}`);
    }
  }

  /**
   * @param {ActArgs} args
   * @returns {Promise<Record<string, unknown>>}
   */
  async function act(args) {
    const action = args.action;
    const needsRef = !(action === "press" || action === "scroll");
    if (needsRef && !args.ref) throw ns.error(6007, `${action} needs a ref`);
    /** @type {Located | null} */
    if (args.phase === "verify" && args.ref && !ns.refs.elementFor(args.ref)) {
      throw ns.error(6008, `the element ${args.ref} was replaced while the pointer reached it (the page swapped it); nothing was done; take a new snapshot`);
    }
    const at = args.ref ? A.locate(args.ref, action) : null;
    if (at && args.ref) A.requireIdentity(at.el, args.ref, args);
    if (args.phase === "verify") return { point: at ? { x: at.x, y: at.y } : null };
    if ((args.phase ?? "dom") === "locate") return locatePhase(args, at);
    const point = at ? { x: at.x, y: at.y } : null;
    if (action === "hover" && args.hover_probe && at && A.hoverReveals(at.el)) return { trusted_wanted: true, point };

    const detect = args.detect ?? true;
    const before = detect ? A.stateOf(at) : null;
    A.beginAct();
    const watch = detect ? A.watchFor(at) : null;
    let unloading = false;
    const onHide = () => {
      unloading = true;
    };
    window.addEventListener("pagehide", onHide);
    window.addEventListener("beforeunload", onHide);
    try {
      const { noop, activation } = perform(args, at);
      if (noop) return { effect: false, noop: true };
      if (!watch || !before) return { effect: true, point };
      const handled = A.wasHandled();
      let effect = A.observed(before, at, watch) || unloading;
      if (!effect && action !== "scroll" && action !== "focus") {
        effect = (await watch.next(Math.min(Math.max(Number(args.effect_ms ?? 150), 0), 2000))) || A.observed(before, at, watch) || unloading;
      }
      if (action === "check" && at && A.checkedOf(at.target) === before.checked) effect = false;
      return { effect, activation, handled, point };
    } finally {
      watch?.stop();
      window.removeEventListener("pagehide", onHide);
      window.removeEventListener("beforeunload", onHide);
    }
  }

  ns.ops.act = act;
})();
