/**
 * UI actions that relay a page's request to the daemon unchanged: the page sends `{type: kind, body}`, the
 * action checks that `body` is an object, sends it as that request over the authenticated channel with the
 * kind's deadline, and answers the reply body. The router has checked the sender (our own pages) first.
 */

import { Codes, WebBridgeError } from "../protocol/errors.js";
import { openChannel } from "./connection.js";

/**
 * One relaying UI action per kind.
 * @param {Readonly<Record<string, number>>} kinds  kind → deadline (ms)
 * @returns {Record<string, import("./router.js").UiAction>}  each throws INVALID_MESSAGE for a body that is not
 *   an object, and the daemon's typed error (or a channel error) as the request does
 */
export function relayActions(kinds) {
  return Object.fromEntries(
    Object.entries(kinds).map(([kind, timeoutMs]) => [
      kind,
      async (/** @type {import("./router.js").UiMessage} */ msg) => {
        const body = msg.body;
        if (!body || typeof body !== "object" || Array.isArray(body)) {
          throw new WebBridgeError(Codes.INVALID_MESSAGE, `${kind}: body must be an object`);
        }
        const reply = await openChannel().request(kind, /** @type {Record<string, unknown>} */ (body), { timeoutMs });
        return reply.body;
      },
    ]),
  );
}
