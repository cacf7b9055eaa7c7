/**
 * `page.navigate {tab_id, action, url?, wait, timeout_ms}` → `page.navigated {url, title}`.
 *
 * - `goto` needs `url`, which must pass the URL policy (6004: nothing is navigated). The page the tab
 *   shows now does not matter (leaving a `chrome://newtab` page is what a user does with the address bar).
 * - `back`, `forward`, `reload` take no `url` and act in the tab's current page, which must pass the policy
 *   (6004). Back/forward with no such history entry is 6007.
 * - `wait: "load"` returns after the new document's load event (webNavigation `onCompleted`), or at once
 *   for a same-document navigation (a pushState entry, a fragment); `wait: "none"` returns as soon as the
 *   browser accepted the navigation. Event-driven; after `timeout_ms` it is 6006 `wait_timeout` and the
 *   navigation is not undone. A navigation that loads no page (network error, a download, a 204) is 6007.
 *
 * The tab becomes controlled by the agent and shows the indicator.
 */

import { Codes, WebBridgeError } from "../../protocol/errors.js";
import { markControlled, setIndicator } from "../agent_tabs.js";
import { getTab, tabApiError } from "../tab_info.js";
import { watchNavigation } from "../tab_waits.js";
import { requireActionableTab, requireAllowedUrl } from "../url_policy.js";

/**
 * @typedef {{tab_id: number, action: "goto" | "back" | "forward" | "reload", url?: string | null,
 *   wait: "load" | "none", timeout_ms: number}} NavigateBody
 */

/**
 * What to do, checked against the policy before anything happens.
 * @param {NavigateBody} body
 * @param {chrome.tabs.Tab} tab
 * @returns {() => Promise<unknown>}
 */
function plan(body, tab) {
  const tabId = body.tab_id;
  if (body.action === "goto") {
    if (typeof body.url !== "string") throw new WebBridgeError(Codes.INVALID_MESSAGE, "page.navigate goto needs url");
    const href = requireAllowedUrl(body.url);
    return () => chrome.tabs.update(tabId, { url: href });
  }
  if (body.url != null) throw new WebBridgeError(Codes.INVALID_MESSAGE, `page.navigate ${body.action} takes no url`);
  requireActionableTab(tab);
  if (body.action === "back") return () => chrome.tabs.goBack(tabId);
  if (body.action === "forward") return () => chrome.tabs.goForward(tabId);
  return () => chrome.tabs.reload(tabId);
}

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 * @throws {WebBridgeError} 6004, 6005, 6006, 6007, 2002
 */
export async function pageNavigate(msg) {
  const body = /** @type {NavigateBody} */ (/** @type {unknown} */ (msg.body));
  const tabId = body.tab_id;
  const tab = await getTab(tabId);
  const trigger = plan(body, tab);
  await markControlled(tabId, { show: false });
  const watch = watchNavigation(tabId, body.timeout_ms);
  try {
    await trigger();
  } catch (err) {
    watch.cancel();
    throw tabApiError(err, tabId);
  }
  if (body.wait === "none") watch.cancel();
  else await watch.promise;
  if (body.wait !== "none") await setIndicator(tabId, true);
  const now = await getTab(tabId);
  return {
    kind: "page.navigated",
    body: { url: (now.url || now.pendingUrl || "").slice(0, 8192), title: (now.title ?? "").slice(0, 8192) },
  };
}
