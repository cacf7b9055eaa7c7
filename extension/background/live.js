/**
 * Live counters and what the live connection is doing, for the popup's status and the debug hook.
 *
 * Nothing here is persisted (a fresh service worker starts from zero); what the UI must keep goes through
 * `state.js`. The counters are changed only through `count()` and `countDropped()`.
 */

/**
 * @typedef {import("./conn.js").Conn} Conn
 * @typedef {import("./conn.js").Phase} Phase
 * @typedef {{connects: number, sessions: number, disconnects: number, droppedFrames: number}} Counters
 * @typedef {{
 *   phase: Phase | "none",
 *   sid: string | null,
 *   pending: number,
 *   stats: Record<string, number> | null,
 *   serial: number,
 * }} LiveInfo
 */

/** @type {Counters} */
const tally = { connects: 0, sessions: 0, disconnects: 0, droppedFrames: 0 };

/** Live counters since this service worker started (read-only outside this module). */
export const counters = /** @type {Readonly<Counters>} */ (tally);

/**
 * Count a connection attempt, an opened session or a dropped port.
 * @param {"connects" | "sessions" | "disconnects"} name
 */
export function count(name) {
  tally[name]++;
}

/**
 * Count a frame from the daemon we could not use, on its connection and in total.
 * @param {Conn} conn
 */
export function countDropped(conn) {
  conn.dropped++;
  tally.droppedFrames++;
}

/**
 * What a connection is doing.
 * @param {Conn | null} conn  the open connection, or null when there is none
 * @returns {LiveInfo}
 */
export function describeLive(conn) {
  return {
    phase: conn?.phase ?? "none",
    sid: conn?.session?.sid ?? null,
    pending: conn?.channel?.pendingCount ?? 0,
    stats: conn?.channel ? { ...conn.channel.stats, dropped: conn.dropped } : null,
    serial: conn?.serial ?? 0,
  };
}
