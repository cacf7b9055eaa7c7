/**
 * Events the daemon sends on the authenticated channel (no reply): `run.event` goes to the open side panels.
 * The channel has verified and schema-checked the message; an unknown event kind is dropped and counted.
 */

import { postRunEvent } from "../panel_ports.js";

/** Events dropped because no handler knows their kind. */
export const eventCounters = { run_events: 0, unhandled: 0 };

/** Handlers of other event kinds (`approval.event`, `policy.changed`), registered by the service worker. */
const more = new Map();

/**
 * Handle daemon events of `kind` with `handler` (replacing an earlier one).
 * @param {string} kind
 * @param {(msg: import("../../protocol/session.js").Message) => void} handler
 */
export function onDaemonEventKind(kind, handler) {
  more.set(kind, handler);
}

/**
 * The channel's `onEvent`.
 * @param {import("../../protocol/session.js").Message} msg
 */
export function onDaemonEvent(msg) {
  if (msg.kind === "run.event") {
    eventCounters.run_events++;
    postRunEvent(msg.body.event);
    return;
  }
  const handler = more.get(msg.kind);
  if (handler) {
    handler(msg);
    return;
  }
  eventCounters.unhandled++;
}
