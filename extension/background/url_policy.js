/**
 * Which URLs the agent may navigate to, open, or act in (W7 of the security catalogue; PROTOCOL.md §5.2).
 *
 * Default deny: only `http:`, `https:` and exactly `about:blank` pass. Everything else is refused —
 * browser pages (`chrome:`, `edge:`, `brave:`, other `about:` pages, `devtools:`, `view-source:`), extension
 * pages (ours included), `javascript:`, `data:`, `blob:`, `file:`, `filesystem:` and any custom scheme.
 * Among http(s) pages the extension stores are refused, matched on the WHATWG-normalised host (case,
 * punycode, full-width forms, percent-encoding, userinfo and trailing dots cannot smuggle them through).
 *
 * Parsing is the browser's own `URL`, so the decision is made on exactly what the browser would load.
 * The daemon applies the same rules (`host/webbridge/tools/url_policy.py`); both are tested against
 * `tests/vectors/url_policy.json`.
 */

import { Codes, WebBridgeError } from "../protocol/errors.js";

/** Hosts (and their subdomains) of the extension stores: the browser forbids extensions there. */
export const STORE_HOSTS = Object.freeze([
  "chromewebstore.google.com",
  "chrome.google.com",
  "microsoftedge.microsoft.com",
]);

/** Forbidden domain code points of the URL standard (https://url.spec.whatwg.org/#forbidden-domain-code-point). */
const FORBIDDEN_IN_DOMAIN = /[\u0000-\u0020#%/:<>?@[\\\]^|\u007f]/;

/**
 * @typedef {"scheme" | "store" | "invalid"} BlockReason
 * @typedef {{allowed: true, url: string, scheme: string, host: string}
 *   | {allowed: false, reason: BlockReason, scheme: string, host: string}} UrlVerdict
 */

/**
 * The host as compared by policy: the URL's hostname without trailing dots (`bank.com.` is `bank.com`).
 * @param {string} hostname  `URL.hostname` (already lower-case, punycode, IPv4/IPv6 canonical)
 * @returns {string}
 */
export function normaliseHost(hostname) {
  return hostname.replace(/\.+$/, "");
}

/**
 * @param {string} host  a normalised host
 * @returns {boolean}
 */
export function isStoreHost(host) {
  return STORE_HOSTS.some((h) => host === h || host.endsWith(`.${h}`));
}

/**
 * Classify a URL. Pure; never throws.
 * @param {unknown} raw
 * @returns {UrlVerdict}
 */
export function classifyUrl(raw) {
  /** @type {URL} */
  let url;
  try {
    if (typeof raw !== "string" || raw.length > 8192) throw new TypeError("not a URL");
    url = new URL(raw);
  } catch {
    return { allowed: false, reason: "invalid", scheme: "", host: "" };
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme === "about") {
    // `about:blank` (optionally with ?query or #fragment) is the empty page; every other about: page is
    // the browser's own UI.
    return url.pathname === "blank"
      ? { allowed: true, url: url.href, scheme, host: "" }
      : { allowed: false, reason: "scheme", scheme, host: "" };
  }
  if (scheme !== "http" && scheme !== "https") return { allowed: false, reason: "scheme", scheme, host: "" };
  const host = normaliseHost(url.hostname);
  // Chrome's URL parser is laxer than the URL standard here (it keeps `exa mple.com` as `exa%20mple.com`):
  // refuse what the standard refuses, so that the extension and the daemon decide alike.
  if (!host.startsWith("[") && FORBIDDEN_IN_DOMAIN.test(host)) return { allowed: false, reason: "invalid", scheme, host: "" };
  if (isStoreHost(host)) return { allowed: false, reason: "store", scheme, host };
  return { allowed: true, url: url.href, scheme, host };
}

/** @type {Readonly<Record<BlockReason, string>>} */
const WHY = Object.freeze({
  scheme: "pages with this scheme are off limits to the agent",
  store: "extension store pages are off limits to the agent",
  invalid: "not an absolute http(s) URL",
});

/**
 * The URL as the browser will load it, or 6004 `url_blocked`.
 * @param {unknown} raw
 * @param {string} [what]  "navigate to", "open", "act in": for the message
 * @returns {string}  the parsed URL's href
 * @throws {WebBridgeError} 6004 when the policy refuses it
 */
export function requireAllowedUrl(raw, what = "navigate to") {
  const verdict = classifyUrl(raw);
  if (verdict.allowed) return verdict.url;
  const shown = verdict.scheme ? `a ${verdict.scheme}: URL` : "this URL";
  throw new WebBridgeError(Codes.URL_BLOCKED, `refused to ${what} ${shown}: ${WHY[verdict.reason]}`, {
    reason: verdict.reason,
  });
}

/**
 * Refuse to act in a tab whose page the policy forbids (a tab showing `chrome://settings`, the store …).
 * A tab with no URL yet (still loading its first page) is judged by its pending URL.
 * @param {{url?: string, pendingUrl?: string}} tab
 * @throws {WebBridgeError} 6004
 */
export function requireActionableTab(tab) {
  requireAllowedUrl(tab.url || tab.pendingUrl || "", "act in a tab showing");
}
