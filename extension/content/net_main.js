/**
 * The network counter in the page's MAIN world (the isolated world cannot see the page's own `fetch` and
 * `XMLHttpRequest`). See background/net_hook.js for when it is put into a page and content/wait.js for its
 * reader. Classic script, no globals: everything lives in this closure.
 *
 * It wraps `fetch` and `XMLHttpRequest.prototype.send` and counts requests in flight. It says nothing until
 * the content script binds it to a random event name (`webbridge-net-bind` with the name as `detail`, once);
 * then it fires `<name>:start` / `<name>:end` on `document`, answers `<name>:sync` with one `<name>:start` per
 * request in flight, and `<name>:ping` with `<name>:pong`. The page can see that `fetch` was wrapped
 * (unavoidable for counting) and could bind a name first or fake events: it can at worst make its own
 * network look idle or busy.
 */
(() => {
  let inflight = 0;
  /** @type {string | null} */
  let name = null;
  const fire = (/** @type {string} */ what) => {
    if (name) document.dispatchEvent(new Event(`${name}:${what}`));
  };
  const start = () => {
    inflight++;
    fire("start");
  };
  const end = () => {
    inflight = Math.max(0, inflight - 1);
    fire("end");
  };
  document.addEventListener("webbridge-net-bind", (e) => {
    const detail = /** @type {CustomEvent} */ (e).detail;
    if (name !== null || typeof detail !== "string" || !/^wb-net-[0-9a-f]{24}$/.test(detail)) return;
    name = detail;
    document.addEventListener(`${name}:sync`, () => {
      for (let i = 0; i < inflight; i++) fire("start");
    });
    document.addEventListener(`${name}:ping`, () => fire("pong"));
  });

  const realFetch = window.fetch;
  /** @this {unknown} @param {Parameters<typeof fetch>} args */
  const wrapped = function (...args) {
    start();
    /** @type {Promise<Response>} */
    let p;
    try {
      p = realFetch.apply(this, args);
    } catch (err) {
      end();
      throw err;
    }
    p.then(end, end);
    return p;
  };
  window.fetch = /** @type {typeof fetch} */ (wrapped);

  const realSend = XMLHttpRequest.prototype.send;
  /** @this {XMLHttpRequest} @param {Parameters<XMLHttpRequest["send"]>} args */
  XMLHttpRequest.prototype.send = function (...args) {
    start();
    this.addEventListener("loadend", end, { once: true });
    try {
      return realSend.apply(this, args);
    } catch (err) {
      this.removeEventListener("loadend", end);
      end();
      throw err;
    }
  };
})();
