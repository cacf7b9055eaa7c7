/**
 * Frame stitching, content side. The background knows frames by id (webNavigation) but not which `<iframe>`
 * element of the parent document holds which child frame, and content scripts have no API for it. So:
 *
 * - the parent gives each of its iframe elements a random token (stable while the element lives) and posts
 *   `{__webbridgeFrame: token}` to the iframe's `contentWindow` (works across origins);
 * - the child keeps the last token it received from `window.parent` (and only from it) and reports it with
 *   op `frames.whoami`; the background then knows child frame id ↔ parent iframe element.
 *
 * The page can read these messages and could post look-alike ones from the parent window; the worst it can
 * do is misplace a child frame's subtree in the stitched text. Refs are unaffected: each carries its own
 * frame's prefix, which the background maps to a document id, never to a position in the tree.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("frames")) return;
  ns.loaded.add("frames");

  /** @type {WeakMap<Element, string>} */
  const tokens = new WeakMap();
  /** @type {Map<string, WeakRef<Element>>} */
  const byToken = new Map();
  /** @type {string | null} the token our parent posted to us */
  let myToken = null;
  /** @type {Array<() => void>} */
  let waiters = [];

  /** @returns {string} */
  function newToken() {
    const a = new Uint32Array(2);
    crypto.getRandomValues(a);
    return a[0].toString(36) + a[1].toString(36);
  }

  /**
   * The token of an iframe element, posted to its window (again on every call: the child may have navigated).
   * @param {HTMLIFrameElement | HTMLFrameElement} el
   * @returns {string}
   */
  function tokenFor(el) {
    let t = tokens.get(el);
    if (!t) {
      t = newToken();
      tokens.set(el, t);
      byToken.set(t, new WeakRef(el));
    }
    try {
      el.contentWindow?.postMessage({ __webbridgeFrame: t }, "*");
    } catch {
      // a frame that is being torn down: it will not be stitched, which is reported as unplaced
    }
    return t;
  }

  /** @param {string} t @returns {Element | null} */
  function elementForToken(t) {
    const el = byToken.get(t)?.deref();
    return el && el.isConnected ? el : null;
  }

  window.addEventListener("message", (e) => {
    if (e.source !== window.parent || window.parent === window) return;
    const d = /** @type {{__webbridgeFrame?: unknown}} */ (e.data);
    if (!d || typeof d !== "object" || typeof d.__webbridgeFrame !== "string" || d.__webbridgeFrame.length > 32) return;
    myToken = d.__webbridgeFrame;
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });

  ns.frames = { tokenFor, elementForToken, token: () => myToken };

  /** `frames.whoami` {wait_ms?} → {token}: waits (event-driven, bounded) for the parent's token. */
  ns.ops["frames.whoami"] = (/** @type {{wait_ms?: number}} */ args) => {
    if (myToken !== null || window.parent === window) return { token: myToken };
    const waitMs = Math.min(Math.max(Number(args.wait_ms ?? 200) || 0, 0), 2000);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ token: myToken }), waitMs);
      waiters.push(() => {
        clearTimeout(timer);
        resolve({ token: myToken });
      });
    });
  };

  /**
   * `frames.rect` {token} → {x, y} of the iframe's content box in this frame's viewport (CSS px), or null.
   * Used to turn a point inside a child frame into a point in the top frame for trusted input.
   */
  ns.ops["frames.rect"] = (/** @type {{token: string}} */ args) => {
    const el = elementForToken(String(args.token));
    if (!el) return null;
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    return {
      x: r.left + el.clientLeft + parseFloat(cs.paddingLeft || "0"),
      y: r.top + el.clientTop + parseFloat(cs.paddingTop || "0"),
    };
  };
})();
