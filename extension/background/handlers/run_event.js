/**
 * Events the daemon sends on the authenticated channel (no reply): `run.event` goes to the open side panels.
 * The channel has verified and schema-checked the message; an unknown event kind is dropped and counted.
 */

import { postRunEvent } from "../panel_ports.js";

/** Events dropped because no handler knows their kind. */
export const eventCounters = { run_events: 0, unhandled: 0 };

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
  eventCounters.unhandled++;
}
