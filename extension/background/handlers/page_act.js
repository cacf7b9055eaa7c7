/**
 * `page.act` (daemon → extension): one action on one element, never anywhere else.
 *
 * 1. The tab exists (else 6005) and, when `expect_url` is given, is still on exactly that URL (else 6002).
 * 2. The ref's frame number still names a live document of the tab (else 6001: the page navigated or the
 *    frame went away); the content script then checks that the ref names the same live element and that
 *    it can be acted on (6001 / 6003; content/actions.js) and, with `expect_role`/`expect_name` (the
 *    snapshot's role and name of the ref), that the live element still has them — before acting and again
 *    once the pointer is over it, before any press (6008 `target_changed`, nothing pressed: W6). A click
 *    or Enter that would submit a form to a site the policy summary denies for `submit` is refused (8021).
 * 3. Input: `dom` dispatches DOM events; `trusted` uses `chrome.debugger` input at the element's centre;
 *    `auto` acts exactly once, with the input chosen before acting (auto_input.js): trusted on a site
 *    remembered for it, and for a `hover` whose `:hover` rules reveal something; DOM events otherwise.
 *    When DOM events had no observable effect and were provably not handled (no default action of their
 *    own, not prevented, no request started), the site is remembered for this browser session and later
 *    `auto` actions there use trusted input; the action itself is never repeated. The reply's `input_used`
 *    says which was used (`none`: nothing to do, e.g. a checkbox already in the wanted state).
 * 4. After the action, with `delta` (default): wait for the page to settle, event-driven (a navigation's
 *    new document loaded, else the DOM quiet for 50 ms, at most 2 s), then answer what changed since the
 *    previous snapshot (a delta snapshot; a new document gets its default view).
 */

import { Codes, WebBridgeError } from "../../protocol/errors.js";
import { originOf, planInput, shouldSwitchSite } from "../auto_input.js";
import { callContent, ensureInjected } from "../content.js";
import { frameOfRef } from "../frames.js";
import { watchNavigation } from "../nav_watch.js";
import { onRequestEvent } from "../net_hook.js";
import { currentSummary, firstRefusal, noteRefusal } from "../policy_check.js";
import { addTrustedOrigin, readTrustedOrigins } from "../state.js";
import { insertText, keyPress, mouseClick, mouseMove, topPoint } from "../trusted_input.js";
import { getTab, takeSnapshot } from "./page_snapshot.js";

/** @typedef {import("../frames.js").FrameInfo} FrameInfo */

/**
 * @typedef {{
 *   tab_id: number, action: string, ref?: string | null, expect_url?: string | null, text?: string | null,
 *   values?: string[] | null, checked?: boolean | null, keys?: string | null, dx?: number | null,
 *   dy?: number | null, input?: "auto" | "dom" | "trusted", delta?: boolean, expect_role?: string | null,
 *   expect_name?: string | null,
 * }} ActBody
 */

/** How long the DOM path waits, event-driven, for a first effect before it says there was none. */
const EFFECT_MS = 150;
const SETTLE = { quiet_ms: 50, max_ms: 2000 };
const NAV_LOAD_MS = 10_000;
/**
 * The extension's own re-check of where a form goes (W8): a click or Enter that submits a form whose action
 * URL is on a site the policy summary denies for `submit` is refused with 8021 before anything happens.
 * @param {number} tabId
 * @param {FrameInfo} frame
 * @param {ActBody} body
 */
async function refuseDeniedFormTarget(tabId, frame, body) {
  const summary = currentSummary();
  const submitting = body.action === "click" || body.action === "dblclick" || (body.action === "press" && /(^|\+)Enter$/.test(body.keys ?? ""));
  if (!summary || !body.ref || !submitting) return;
  const d = await callContent(tabId, frame, "describe", { ref: body.ref });
  if (!d.submits || typeof d.form_action !== "string") return;
  const refusal = firstRefusal(summary, [{ url: d.form_action, classes: ["submit"] }]);
  if (refusal) {
    noteRefusal();
    throw new WebBridgeError(
      Codes.EXTENSION_POLICY_REFUSED,
      `refused page.act: the form sends to ${refusal.host}, where ${refusal.cls} is denied by the policy (${refusal.rule}); the extension checked again`,
      { host: refusal.host, cls: refusal.cls, rule: refusal.rule },
    );
  }
}

/** Pointer actions that press a button: checked again once the real pointer is over the element. */
const PRESSES = new Set(["click", "dblclick", "rightclick", "check"]);

/**
 * Perform the action with trusted input: locate (checks, scroll, focus) in the content script, then CDP.
 * @param {number} tabId
 * @param {FrameInfo[]} frames
 * @param {FrameInfo} frame
 * @param {Record<string, unknown>} args
 * @returns {Promise<"trusted" | "dom" | "none">}
 */
async function trustedAct(tabId, frames, frame, args) {
  const action = String(args.action);
  const loc = await callContent(tabId, frame, "act", { ...args, phase: "locate" });
  if (action === "fill" && !loc.text_field) {
    // Setting a select/date/checkbox value has no trusted form: the DOM path does it.
    const r = await callContent(tabId, frame, "act", { ...args, phase: "dom", detect: false });
    return r.noop ? "none" : "dom";
  }
  if (action === "check" && loc.checked === (args.checked ?? true)) return "none";
  const p = loc.point ? await topPoint(tabId, frames, frame, loc.point) : null;
  if (p && PRESSES.has(action)) {
    // The pointer first, then the checks again: a page may swap the element when the pointer arrives (W6),
    // and the press must not land on whatever took its place.
    await mouseMove(tabId, p.x, p.y);
    await callContent(tabId, frame, "act", { ...args, phase: "verify" });
  }
  switch (action) {
    case "click":
    case "check":
      await mouseClick(tabId, /** @type {{x: number, y: number}} */ (p).x, /** @type {{x: number, y: number}} */ (p).y);
      break;
    case "dblclick":
      await mouseClick(tabId, /** @type {{x: number, y: number}} */ (p).x, /** @type {{x: number, y: number}} */ (p).y, { count: 2 });
      break;
    case "rightclick":
      await mouseClick(tabId, /** @type {{x: number, y: number}} */ (p).x, /** @type {{x: number, y: number}} */ (p).y, { button: "right" });
      break;
    case "hover":
      await mouseMove(tabId, /** @type {{x: number, y: number}} */ (p).x, /** @type {{x: number, y: number}} */ (p).y);
      break;
    case "fill":
      await insertText(tabId, String(args.text ?? ""));
      if (!args.text) await keyPress(tabId, { key: "Delete", code: "Delete", keyCode: 46, text: "", modifiers: [], bits: 0 });
      break;
    case "type":
    case "press":
      for (const k of loc.keys ?? []) await keyPress(tabId, k);
      break;
    default:
      throw new WebBridgeError(Codes.ACTION_FAILED, `${action} has no trusted form`);
  }
  return "trusted";
}

/**
 * Run one action (the handler's logic).
 * @param {ActBody} body
 * @returns {Promise<{url: string, input_used: "dom" | "trusted" | "none", navigated: boolean, delta?: string}>}
 */
export async function act(body) {
  const tabId = body.tab_id;
  const action = body.action;
  const input = body.input ?? "auto";
  const tab = await getTab(tabId);
  const url = tab.url ?? "";
  if (body.expect_url != null && url !== body.expect_url) {
    throw new WebBridgeError(Codes.NAVIGATED_AWAY, `the tab is on ${url.slice(0, 500)}, not on the expected ${body.expect_url.slice(0, 500)}`);
  }
  const frames = await ensureInjected(tabId);
  let frame = frames[0];
  if (body.ref) {
    const n = frameOfRef(body.ref);
    const found = frames.find((f) => f.n === n);
    if (!found) throw new WebBridgeError(Codes.STALE_REF, `stale ref ${body.ref}: its page or frame is gone (navigated or removed); take a new snapshot`);
    frame = found;
  }
  const args = {
    action, ref: body.ref ?? undefined, text: body.text ?? undefined, values: body.values ?? undefined,
    checked: body.checked ?? undefined, keys: body.keys ?? undefined, dx: body.dx ?? undefined, dy: body.dy ?? undefined,
    expect_role: body.expect_role ?? undefined, expect_name: body.expect_name ?? undefined,
  };
  await refuseDeniedFormTarget(tabId, frame, body);
  const origin = originOf(url);
  const nav = watchNavigation(tabId);
  /** @type {"dom" | "trusted" | "none"} */
  let used = "dom";
  try {
    const trustedSite = input === "auto" && origin !== "" && (await readTrustedOrigins()).includes(origin);
    const plan = planInput({ input, action, trustedSite });
    try {
      if (plan === "trusted") {
        used = await trustedAct(tabId, frames, frame, args);
      } else {
        // A request the tab starts while the DOM events run is an effect the page's DOM may not show.
        let network = false;
        const unsubscribe = onRequestEvent((phase, req) => {
          if (phase === "start" && req.tabId === tabId) network = true;
        });
        try {
          const auto = input === "auto";
          const r = await callContent(tabId, frame, "act", {
            ...args, phase: "dom", detect: auto, effect_ms: EFFECT_MS, hover_probe: plan === "hover-probe",
          });
          if (r.trusted_wanted) used = await trustedAct(tabId, frames, frame, args);
          else if (r.noop) used = "none";
          else if (auto && origin && shouldSwitchSite({ action, ...r, network: network || nav.started() })) {
            await addTrustedOrigin(origin);
          }
        } finally {
          unsubscribe();
        }
      }
    } catch (err) {
      // The document went away while acting: the action started a navigation (it happened), unless the
      // page had already left before we acted.
      if (!(err instanceof WebBridgeError && err.detail.gone && nav.started())) throw err;
    }
    /** @type {string | undefined} */
    let delta;
    if (body.delta ?? true) {
      if (nav.started()) await nav.waitLoaded(NAV_LOAD_MS);
      else {
        try {
          await callContent(tabId, frame, "settle", SETTLE, { timeoutMs: SETTLE.max_ms + 1000 });
        } catch {
          // the frame went away while settling: the snapshot below shows what is there now
        }
        if (nav.started()) await nav.waitLoaded(NAV_LOAD_MS);
      }
      delta = (await takeSnapshot({ tab_id: tabId, mode: "delta" })).text;
    }
    // The URL now: unchanged unless a navigation (or a history change) was seen.
    const nowUrl = nav.started() || nav.navigated() ? ((await getTab(tabId)).url ?? url) : url;
    return { url: nowUrl.slice(0, 8192), input_used: used, navigated: nav.navigated() || nowUrl !== url, ...(delta !== undefined ? { delta } : {}) };
  } finally {
    nav.stop();
  }
}

/**
 * The `page.act` handler.
 * @param {{kind: string, body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 */
export async function pageAct(msg) {
  const reply = await act(/** @type {ActBody} */ (/** @type {unknown} */ (msg.body)));
  return { kind: "page.act.result", body: reply };
}
