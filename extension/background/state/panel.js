/**
 * The side panel's state in `chrome.storage.session`: the context a right-click handed over
 * (`pending_context`) and the run the panel shows (`panel_run`).
 */

/**
 * @typedef {{
 *   what: "page" | "selection" | "link" | "image",
 *   page_url: string | null,
 *   page_title: string | null,
 *   selection: string | null,
 *   link_url: string | null,
 *   image_url: string | null,
 * }} RunContext  what a right-click attached (untrusted page data), as `run.start` carries it
 * @typedef {{tab_id: number, context: RunContext, at: number}} PendingContext  waiting for the side panel
 * @typedef {{run_id: string, tab_id: number | null}} PanelRun  the run the side panel shows
 */

/**
 * Hand a right-click's context to the side panel (replacing one not yet used).
 * @param {PendingContext} pending
 * @returns {Promise<void>}
 */
export async function setPendingContext(pending) {
  await chrome.storage.session.set({ pending_context: pending });
}

/** @returns {Promise<PendingContext | null>} */
export async function readPendingContext() {
  const { pending_context } = await chrome.storage.session.get("pending_context");
  return pending_context && typeof pending_context === "object" ? /** @type {PendingContext} */ (pending_context) : null;
}

/** @returns {Promise<void>} */
export async function clearPendingContext() {
  await chrome.storage.session.remove("pending_context");
}

/**
 * Remember the run the side panel shows, so that a reopened panel follows it again.
 * @param {PanelRun | null} run
 * @returns {Promise<void>}
 */
export async function setPanelRun(run) {
  if (run) await chrome.storage.session.set({ panel_run: run });
  else await chrome.storage.session.remove("panel_run");
}

/** @returns {Promise<PanelRun | null>} */
export async function readPanelRun() {
  const { panel_run } = await chrome.storage.session.get("panel_run");
  return panel_run && typeof panel_run === "object" ? /** @type {PanelRun} */ (panel_run) : null;
}
