/**
 * What the user should do, per kind of failure: the hint the popup shows under the recorded error
 * (`state.js` `errorState(err, hint)`). Shared by every phase of the connection.
 */

export const HINTS = Object.freeze({
  hostNotFound: "The native host is not installed for this browser: run `webbridge install`, then reopen this popup.",
  hostForbidden:
    "The native host does not allow this extension's id: run `webbridge install` again (it writes the id into the host manifest).",
  disconnected: "Reconnecting automatically. If this persists, check `webbridge status`.",
  notRecognised: "The daemon does not know this browser's pairing (revoked, or a new daemon store): pair again.",
  pairing: "Start pairing again from this popup and confirm the same code with `webbridge pair`.",
  session: "The session was dropped for safety and is being re-established.",
  clock: "This computer's clock and the daemon's differ by more than two minutes: fix the system clock.",
  protocol: "The daemon speaks another protocol version: update WebBridge so both sides match.",
});
