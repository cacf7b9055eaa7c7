/**
 * Actions, part 6 — scrolling: the page by `dx`/`dy` (default 80 % of the viewport down), an element's
 * nearest scrollable box by `dx`/`dy`, or an element into view. Instant, so the effect is there when the
 * op answers.
 *
 * Adds to `ns.actions`: `scroll(at, args)`.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("actions_scroll")) return;
  ns.loaded.add("actions_scroll");
  /** @type {Record<string, any>} the actions' shared helpers (one object per frame, filled by each actions_*.js) */
  const A = (ns.actions ??= {});

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

  /**
   * @param {{el: HTMLElement} | null} at  the located element, or null for the page
   * @param {{dx?: number, dy?: number}} args
   */
  function scroll(at, args) {
    const dx = args.dx ?? 0;
    const dy = args.dy ?? (args.dx === undefined ? Math.round(window.innerHeight * 0.8) : 0);
    if (!at) window.scrollBy({ left: dx, top: dy, behavior: "instant" });
    else if (args.dx === undefined && args.dy === undefined) at.el.scrollIntoView({ block: "center", inline: "nearest", behavior: "instant" });
    else scroller(at.el).scrollBy({ left: dx, top: dy, behavior: "instant" });
  }

  Object.assign(A, { scroll });
})();
