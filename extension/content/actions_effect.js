/**
 * Actions, part 2 — what followed: the observable effect of an action, and whether the page's own code
 * handled the events we dispatched.
 *
 * - Effect: a DOM mutation (document and the shadow roots the last snapshot walked), a focus change other
 *   than the one our emulated press made, a change of the element's value or checked state, a scroll, a URL
 *   change. `observed(before, at, watch)` compares with `stateOf(at)` taken before acting.
 * - Handled: `dispatch(target, event)` dispatches one of our synthetic events and notes when a page
 *   listener called `preventDefault()` or stopped its propagation before it reached the window (our own
 *   bubbling listener there did not see it). Both prove that page code reacted to the synthetic event.
 *   `beginAct()` resets both notes; `wasHandled()` reads the second.
 *
 * Ops: `effect.begin` `{ref?}` → `{}` starts watching for the effect of input sent from outside (trusted
 * input from the background); `effect.end` `{effect_ms?}` → `{effect}` says whether anything observable
 * happened since, waiting event-driven up to `effect_ms` (max 2 s) for a first mutation.
 *
 * Adds to `ns.actions`: `dispatch`, `beginAct`, `noteSelfFocus`, `wasHandled`, `observed`, `stateOf`,
 * `watchFor`.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("actions_effect")) return;
  ns.loaded.add("actions_effect");
  /** @type {Record<string, any>} the actions' shared helpers (one object per frame, filled by each actions_*.js) */
  const A = (ns.actions ??= {});

  /** @type {Element | null} what our own emulated mousedown focused (not an effect of the page's code) */
  let selfFocused = null;
  /** whether a page listener prevented or stopped one of our events since `beginAct()` */
  let handled = false;

  /** Start an action: forget the notes of the previous one. */
  function beginAct() {
    selfFocused = null;
    handled = false;
  }

  /** Our emulated press moved the focus: that focus change is not an effect of the page's code. */
  function noteSelfFocus() {
    selfFocused = ns.walk.deepActiveElement();
  }

  /** @returns {boolean} */
  function wasHandled() {
    return handled;
  }

  /**
   * Dispatch one synthetic event and note whether page code prevented it or stopped its propagation.
   * @param {EventTarget} target
   * @param {Event} ev
   * @returns {boolean}  false when a listener called preventDefault
   */
  function dispatch(target, ev) {
    let reached = !ev.bubbles;
    /** @param {Event} e */
    const mark = (e) => {
      if (e === ev) reached = true;
    };
    if (ev.bubbles) window.addEventListener(ev.type, mark);
    let ok;
    try {
      ok = target.dispatchEvent(ev);
    } finally {
      if (ev.bubbles) window.removeEventListener(ev.type, mark);
    }
    if (!ok || !reached) handled = true;
    return ok;
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
      if (A.checkedOf(at.target) !== before.checked) return true;
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
      checked: at ? A.checkedOf(at.target) : null,
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

  ns.ops["effect.begin"] = (/** @type {{ref?: string}} */ args) => {
    pending?.watch.stop();
    const found = args.ref ? ns.refs.elementFor(args.ref) : null;
    const at = found ? { el: /** @type {HTMLElement} */ (found), target: /** @type {HTMLElement} */ (found) } : null;
    beginAct();
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

  Object.assign(A, { dispatch, beginAct, noteSelfFocus, wasHandled, observed, stateOf, watchFor });
})();
