/**
 * The side panel's side of the service worker: how the panel opens (toolbar button, keyboard shortcut), the
 * UI actions it calls (run kinds, relayed to the daemon over the authenticated channel), and the ports over
 * which run events reach it.
 *
 * - Requests: the panel sends `{type: "run.start" | "run.stop" | "runs.list" | "run.get" | "run.watch" |
 *   "run.unwatch" | "run.artifact", body}` through `chrome.runtime.sendMessage`; the router checks the sender
 *   (our own pages only) before these run. The answer is the daemon's reply body.
 * - Events reach the panel over a port (`panel_ports.js`).
 */

import { relayActions } from "./relay_actions.js";

export const OPEN_PANEL_COMMAND = "open-side-panel";

/** Run kinds the panel may send, with the deadline of each (ms). */
const RUN_KINDS = Object.freeze({
  "run.start": 30_000,
  "run.stop": 10_000,
  "runs.list": 30_000,
  "run.get": 60_000,
  "run.watch": 30_000,
  "run.unwatch": 10_000,
  "run.artifact": 60_000,
});

/** The toolbar button opens the side panel (the popup page stays reachable from the panel). */
export async function configurePanel() {
  try {
    await chrome.sidePanel.setPanelBehavior({ openPanelOnActionClick: true });
  } catch (err) {
    console.warn("webbridge: could not set the side panel behaviour", err);
  }
}

/**
 * `chrome.commands.onCommand`: the keyboard shortcut opens the panel in the window it was pressed in.
 * @param {string} command
 * @param {chrome.tabs.Tab | undefined} tab
 */
export function onCommand(command, tab) {
  if (command !== OPEN_PANEL_COMMAND || !tab || typeof tab.windowId !== "number") return;
  chrome.sidePanel.open({ windowId: tab.windowId }).catch((err) => console.warn("webbridge: side panel:", String(err)));
}

/**
 * The UI actions for the run kinds: each sends the panel's `body` as that request and answers the reply body.
 * @type {Record<string, import("./router.js").UiAction>}
 */
export const runUiActions = relayActions(RUN_KINDS);
