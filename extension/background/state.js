/**
 * Everything the extension keeps in `chrome.storage`, so that it survives the service worker stopping and
 * so that the extension pages can render it and re-render on `chrome.storage.onChanged`. This module and
 * its parts in `state/` are the ONLY code that touches `chrome.storage`; other modules import from here.
 *
 * - `state/view.js`: the visible state (connection, pairing, last error, profile label).
 * - `state/controlled_tabs.js`: tabs the agent controls and Stop requests from the in-page indicator.
 * - `state/tab_runs.js`: which runs control a tab (`tab_runs`), and each run's tab group.
 * - `state/opened_by.js`: which run's page opened a tab (`opened_by`).
 * - `state/panel.js`: the side panel's pending right-click context and the run it shows.
 * - `state/page_control.js`: frame-number tables and the origins that need trusted input.
 * - `state/queue.js`: the one queue serialising the read-modify-writes above.
 *
 * Keys live elsewhere (`keystore.js`, IndexedDB): nothing secret is ever written here.
 */

/**
 * @typedef {import("./state/view.js").ConnectionStatus} ConnectionStatus
 * @typedef {import("./state/view.js").PairingPhase} PairingPhase
 * @typedef {import("./state/view.js").PairingState} PairingState
 * @typedef {import("./state/view.js").LastError} LastError
 * @typedef {import("./state/view.js").ViewState} ViewState
 * @typedef {import("./state/controlled_tabs.js").StopRequest} StopRequest
 * @typedef {import("./state/tab_runs.js").TabRuns} TabRuns
 * @typedef {import("./state/panel.js").RunContext} RunContext
 * @typedef {import("./state/panel.js").PendingContext} PendingContext
 * @typedef {import("./state/panel.js").PanelRun} PanelRun
 */

export {
  DEFAULT_PROFILE_LABEL,
  IDLE_PAIRING,
  clearLastError,
  errorState,
  getProfileLabel,
  onStateChanged,
  readState,
  resetConnectionState,
  setLastError,
  setProfileLabel,
  updateState,
} from "./state/view.js";
export { getControlledTabs, readStopRequests, recordStopRequest, setControlledTab } from "./state/controlled_tabs.js";
export { addTabRun, getRunGroup, getTabRuns, removeTabRun, setRunGroup } from "./state/tab_runs.js";
export { forgetOpenedBy, getOpenedBy, recordOpenedBy } from "./state/opened_by.js";
export { clearPendingContext, readPanelRun, readPendingContext, setPanelRun, setPendingContext } from "./state/panel.js";
export { addTrustedOrigin, readFrameTable, readTrustedOrigins, removeFrameTable, writeFrameTable } from "./state/page_control.js";
