/** `ping` (either direction): answered with `pong {time}`, our clock in ms since the epoch. */

/**
 * @param {() => number} [now]
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 */
export async function ping(now = Date.now) {
  return { kind: "pong", body: { time: Math.round(now()) } };
}
