/**
 * The ports open side panels hold to the service worker, over which run events reach them.
 *
 * A panel connects a port named `PANEL_PORT`; only our own extension pages may (checked on connect, as the
 * router checks UI messages). Every `run.event` from the daemon is posted to every open panel port as
 * `{type: "run.event", event}`. A worker restart drops the ports: the panel reconnects and re-watches from
 * the last `seq` it saw, so it misses nothing.
 */

import { PANEL_PORT } from "../ui/run_model.js";
import { isOwnPage } from "./router.js";

export { PANEL_PORT };

/** @type {Set<chrome.runtime.Port>} */
const panels = new Set();

/**
 * `chrome.runtime.onConnect`: accept a panel's port from our own pages only.
 * @param {chrome.runtime.Port} port
 */
export function onPanelConnect(port) {
  if (port.name !== PANEL_PORT) return;
  if (!isOwnPage(port.sender, chrome.runtime.id, chrome.runtime.getURL(""))) {
    port.disconnect();
    return;
  }
  panels.add(port);
  port.onDisconnect.addListener(() => panels.delete(port));
}

/** @returns {number} open panel ports (for the debug hook) */
export function panelCount() {
  return panels.size;
}

/**
 * Post any message to every open panel (an `approval.event` for the approval cards).
 * @param {{type: string, [key: string]: unknown}} message
 * @returns {number} how many panels it reached
 */
export function postPanelMessage(message) {
  let reached = 0;
  for (const port of panels) {
    try {
      port.postMessage(message);
      reached++;
    } catch {
      panels.delete(port); // closed meanwhile
    }
  }
  return reached;
}

/**
 * Post one run event to every open panel.
 * @param {unknown} event  the `event` of a verified, schema-checked `run.event`
 * @returns {number} how many panels it reached
 */
export function postRunEvent(event) {
  let reached = 0;
  for (const port of panels) {
    try {
      port.postMessage({ type: "run.event", event });
      reached++;
    } catch {
      panels.delete(port); // closed meanwhile
    }
  }
  return reached;
}
