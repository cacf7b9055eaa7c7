/**
 * The popup: connection status and pairing. It reads the state through `state.js` (which alone touches
 * `chrome.storage`), re-renders on every change, and acts only by messages to the service worker.
 *
 * Stable element ids (the end-to-end tests use them): #status (with `data-state` = the connection status),
 * #daemon-version, #bridge-id, #bridge-label, #pair-button, #pairing (with `data-phase`), #sas,
 * #confirm-button, #cancel-button, #retry-button, #error (#error-message, #error-hint).
 */

import { formatSas } from "../protocol/pairing.js";
import { onStateChanged, readState } from "../background/state.js";
import { el } from "./page_common.js";

/**
 * @typedef {import("../background/state.js").ViewState} ViewState
 * @typedef {import("../background/router.js").UiResponse} UiResponse
 */

/** @type {Record<string, string>} */
const STATUS_TEXT = {
  starting: "Starting…",
  connecting: "Connecting…",
  connected: "Connected",
  not_paired: "Not paired",
  host_not_found: "Host not found",
  host_forbidden: "Host refuses this extension",
  disconnected: "Disconnected — retrying…",
};

/** Pairing instructions: text, then a command shown as code, then text. */
/** @type {Record<string, [string, string, string]>} */
const PAIRING_TEXT = {
  starting: ["Starting pairing…", "", ""],
  compare: ["Run ", "webbridge pair", " in a terminal and check that it shows the same code:"],
  confirmed: ["Now confirm the same code in the terminal with ", "webbridge pair", "."],
  done: ["Paired. Connecting…", "", ""],
};

/**
 * @param {string} id
 * @param {boolean} visible
 */
function show(id, visible) {
  el(id).hidden = !visible;
}

/** @param {ViewState} s */
function render(s) {
  const phase = s.pairing.phase;
  const active = phase === "starting" || phase === "compare" || phase === "confirmed" || phase === "done";
  const status = el("status");
  status.dataset.state = s.connection;
  status.textContent = active && s.connection === "not_paired" ? "Pairing…" : (STATUS_TEXT[s.connection] ?? s.connection);

  el("daemon-version").textContent = s.daemon_version ?? "—";
  el("bridge-label").textContent = s.connection === "connected" ? (s.bridge_label ?? "—") : "—";
  el("bridge-id").textContent = s.connection === "connected" ? (s.bridge_id ?? "") : "";

  const pairing = el("pairing");
  pairing.dataset.phase = phase;
  show("pairing", active);
  const [before, command, after] = PAIRING_TEXT[phase] ?? ["", "", ""];
  const code = document.createElement("code");
  code.textContent = command;
  el("pairing-text").replaceChildren(before, ...(command ? [code] : []), after);
  const sas = el("sas");
  sas.textContent = phase === "compare" && s.pairing.sas ? formatSas(s.pairing.sas) : "";
  show("sas", phase === "compare" && !!s.pairing.sas);
  show("confirm-button", phase === "compare");
  show("cancel-button", phase === "starting" || phase === "compare" || phase === "confirmed");

  show("pair-button", s.connection === "not_paired" && !active);
  show("retry-button", ["host_not_found", "host_forbidden", "disconnected"].includes(s.connection));

  const err = s.last_error;
  show("error", !!err);
  el("error-message").textContent = err ? `${err.message} (${err.code} ${err.name})` : "";
  el("error-hint").textContent = err?.hint ?? "";
}

/**
 * Ask the service worker to act; failures show up through the state it records.
 * @param {string} type
 * @returns {Promise<UiResponse | undefined>}
 */
async function send(type) {
  try {
    return /** @type {UiResponse} */ (await chrome.runtime.sendMessage({ type }));
  } catch (err) {
    console.error("webbridge popup:", err);
    return undefined;
  }
}

async function refresh() {
  render(await readState());
}

/**
 * @param {string} id
 * @param {string} type
 */
function onClick(id, type) {
  el(id).addEventListener("click", async (event) => {
    const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
    button.disabled = true;
    try {
      const res = await send(type);
      await refresh();
      // Refusals that change no state (e.g. "not connected yet") are shown here until the next change.
      if (res && !res.ok) {
        show("error", true);
        el("error-message").textContent = `${res.error.message} (${res.error.code} ${res.error.name})`;
        el("error-hint").textContent = "";
      }
    } finally {
      button.disabled = false;
    }
  });
}

onClick("pair-button", "pair");
onClick("confirm-button", "confirm");
onClick("cancel-button", "cancel");
onClick("retry-button", "reconnect");
onStateChanged(() => void refresh());
void refresh();
// Opening the popup wakes the worker, whose start() reconnects if nothing is live.
void send("status");
