/**
 * The content-script namespace: ONE object in the extension's isolated world of each frame, which every
 * content-script file registers into. Must be the first file injected (see `CONTENT_FILES` in
 * `background/content.js`); `main.js` must be the last.
 *
 * Why a global and not ES modules: content scripts injected with `chrome.scripting.executeScript({files})`
 * are classic scripts. Making them modules would need a dynamic `import()` of files listed in
 * `web_accessible_resources`, which any web page could then load and fingerprint the extension with. The
 * namespace lives in the isolated world, whose globals the page's own scripts cannot see or touch (they
 * share the DOM, not the JavaScript heap), so it is as private as module scope would be.
 *
 * Why the guards: the background injects on demand, into the tabs the agent touches, and may inject into a
 * frame twice (two requests racing, or a frame it could not probe). Each file therefore registers once
 * (`ns.loaded`), and this file keeps the existing object: re-running it must not drop the ref registry,
 * which would make every ref the agent holds stale. `var` (not `const`) because a second classic script
 * declaring the same top-level `const` in one global throws.
 */

/**
 * @typedef {(args: any, ctx: WBCOpContext) => unknown} WBCOp
 *   a content op: gets the `args` the background sent and answers with JSON-serialisable data (or a promise
 *   of it); throws `ns.error(code, message)` for the typed 6xxx errors
 * @typedef {{frame: number}} WBCOpContext  `frame`: the frame number the background assigned this document
 * @typedef {Error & {code: number}} WBCError
 * @typedef {{
 *   version: 1,
 *   loaded: Set<string>,
 *   ops: Record<string, WBCOp>,
 *   frame: number,
 *   error: (code: number, message: string) => WBCError,
 *   [module: string]: any,
 * }} WBContentNS
 *
 * @typedef {0 | 1 | 2 | 3} WBCEntryType  0 element a user acts on, 1 text, 2 iframe placeholder, 3 container or heading
 * @typedef {0 | 1 | 2 | 3 | 4 | 5} WBCPos  0 in the viewport, 1 above, 2 below, 3 left, 4 right, 5 rendered but zero-size
 * @typedef {{
 *   t: WBCEntryType, d: number, key: number, role: string, name: string, ref: string,
 *   states: string, value: string | null, pos: WBCPos, el: Element | null, token?: string,
 * }} WBCEntry  one printed node of a snapshot (content/snapshot_walk.js)
 */

/** @type {WBContentNS} */
// eslint-disable-next-line no-var
var __webbridgeContent =
  globalThis.__webbridgeContent ??
  {
    version: 1,
    loaded: new Set(),
    ops: Object.create(null),
    frame: -1,
    error(code, message) {
      const err = /** @type {WBCError} */ (new Error(message));
      err.code = code;
      return err;
    },
  };
