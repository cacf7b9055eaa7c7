/**
 * The content side of `callContent()` (background/content.js): one `chrome.runtime.onMessage` listener per
 * frame, registered once, which dispatches `{wbc: 1, op, frame, base, args}` through `ns.ops` (`frame`:
 * this document's frame number; `base`: the lowest element number it may give out, see refs.js).
 *
 * Sender check first (STYLE.md 7): only messages from our own extension's background are accepted. Pages
 * cannot reach `chrome.runtime.onMessage` of a content script at all, other extensions arrive with another
 * `sender.id`, and our own content scripts in other frames would have a `sender.tab`; all three are ignored
 * without an answer.
 *
 * Answers `{ok: true, result}` or `{ok: false, error: {code, message}}`; errors without a 6xxx code become
 * 6007 `action_failed` on the background side. Either carries `dialogs` when the page opened JavaScript
 * dialogs during the op (answered by content/page_relay.js; background/content.js records them).
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("main")) return;
  ns.loaded.add("main");

  /**
   * @param {unknown} msg
   * @param {chrome.runtime.MessageSender} sender
   * @param {(reply: unknown) => void} sendResponse
   * @returns {boolean}
   */
  function onMessage(msg, sender, sendResponse) {
    if (!sender || sender.id !== chrome.runtime.id || sender.tab) return false;
    const m = /** @type {{wbc?: unknown, op?: unknown, frame?: unknown, base?: unknown, args?: unknown}} */ (msg);
    if (!m || m.wbc !== 1 || typeof m.op !== "string") return false;
    const op = Object.hasOwn(ns.ops, m.op) ? ns.ops[m.op] : undefined;
    if (!op) {
      sendResponse({ ok: false, error: { code: 2001, message: `no content op ${m.op}` } });
      return false;
    }
    if (typeof m.frame === "number" && m.frame >= 0) ns.frame = m.frame;
    if (typeof m.base === "number") ns.refs?.raise(m.base);
    // Dialogs the page opened during the op (content/page_relay.js answered them) go back with its reply.
    const relay = /** @type {any} */ (globalThis).__webbridgeRelay;
    const mark = relay ? relay.count() : 0;
    /** @param {Record<string, unknown>} reply */
    const answer = (reply) => {
      const dialogs = relay && relay.count() > mark ? relay.since(mark) : null;
      sendResponse(dialogs ? { ...reply, dialogs } : reply);
    };
    Promise.resolve()
      .then(() => op(m.args ?? {}, { frame: ns.frame }))
      .then(
        (result) => answer({ ok: true, result: result ?? null }),
        (err) => {
          const e = /** @type {{code?: unknown, message?: unknown}} */ (err ?? {});
          answer({
            ok: false,
            error: { code: typeof e.code === "number" ? e.code : 6007, message: String(e.message ?? err).slice(0, 500) },
          });
        },
      );
    return true;
  }

  chrome.runtime.onMessage.addListener(onMessage);

  /** Liveness probe used by `ensureInjected`: answers which files this frame has loaded. */
  ns.ops.ping = () => ({ loaded: [...ns.loaded], frame: ns.frame, url: location.href });
})();
