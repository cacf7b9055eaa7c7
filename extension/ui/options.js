/**
 * The options page: the policy in force (mode, the sites the agent may not act on), the grants with a Revoke
 * button each, and this browser's bridge label. It reads through the service worker (the policy kinds of
 * PROTOCOL.md §5.4, relayed over the authenticated channel) and `state.js`; reachable from the side panel's
 * Settings button and the browser's extension menu.
 *
 * Stable element ids (the end-to-end tests use them): #conn (`data-state`), #mode (`data-mode`), #mode-text,
 * #policy-source, #policy-version, #denied-list, #grants-list (li with `data-grant-id`, `data-active`, a
 * `.what` line and `button.revoke`), #grants-empty, #grants-all, #grants-refresh, #bridge-label, #bridge-id,
 * #profile-label, #label-form, #error, #error-message.
 */

import { onStateChanged, readState, setProfileLabel } from "../background/state.js";
import { deniedLines, describeGrant, describeMode } from "./options_model.js";
import { el, send, showError } from "./page_common.js";

/**
 * @typedef {import("./options_model.js").GrantInfo} GrantInfo
 */

/**
 * @param {string} tag
 * @param {string} [cls]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
function make(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function loadPolicy() {
  const summary = await send("policy.summary", {});
  el("mode").textContent = summary.mode;
  el("mode").dataset.mode = summary.mode;
  el("mode-text").textContent = describeMode(summary.mode);
  el("policy-source").textContent = summary.source;
  el("policy-version").textContent = summary.version;
  el("denied-list").replaceChildren(...deniedLines(summary).map((line) => make("li", "", line)));
}

async function loadGrants() {
  const all = /** @type {HTMLInputElement} */ (el("grants-all")).checked;
  const res = await send("grants.list", { include_inactive: all });
  const rows = res.grants.map((/** @type {GrantInfo} */ g) => {
    const li = make("li");
    li.dataset.grantId = g.grant_id;
    li.dataset.active = String(g.active);
    li.append(make("span", "what", describeGrant(g)));
    if (g.active) {
      const button = /** @type {HTMLButtonElement} */ (make("button", "revoke danger", "Revoke"));
      button.type = "button";
      button.addEventListener("click", () => void revoke(g.grant_id, button));
      li.append(button);
    }
    return li;
  });
  el("grants-list").replaceChildren(...rows);
  el("grants-empty").hidden = rows.length > 0;
}

/**
 * @param {string} grantId
 * @param {HTMLButtonElement} button
 */
async function revoke(grantId, button) {
  button.disabled = true;
  try {
    await send("grants.revoke", { grant_id: grantId });
    showError(null);
  } catch (err) {
    showError(err);
  }
  await loadGrants().catch(showError);
}

/** @param {SubmitEvent} event */
async function onSaveLabel(event) {
  event.preventDefault();
  try {
    const label = /** @type {HTMLInputElement} */ (el("profile-label")).value;
    /** @type {HTMLInputElement} */ (el("profile-label")).value = await setProfileLabel(label);
    await send("reconnect");
    showError(null);
  } catch (err) {
    showError(err);
  }
}

/** @type {string | null} the bridge whose data is shown */
let shownBridge = null;

async function onStateChange() {
  const s = await readState();
  el("conn").dataset.state = s.connection;
  el("conn").textContent = s.connection === "connected" ? "Connected to the daemon" : `Not connected (${s.connection})`;
  el("bridge-label").textContent = s.bridge_label ?? "—";
  el("bridge-id").textContent = s.bridge_id ?? "";
  const input = /** @type {HTMLInputElement} */ (el("profile-label"));
  if (document.activeElement !== input) input.value = s.profile_label;
  if (s.connection === "connected" && s.bridge_id !== shownBridge) {
    shownBridge = s.bridge_id;
    await Promise.all([loadPolicy(), loadGrants()]).then(() => showError(null), showError);
  } else if (s.connection !== "connected") {
    shownBridge = null;
  }
}

el("grants-refresh").addEventListener("click", () => void loadGrants().catch(showError));
el("grants-all").addEventListener("change", () => void loadGrants().catch(showError));
el("label-form").addEventListener("submit", (e) => void onSaveLabel(/** @type {SubmitEvent} */ (e)));
onStateChanged(() => void onStateChange());
void onStateChange();
