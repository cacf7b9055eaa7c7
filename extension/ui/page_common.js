/**
 * What the extension's own pages (options, side panel, popup) share: finding their elements, asking the
 * service worker (background/router.js answers `{ok, result}` or `{ok: false, error}`), and the error line
 * each page has (`#error` holding `#error-message`).
 */

/**
 * The page's element with this id.
 * @param {string} id
 * @returns {HTMLElement}
 * @throws {Error} when the page has none (a page and its script out of step)
 */
export function el(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`${location.pathname.split("/").pop()} lacks #${id}`);
  return node;
}

/**
 * A request to the service worker (and through it, often, the daemon). Resolves with its result.
 * @param {string} type
 * @param {Record<string, unknown>} [body]
 * @returns {Promise<any>}
 * @throws {Error} with the error's text, code and name; or when the worker did not answer
 */
export async function send(type, body) {
  /** @type {import("../background/router.js").UiResponse | undefined} */
  const res = await chrome.runtime.sendMessage(body === undefined ? { type } : { type, body });
  if (!res) throw new Error("the extension's service worker did not answer");
  if (!res.ok) throw new Error(`${res.error.message} (${res.error.code} ${res.error.name})`);
  return res.result;
}

/**
 * Show an error on the page's error line, or hide the line (`err` empty).
 * @param {unknown} err
 */
export function showError(err) {
  el("error").hidden = !err;
  el("error-message").textContent = err ? String(err instanceof Error ? err.message : err) : "";
}
