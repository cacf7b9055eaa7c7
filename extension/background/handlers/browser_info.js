/**
 * `browser.info` (daemon → extension): which browser this is, its version and user agent, the profile label,
 * and the open tabs. Detection of the brand is a pure function so that it can be tested without a browser.
 */

import { getOpenedBy, getProfileLabel } from "../state.js";
import { describeTab } from "../tab_info.js";

/**
 * @typedef {{brand: string, version: string}} Brand
 * @typedef {{name: string, version: string, user_agent: string}} BrowserDesc
 * @typedef {import("../tab_info.js").TabDesc} TabDesc
 * @typedef {{
 *   brands?: Brand[],
 *   fullVersionList?: Brand[],
 *   isBrave?: boolean,
 *   userAgent: string,
 * }} BrowserClues
 */

/** Brands in order of preference: a specific product beats the Chromium base it is built on. */
const PRODUCTS = [
  ["Microsoft Edge", "Edge"],
  ["Brave", "Brave"],
  ["Opera", "Opera"],
  ["Vivaldi", "Vivaldi"],
  ["Google Chrome", "Chrome"],
  ["Chromium", "Chromium"],
];

/**
 * Name and version from `navigator.userAgentData` brands (the "GREASE" brand is ignored), `navigator.brave`
 * (Brave reports itself as Chromium in some versions) and, failing both, the user-agent string.
 * @param {BrowserClues} clues
 * @returns {BrowserDesc}
 */
export function detectBrowser(clues) {
  const list = clues.fullVersionList?.length ? clues.fullVersionList : (clues.brands ?? []);
  /** @param {string} brand */
  const versionOf = (brand) => list.find((b) => b.brand === brand)?.version;
  let name = "";
  let version = "";
  for (const [brand, label] of PRODUCTS) {
    const v = versionOf(brand);
    if (v !== undefined) {
      name = label;
      version = v;
      break;
    }
  }
  if (clues.isBrave) {
    name = "Brave";
    version ||= versionOf("Chromium") ?? "";
  }
  if (!name) {
    const ua = clues.userAgent;
    const m = /Edg\/([\d.]+)/.exec(ua) ?? /Chrome\/([\d.]+)/.exec(ua);
    name = /Edg\//.test(ua) ? "Edge" : /Chrome\//.test(ua) ? "Chromium" : "unknown";
    version = m?.[1] ?? "";
  }
  return { name, version: version.slice(0, 256), user_agent: clues.userAgent.slice(0, 1024) };
}

/**
 * @typedef {{
 *   brands?: Brand[],
 *   getHighEntropyValues?: (hints: string[]) => Promise<{fullVersionList?: Brand[]}>,
 * }} UserAgentData
 */

/**
 * Describe the running browser (in the service worker or an extension page).
 * @returns {Promise<BrowserDesc>}
 */
export async function describeBrowser() {
  const nav = /** @type {Navigator & {userAgentData?: UserAgentData, brave?: unknown}} */ (globalThis.navigator);
  const data = nav.userAgentData;
  /** @type {Brand[] | undefined} */
  let fullVersionList;
  try {
    fullVersionList = (await data?.getHighEntropyValues?.(["fullVersionList"]))?.fullVersionList;
  } catch {
    // not available: the brands' major versions will do
  }
  return detectBrowser({ brands: data?.brands, fullVersionList, isBrave: nav.brave !== undefined, userAgent: nav.userAgent });
}

/**
 * The open tabs, in every normal window of this profile; a tab a page opened while one run controlled it
 * says which run (`opened_by_run`, agent_tabs.js).
 * @returns {Promise<TabDesc[]>}
 */
export async function listTabs() {
  const [tabs, openedBy] = await Promise.all([chrome.tabs.query({}), getOpenedBy()]);
  /** @type {TabDesc[]} */
  const out = [];
  for (const t of tabs) {
    if (t.id === undefined || t.id === chrome.tabs.TAB_ID_NONE) continue;
    out.push(describeTab(t, openedBy[String(t.id)] ?? null));
  }
  return out.slice(0, 5000);
}

/**
 * The `browser.info` handler.
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 */
export async function browserInfo() {
  const [browser, profile, tabs] = await Promise.all([describeBrowser(), getProfileLabel(), listTabs()]);
  return {
    kind: "browser.info.result",
    body: { browser: browser.name, version: browser.version, user_agent: browser.user_agent, profile, tabs },
  };
}
