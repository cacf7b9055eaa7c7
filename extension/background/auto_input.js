/**
 * The `auto` input rule of `page.act`, as pure functions (page_act.js does the I/O). The one guarantee:
 * an action is performed once, never repeated with other input (a repeat would download a file twice, post
 * a message twice, or start a second request, whenever the first one's effect was invisible to us).
 *
 * - Before acting: on an origin remembered for trusted input (this browser session), actions that have a
 *   trusted form use it at once. A `hover` whose element has `:hover` style rules that change other
 *   elements or pseudo-elements (menus, tooltips: `li:hover > ul`, `.tip:hover::after`) uses trusted input
 *   at once as well, because DOM events never set CSS `:hover`; a hover that at most restyles the element
 *   itself (`a:hover { color }`) uses DOM events, since nothing the page model shows would change.
 * - After DOM events had no observable effect (see content/actions_effect.js, plus a request the tab
 *   started while acting): nothing is repeated. The origin is remembered for trusted input when the DOM
 *   events were provably not handled by anything we can see: the action is one that trusted input does
 *   differently (pointer clicks, `check`, `press`), the target performs no default action of its own for
 *   synthetic events (a link with `href`, a download, a form submit/reset button, a label, a summary, a
 *   form control or editable element: the DOM path already did what the browser does), and no page
 *   listener prevented the events or stopped their propagation (the page handled them).
 */

/** Actions that trusted input can perform. */
export const TRUSTED_FORMS = new Set(["click", "dblclick", "rightclick", "hover", "type", "press", "check", "fill"]);
/** Actions whose no-effect DOM form makes the site switch to trusted input for later actions. */
export const SWITCHES_SITE = new Set(["click", "dblclick", "rightclick", "check", "press"]);

/**
 * How to act before anything happened.
 * @param {{input: "auto" | "dom" | "trusted", action: string, trustedSite: boolean}} o
 * @returns {"dom" | "trusted" | "hover-probe"}  `hover-probe`: DOM events unless the element's `:hover`
 *   rules matter (the content script answers which)
 */
export function planInput({ input, action, trustedSite }) {
  if (!TRUSTED_FORMS.has(action) || input === "dom") return "dom";
  if (input === "trusted" || trustedSite) return "trusted";
  return action === "hover" ? "hover-probe" : "dom";
}

/**
 * Whether the origin should use trusted input from now on, after an `auto` action acted with DOM events.
 * @param {{action: string, effect: boolean, activation: boolean, handled: boolean, network: boolean, noop?: boolean}} r
 *   `effect`: something observable followed in the page; `activation`: the target has a default action that
 *   synthetic events trigger too; `handled`: a page listener prevented or stopped one of the events;
 *   `network`: the tab started a request while acting
 * @returns {boolean}
 */
export function shouldSwitchSite(r) {
  return SWITCHES_SITE.has(r.action) && !r.noop && !r.effect && !r.activation && !r.handled && !r.network;
}

/**
 * @param {string} url
 * @returns {string} the origin, or "" for URLs without one (`about:blank`, `data:`)
 */
export function originOf(url) {
  try {
    const o = new URL(url).origin;
    return o === "null" ? "" : o;
  } catch {
    return "";
  }
}
