/**
 * The extension's visible state: what the popup, the options page and the side panel render, and re-render
 * on `chrome.storage.onChanged`.
 *
 * - `chrome.storage.session` (memory only, extension pages only): connection status, daemon version, bridge
 *   id and label, pairing phase and the pending code, the last error. None of it outlives the browser.
 * - `chrome.storage.local` (on disk): the profile label the user gave this browser profile.
 */

/**
 * @typedef {"starting" | "connecting" | "connected" | "not_paired" | "host_not_found" | "host_forbidden"
 *   | "disconnected"} ConnectionStatus
 * @typedef {"idle" | "starting" | "compare" | "confirmed" | "done" | "failed"} PairingPhase
 * @typedef {{phase: PairingPhase, sas: string | null, pair_id: string | null, started: number | null}} PairingState
 *   `sas` is the six digits, no space; `started` is ms since the epoch
 * @typedef {{code: number, name: string, message: string, hint: string, at: number}} LastError
 * @typedef {{
 *   connection: ConnectionStatus,
 *   daemon_version: string | null,
 *   bridge_id: string | null,
 *   bridge_label: string | null,
 *   pairing_id: string | null,
 *   pairing: PairingState,
 *   last_error: LastError | null,
 *   profile_label: string,
 * }} ViewState
 */

export const DEFAULT_PROFILE_LABEL = "Default";

/** @type {Readonly<PairingState>} */
export const IDLE_PAIRING = Object.freeze({ phase: "idle", sas: null, pair_id: null, started: null });

/** @type {Readonly<Omit<ViewState, "profile_label">>} */
const SESSION_DEFAULTS = Object.freeze({
  connection: "starting",
  daemon_version: null,
  bridge_id: null,
  bridge_label: null,
  pairing_id: null,
  pairing: IDLE_PAIRING,
  last_error: null,
});

/**
 * The whole visible state, with defaults for what was never written.
 * @returns {Promise<ViewState>}
 */
export async function readState() {
  const [session, local] = await Promise.all([
    chrome.storage.session.get(Object.keys(SESSION_DEFAULTS)),
    chrome.storage.local.get("profile_label"),
  ]);
  const label = typeof local.profile_label === "string" && local.profile_label ? local.profile_label : DEFAULT_PROFILE_LABEL;
  return /** @type {ViewState} */ ({ ...SESSION_DEFAULTS, ...session, profile_label: label });
}

/**
 * Write part of the session state.
 * @param {Partial<Omit<ViewState, "profile_label">>} patch
 * @returns {Promise<void>}
 */
export async function updateState(patch) {
  await chrome.storage.session.set(patch);
}

/**
 * Back to the state of a fresh start (on every worker wake-up without a live connection), keeping what
 * is still true: the pairing id, the daemon version, and the last error until something replaces it.
 * @returns {Promise<void>}
 */
export async function resetConnectionState() {
  const { connection } = await chrome.storage.session.get("connection");
  // While the host is missing, retries must not make the popup flicker between "connecting" and the fix.
  const keep = connection === "host_not_found" || connection === "host_forbidden";
  await chrome.storage.session.set({
    ...(keep ? {} : { connection: "connecting" }),
    bridge_id: null,
    bridge_label: null,
    pairing: IDLE_PAIRING,
  });
}

/**
 * The stored form of an error, with what the user should do about it (for `updateState({last_error})`, so
 * that a status and the error explaining it change in one write).
 * @param {{code: number, name: string, message: string}} err  a `WebBridgeError` or a wire error body
 * @param {string} [hint]
 * @returns {LastError}
 */
export function errorState(err, hint = "") {
  return { code: err.code, name: err.name, message: String(err.message).slice(0, 1000), hint, at: Date.now() };
}

/**
 * Record the last error with what the user should do about it.
 * @param {{code: number, name: string, message: string}} err  a `WebBridgeError` or a wire error body
 * @param {string} [hint]
 * @returns {Promise<void>}
 */
export async function setLastError(err, hint = "") {
  await chrome.storage.session.set({ last_error: errorState(err, hint) });
}

/** @returns {Promise<void>} */
export async function clearLastError() {
  await chrome.storage.session.set({ last_error: null });
}

/** @returns {Promise<string>} */
export async function getProfileLabel() {
  const { profile_label } = await chrome.storage.local.get("profile_label");
  return typeof profile_label === "string" && profile_label ? profile_label : DEFAULT_PROFILE_LABEL;
}

/**
 * @param {string} label  1–256 characters; trimmed
 * @returns {Promise<string>} the label stored
 */
export async function setProfileLabel(label) {
  const clean = String(label).trim().slice(0, 256) || DEFAULT_PROFILE_LABEL;
  await chrome.storage.local.set({ profile_label: clean });
  return clean;
}

/**
 * Call `listener` whenever the visible state changes (popup re-rendering).
 * @param {() => void} listener
 * @returns {() => void} unsubscribe
 */
export function onStateChanged(listener) {
  /** @param {Record<string, chrome.storage.StorageChange>} _changes @param {string} area */
  const handler = (_changes, area) => {
    if (area === "session" || area === "local") listener();
  };
  chrome.storage.onChanged.addListener(handler);
  return () => chrome.storage.onChanged.removeListener(handler);
}
