/**
 * One error type for the extension, carrying the numeric code and name of `docs/PROTOCOL.md` §8 so that a
 * failure reads the same in the daemon log, on the wire, in the popup and in the CLI.
 *
 * `WebBridgeError.name` is the wire name (`"bad_mac"`), not a JavaScript class name. Errors the peer sent us
 * arrive as `RemoteError` (code 4003) holding the peer's own code and name.
 */

/** code → wire name, exactly the table of PROTOCOL.md §8 (plus 5004 from the Python error tree), browser control 6xxx included. */
export const ERROR_NAMES = Object.freeze(
  /** @type {Record<number, string>} */ ({
    1001: "frame_truncated",
    1002: "frame_empty",
    1003: "frame_too_large",
    1004: "invalid_utf8",
    1005: "invalid_json",
    1006: "json_too_deep",
    1007: "json_limits",
    1008: "duplicate_key",
    1009: "not_an_object",
    1010: "bad_chunk",
    2001: "unknown_kind",
    2002: "invalid_message",
    2003: "unexpected_kind",
    2004: "unsupported_protocol",
    3001: "missing_mac",
    3002: "bad_mac",
    3003: "bad_sequence",
    3004: "clock_skew",
    3005: "bad_session",
    3006: "not_paired",
    3007: "unsolicited_reply",
    3008: "pairing_failed",
    3009: "pairing_expired",
    3010: "origin_refused",
    3011: "keystore_insecure",
    4001: "timeout",
    4002: "channel_closed",
    4003: "remote_error",
    4004: "busy",
    5001: "bridge_not_found",
    5002: "daemon_unavailable",
    5003: "internal",
    5004: "config_error",
    6001: "stale_ref",
    6002: "navigated_away",
    6003: "not_actionable",
    6004: "url_blocked",
    6005: "tab_not_found",
    6006: "wait_timeout",
    6007: "action_failed",
    6008: "target_changed",
    6010: "capture_too_large",
    6011: "download_interrupted",
    6012: "upload_refused",
    6013: "output_refused",
    6014: "drop_not_accepted",
    6020: "dialog_open",
    6021: "dialog_opened",
    6022: "no_dialog",
    6023: "script_error",
    6024: "script_result_invalid",
    6025: "script_timeout",
    // Daemon tool results (7100-7149): shown in the side panel's steps, never sent by the extension.
    7100: "tool_error",
    7101: "unknown_tool",
    7102: "bad_tool_arguments",
    7103: "no_browser",
    7104: "no_tab",
    7110: "file_error",
    7111: "path_refused",
    7112: "file_not_found",
    7113: "not_a_file",
    7114: "not_a_directory",
    7115: "file_too_large",
    7116: "file_exists",
    7117: "write_failed",
    7130: "tab_not_granted",
    // Daemon-side codes (agent, runs, API, policy): shown in the side panel, never sent by the extension.
    7000: "model_error",
    7001: "model_auth",
    7002: "model_key_missing",
    7003: "model_not_found",
    7004: "model_unreachable",
    7005: "model_timeout",
    7006: "model_rate_limited",
    7007: "model_server_error",
    7008: "model_bad_response",
    7009: "model_context_too_long",
    7010: "model_request_rejected",
    7011: "model_input_invalid",
    7050: "run_error",
    7051: "run_not_found",
    7052: "too_many_runs",
    7053: "budget_exhausted",
    7054: "repeated_action",
    7055: "no_progress",
    7056: "run_cancelled",
    7057: "run_interrupted",
    7058: "events_lagged",
    7059: "store_error",
    7150: "runs_unavailable",
    7151: "artifact_unavailable",
    7152: "too_many_watches",
    7170: "workflow_failed",
    7171: "workflow_invalid",
    7180: "api_error",
    7181: "api_unauthorized",
    7182: "api_forbidden",
    7183: "api_bad_request",
    7184: "api_unsupported_media_type",
    7185: "api_body_too_large",
    7186: "api_method_not_allowed",
    7187: "api_not_found",
    7188: "api_token_insecure",
    8001: "policy_denied",
    8002: "approval_required",
    8003: "domain_refused",
    8004: "policy_invalid",
    8005: "grant_not_found",
    8006: "audit_broken",
    8007: "audit_unavailable",
    8010: "needs_you",
    8011: "approval_not_found",
    8012: "approval_answered",
    8013: "approval_invalid",
    8014: "plan_invalid",
    8020: "policy_unavailable",
    8021: "extension_policy_refused",
    8022: "policy_summary_missing",
  }),
);

/** Named codes, for readable call sites: `new WebBridgeError(Codes.BAD_MAC)`. */
export const Codes = Object.freeze({
  FRAME_TRUNCATED: 1001,
  FRAME_EMPTY: 1002,
  FRAME_TOO_LARGE: 1003,
  INVALID_UTF8: 1004,
  INVALID_JSON: 1005,
  JSON_TOO_DEEP: 1006,
  JSON_LIMITS: 1007,
  DUPLICATE_KEY: 1008,
  NOT_AN_OBJECT: 1009,
  BAD_CHUNK: 1010,
  UNKNOWN_KIND: 2001,
  INVALID_MESSAGE: 2002,
  UNEXPECTED_KIND: 2003,
  UNSUPPORTED_PROTOCOL: 2004,
  MISSING_MAC: 3001,
  BAD_MAC: 3002,
  BAD_SEQUENCE: 3003,
  CLOCK_SKEW: 3004,
  BAD_SESSION: 3005,
  NOT_PAIRED: 3006,
  UNSOLICITED_REPLY: 3007,
  PAIRING_FAILED: 3008,
  PAIRING_EXPIRED: 3009,
  ORIGIN_REFUSED: 3010,
  KEYSTORE_INSECURE: 3011,
  TIMEOUT: 4001,
  CHANNEL_CLOSED: 4002,
  REMOTE_ERROR: 4003,
  BUSY: 4004,
  BRIDGE_NOT_FOUND: 5001,
  DAEMON_UNAVAILABLE: 5002,
  INTERNAL: 5003,
  CONFIG_ERROR: 5004,
  STALE_REF: 6001,
  NAVIGATED_AWAY: 6002,
  NOT_ACTIONABLE: 6003,
  URL_BLOCKED: 6004,
  TAB_NOT_FOUND: 6005,
  WAIT_TIMEOUT: 6006,
  ACTION_FAILED: 6007,
  TARGET_CHANGED: 6008,
  CAPTURE_TOO_LARGE: 6010,
  DOWNLOAD_INTERRUPTED: 6011,
  UPLOAD_REFUSED: 6012,
  OUTPUT_REFUSED: 6013,
  DROP_NOT_ACCEPTED: 6014,
  DIALOG_OPEN: 6020,
  DIALOG_OPENED: 6021,
  NO_DIALOG: 6022,
  SCRIPT_ERROR: 6023,
  SCRIPT_RESULT_INVALID: 6024,
  SCRIPT_TIMEOUT: 6025,
  POLICY_UNAVAILABLE: 8020,
  EXTENSION_POLICY_REFUSED: 8021,
  POLICY_SUMMARY_MISSING: 8022,
});

/**
 * @typedef {{code: number, name: string, message: string}} WireError  the body of an `error` message
 */

export class WebBridgeError extends Error {
  /**
   * @param {number} code  a code of PROTOCOL.md §8; unknown codes read as 5003 `internal`
   * @param {string} [message]  human-readable detail (never page content or key material)
   * @param {Record<string, unknown>} [detail]  structured context for logs and tests
   */
  constructor(code, message, detail) {
    const known = Object.hasOwn(ERROR_NAMES, code) ? code : Codes.INTERNAL;
    const name = ERROR_NAMES[known];
    super(message || name);
    /** @type {number} */
    this.code = known;
    /** @type {string} the wire name, e.g. `"bad_mac"` */
    this.name = name;
    /** @type {Record<string, unknown>} */
    this.detail = detail ?? {};
    /** True when this failure ended the session (PROTOCOL.md §3 steps 1–5): drop the connection. */
    this.fatal = false;
  }

  /** @returns {WireError} */
  toWire() {
    return { code: this.code, name: this.name, message: this.message };
  }

  toString() {
    return `[${this.code} ${this.name}] ${this.message}`;
  }
}

/** The peer answered a request with an `error` body; `remoteCode`/`remoteName` say which. */
export class RemoteError extends WebBridgeError {
  /**
   * @param {string} message
   * @param {number} remoteCode
   * @param {string} remoteName
   */
  constructor(message, remoteCode, remoteName) {
    super(Codes.REMOTE_ERROR, message, { remoteCode, remoteName });
    /** @type {number} */
    this.remoteCode = remoteCode;
    /** @type {string} */
    this.remoteName = remoteName;
  }

  toString() {
    return `[${this.remoteCode} ${this.remoteName}] ${this.message}`;
  }
}

/**
 * Turn an `error` body received from the peer into a `RemoteError`, tolerating malformed fields.
 * @param {unknown} body
 * @returns {RemoteError}
 */
export function fromWire(body) {
  const b = /** @type {Record<string, unknown>} */ (body && typeof body === "object" ? body : {});
  const code = Number.isInteger(b.code) ? /** @type {number} */ (b.code) : Codes.INTERNAL;
  const name = typeof b.name === "string" ? b.name : (ERROR_NAMES[code] ?? "internal");
  const message = typeof b.message === "string" ? b.message.slice(0, 500) : "remote error";
  return new RemoteError(message, code, name);
}

/**
 * Wrap anything thrown into a `WebBridgeError` (5003 `internal` unless it already is one).
 * @param {unknown} err
 * @returns {WebBridgeError}
 */
export function asWebBridgeError(err) {
  if (err instanceof WebBridgeError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new WebBridgeError(Codes.INTERNAL, message);
}

/**
 * True for the failures of PROTOCOL.md §3 steps 1–5, after which the session ends and the extension
 * reconnects and handshakes afresh.
 * @param {unknown} err
 * @returns {boolean}
 */
export function endsSession(err) {
  return err instanceof WebBridgeError && (err.fatal || (err.code >= 3001 && err.code <= 3005));
}
