"""One error tree for WebBridge, sorted by who must act.

Every error carries a numeric ``code`` and a ``name`` from the table in ``docs/PROTOCOL.md`` §8, so the same
failure reads the same in the daemon log, on the wire, in the extension and in the CLI.

- :class:`ProtocolError` and its children: the peer sent something we refuse (framing, message, auth).
  :class:`SessionError` subclasses end the session.
- :class:`ChannelError`: a request could not complete (timeout, connection closed, remote error, busy).
- :class:`BridgeError`: a CLI or daemon-level failure the user must act on.
- :class:`ConfigError`: a setting or file is wrong; the message names it.
"""

from __future__ import annotations

from typing import Any, ClassVar


class WebBridgeError(Exception):
    """Base of every error WebBridge raises on purpose."""

    code: ClassVar[int] = 5003
    name: ClassVar[str] = "internal"
    #: The agent loop shows this error to the model as a tool result (it can recover); otherwise it ends
    #: the run or goes to the user.
    model_visible: ClassVar[bool] = False

    def __init__(self, message: str = "", **detail: Any) -> None:
        super().__init__(message or self.name)
        self.message = message or self.name
        self.detail = detail

    def to_wire(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "message": self.message}

    def __str__(self) -> str:
        return f"[{self.code} {self.name}] {self.message}"


class InternalError(WebBridgeError):
    code, name = 5003, "internal"


# --- protocol: what the peer sent ---------------------------------------------------------------------


class ProtocolError(WebBridgeError):
    """The peer sent something we refuse."""


class FramingError(ProtocolError):
    """A frame could not be read. ``fatal`` errors leave the byte stream unusable: close the connection."""

    fatal: ClassVar[bool] = False


class FrameTruncated(FramingError):
    code, name, fatal = 1001, "frame_truncated", True


class FrameEmpty(FramingError):
    code, name, fatal = 1002, "frame_empty", True


class FrameTooLarge(FramingError):
    code, name, fatal = 1003, "frame_too_large", True


class InvalidUtf8(FramingError):
    code, name = 1004, "invalid_utf8"


class InvalidJson(FramingError):
    code, name = 1005, "invalid_json"


class JsonTooDeep(FramingError):
    code, name = 1006, "json_too_deep"


class JsonLimits(FramingError):
    code, name = 1007, "json_limits"


class DuplicateKey(FramingError):
    code, name = 1008, "duplicate_key"


class NotAnObject(FramingError):
    code, name = 1009, "not_an_object"


class BadChunk(FramingError):
    code, name = 1010, "bad_chunk"


class MessageError(ProtocolError):
    """The frame parsed but is not a message we accept here."""


class UnknownKind(MessageError):
    code, name = 2001, "unknown_kind"


class InvalidMessage(MessageError):
    code, name = 2002, "invalid_message"


class UnexpectedKind(MessageError):
    code, name = 2003, "unexpected_kind"


class UnsupportedProtocol(MessageError):
    code, name = 2004, "unsupported_protocol"


class AuthError(ProtocolError):
    """Authentication failed."""


class SessionError(AuthError):
    """An authentication failure on a sealed frame: the session ends and the peer must handshake again."""


class MissingMac(SessionError):
    code, name = 3001, "missing_mac"


class BadMac(SessionError):
    code, name = 3002, "bad_mac"


class BadSequence(SessionError):
    code, name = 3003, "bad_sequence"


class ClockSkew(SessionError):
    code, name = 3004, "clock_skew"


class BadSession(SessionError):
    code, name = 3005, "bad_session"


class NotPaired(AuthError):
    code, name = 3006, "not_paired"


class UnsolicitedReply(AuthError):
    code, name = 3007, "unsolicited_reply"


class PairingFailed(AuthError):
    code, name = 3008, "pairing_failed"


class PairingExpired(AuthError):
    code, name = 3009, "pairing_expired"


class OriginRefused(AuthError):
    code, name = 3010, "origin_refused"


class KeystoreInsecure(AuthError):
    code, name = 3011, "keystore_insecure"


# --- channel: a request could not complete ------------------------------------------------------------


class ChannelError(WebBridgeError):
    """A request over a channel did not complete."""


class RequestTimeout(ChannelError):
    code, name = 4001, "timeout"


class ChannelClosed(ChannelError):
    code, name = 4002, "channel_closed"


class RemoteError(ChannelError):
    """The peer answered a request with an error; ``remote_code``/``remote_name`` say which."""

    code, name = 4003, "remote_error"

    def __init__(self, message: str = "", *, remote_code: int = 5003, remote_name: str = "internal") -> None:
        super().__init__(message, remote_code=remote_code, remote_name=remote_name)
        self.remote_code = remote_code
        self.remote_name = remote_name

    def __str__(self) -> str:
        return f"[{self.remote_code} {self.remote_name}] {self.message}"


class Busy(ChannelError):
    code, name = 4004, "busy"


# --- browser control: outcomes the agent sees as tool results and can recover from ----------------------


class BrowserActionError(WebBridgeError):
    """An action in the browser did not happen, and nothing happened elsewhere instead (6xxx)."""

    model_visible = True


class StaleRef(BrowserActionError):
    code, name = 6001, "stale_ref"


class NavigatedAway(BrowserActionError):
    code, name = 6002, "navigated_away"


class NotActionable(BrowserActionError):
    code, name = 6003, "not_actionable"


class UrlBlocked(BrowserActionError):
    code, name = 6004, "url_blocked"


class TabNotFound(BrowserActionError):
    code, name = 6005, "tab_not_found"


class WaitTimeout(BrowserActionError):
    code, name = 6006, "wait_timeout"


class ActionFailed(BrowserActionError):
    code, name = 6007, "action_failed"


class TargetChanged(BrowserActionError):
    """The live element is no longer the one the snapshot named (another role or name, or it was replaced
    while the pointer reached it); nothing was done (W6)."""

    code, name = 6008, "target_changed"


# capture and file transfer (6010-6019): screenshots, PDF, downloads, upload, drag and drop


class CaptureTooLarge(BrowserActionError):
    """The screenshot or PDF is larger than the bridge carries; nothing was written."""

    code, name = 6010, "capture_too_large"


class DownloadInterrupted(BrowserActionError):
    """The awaited download was interrupted or cancelled (the browser's reason is in the message)."""

    code, name = 6011, "download_interrupted"


class UploadRefused(BrowserActionError):
    """A file to upload is outside the allowed roots, not a regular file, or escapes by a link; nothing
    was sent to the browser."""

    code, name = 6012, "upload_refused"


class OutputRefused(BrowserActionError):
    """The folder or file name given for a capture cannot be used (not a folder, a name with a path in
    it); nothing was written."""

    code, name = 6013, "output_refused"


class DropNotAccepted(BrowserActionError):
    """The drop target reacted to neither the DOM nor the trusted drag; nothing changed on the page."""

    code, name = 6014, "drop_not_accepted"


# page I/O (6020-6029): dialogs and evaluating JavaScript


class DialogOpen(BrowserActionError):
    """A JavaScript dialog blocks the tab: the request was not carried out (handle it with dialog.handle)."""

    code, name = 6020, "dialog_open"


class DialogOpened(BrowserActionError):
    """The request's own action opened a JavaScript dialog: what it did up to the dialog happened, and the
    page now waits for dialog.handle (the message describes the dialog)."""

    code, name = 6021, "dialog_opened"


class NoDialog(BrowserActionError):
    code, name = 6022, "no_dialog"


class ScriptError(BrowserActionError):
    """The evaluated script threw; the message is the page's (untrusted). Its effects until then remain."""

    code, name = 6023, "script_error"


class ScriptResultInvalid(BrowserActionError):
    """The script ran but its result is not JSON-serialisable or larger than the cap."""

    code, name = 6024, "script_result_invalid"


class ScriptTimeout(BrowserActionError):
    """The script did not finish in time; a synchronous loop keeps running in the page."""

    code, name = 6025, "script_timeout"


# --- tools (7100-7149): outcomes the model sees as tool results ------------------------------------------


class ToolError(WebBridgeError):
    """A tool call did not happen or failed in a way the model can act on (wrong tool, bad arguments...)."""

    code, name = 7100, "tool_error"
    model_visible = True


class UnknownTool(ToolError):
    code, name = 7101, "unknown_tool"


class BadToolArguments(ToolError):
    code, name = 7102, "bad_tool_arguments"


class NoBrowser(ToolError):
    code, name = 7103, "no_browser"


class NoTab(ToolError):
    code, name = 7104, "no_tab"


class TabNotGranted(ToolError):
    """A run tried to use one of the user's own tabs that its task does not name (``tools/tab_scope.py``);
    nothing was sent to the browser (7130-7139)."""

    code, name = 7130, "tab_not_granted"


class FileToolError(ToolError):
    """A file tool refused or failed; nothing was written (7110-7129)."""

    code, name = 7110, "file_error"


class PathRefused(FileToolError):
    code, name = 7111, "path_refused"


class FileNotFound(FileToolError):
    code, name = 7112, "file_not_found"


class NotAFile(FileToolError):
    code, name = 7113, "not_a_file"


class NotADirectory(FileToolError):
    code, name = 7114, "not_a_directory"


class FileTooLarge(FileToolError):
    code, name = 7115, "file_too_large"


class FileExists(FileToolError):
    code, name = 7116, "file_exists"


class WriteFailed(FileToolError):
    code, name = 7117, "write_failed"


# --- bridge and daemon: the user must act --------------------------------------------------------------


class BridgeError(WebBridgeError):
    """A daemon-level failure the user must act on."""


class BridgeNotFound(BridgeError):
    code, name = 5001, "bridge_not_found"


class DaemonUnavailable(BridgeError):
    code, name = 5002, "daemon_unavailable"


class ConfigError(WebBridgeError):
    """A setting or file is wrong; the message names the field or path."""

    code, name = 5004, "config_error"


# --- model calls (7000-7049): the run fails with a message the user can act on --------------------------


class ModelError(WebBridgeError):
    """A call to the language model failed (``webbridge.agent.models``). Messages never hold keys or
    prompts; ``detail`` may carry ``status``, ``preset`` and ``retry_after``."""

    code, name = 7000, "model_error"


class ModelAuthError(ModelError):
    """The provider refused the API key (401/403)."""

    code, name = 7001, "model_auth"


class ModelKeyMissing(ModelAuthError):
    """The preset needs an API key and none was given, set in its environment variable or in the keyring."""

    code, name = 7002, "model_key_missing"


class ModelNotFound(ModelError):
    code, name = 7003, "model_not_found"


class ModelUnreachable(ModelError):
    """The model server could not be reached (connection refused, DNS, TLS); the message names the URL."""

    code, name = 7004, "model_unreachable"


class ModelTimeout(ModelUnreachable):
    code, name = 7005, "model_timeout"


class ModelRateLimited(ModelError):
    code, name = 7006, "model_rate_limited"


class ModelServerError(ModelError):
    code, name = 7007, "model_server_error"


class ModelBadResponse(ModelError):
    code, name = 7008, "model_bad_response"


class ModelContextTooLong(ModelError):
    code, name = 7009, "model_context_too_long"


class ModelRequestRejected(ModelError):
    code, name = 7010, "model_request_rejected"


class ModelInputError(ModelError):
    """The conversation handed to the adapter cannot be sent (a caller bug); nothing was sent."""

    code, name = 7011, "model_input_invalid"


# --- runs (7050-7099): the agent loop, the run manager and the run store ----------------------------------


class RunError(WebBridgeError):
    """A run could not be started, watched or continued (7050-7099)."""

    code, name = 7050, "run_error"


class RunNotFound(RunError):
    code, name = 7051, "run_not_found"


class TooManyRuns(RunError):
    """The daemon runs as many tasks as it may at once; the message says how many."""

    code, name = 7052, "too_many_runs"


class BudgetExhausted(RunError):
    """A run used up one of its budgets (steps, tokens, wall time, cost); the message names it and how to
    raise it."""

    code, name = 7053, "budget_exhausted"


class RepeatedAction(RunError):
    """The model made the same tool call again and again after being told it repeats itself."""

    code, name = 7054, "repeated_action"


class NoProgress(RunError):
    """Step after step every tool call failed, also after the model was told so."""

    code, name = 7055, "no_progress"


class RunCancelled(RunError):
    """The user stopped the run (Stop button, CLI, Ctrl-C)."""

    code, name = 7056, "run_cancelled"


class RunInterrupted(RunError):
    """The daemon stopped or crashed while the run was going."""

    code, name = 7057, "run_interrupted"


class EventsLagged(RunError):
    """A watcher read events too slowly and was dropped; it resumes from the store by ``seq``."""

    code, name = 7058, "events_lagged"


class StoreError(RunError):
    """The run store cannot be opened or read (corrupt file, schema newer than this version)."""

    code, name = 7059, "store_error"


# --- run surfaces: side panel, context menu, CLI (7150-7169) ---------------------------------------------


class RunsUnavailable(BridgeError):
    """This daemon has no run manager (it was started without the agent)."""

    code, name = 7150, "runs_unavailable"


class ArtifactUnavailable(BridgeError):
    """The file is not an image artifact of that run, is gone, or is too large to send."""

    code, name = 7151, "artifact_unavailable"


class TooManyWatches(BridgeError):
    """A connection asked to watch more runs at once than the daemon allows."""

    code, name = 7152, "too_many_watches"


# --- saved workflows (7170-7179) -------------------------------------------------------------------------


class WorkflowFailed(ModelError):
    """A workflow replay (the planner standing in for a model) could not go on: a check failed, a step
    errored, an element was not found."""

    code, name = 7170, "workflow_failed"


class WorkflowInvalid(ConfigError):
    """A workflow file does not fit the format; the message names the field."""

    code, name = 7171, "workflow_invalid"


# --- local HTTP/WebSocket API (7180-7199): refusals at the loopback edge (SECURITY-CATALOG L1-L7) ---------


class ApiError(BridgeError):
    """A request to the daemon's local API was refused or failed; ``status`` is its HTTP status."""

    code, name = 7180, "api_error"
    status: ClassVar[int] = 500


class ApiUnauthorized(ApiError):
    """No bearer token, a wrong one, or a token in the URL (L5); the request was not served."""

    code, name, status = 7181, "api_unauthorized", 401


class ApiForbidden(ApiError):
    """A Host header that is not this loopback address and port (L2), a web or ``null`` Origin, or a
    cross-site fetch (L3, L4); the request was not served."""

    code, name, status = 7182, "api_forbidden", 403


class ApiBadRequest(ApiError):
    """The body or a parameter is malformed; the message names the field. Nothing was done."""

    code, name, status = 7183, "api_bad_request", 400


class ApiUnsupportedMediaType(ApiError):
    """A body that is not ``application/json`` (a form post, text/plain, multipart: L3)."""

    code, name, status = 7184, "api_unsupported_media_type", 415


class ApiBodyTooLarge(ApiError):
    code, name, status = 7185, "api_body_too_large", 413


class ApiMethodNotAllowed(ApiError):
    """The route exists but not for this method (a GET never changes state: L6)."""

    code, name, status = 7186, "api_method_not_allowed", 405


class ApiNotFound(ApiError):
    code, name, status = 7187, "api_not_found", 404


class ApiTokenInsecure(ApiError):
    """The API token file is a link, not a regular file, owned by another user, or readable or writable
    by others (L7); a client refuses to use it and the daemon replaces it at start."""

    code, name = 7188, "api_token_insecure"


# --- policy and audit (8000-8099): the user decides, never the model ----------------------------------------


class PolicyError(WebBridgeError):
    """A policy outcome or a policy/audit failure (8xxx). ``model_visible`` outcomes go back to the model as a
    tool result (it must not retry around them); the others are for the user."""

    model_visible: ClassVar[bool] = False


class PolicyDenied(PolicyError):
    """The policy refuses this action; ``detail["decision"]`` is the deciding
    :class:`~webbridge.policy.decide.Decision`."""

    code, name, model_visible = 8001, "policy_denied", True


class ApprovalRequired(PolicyError):
    """The action needs the user's approval; ``request`` is the structured
    :class:`~webbridge.policy.approval.ApprovalRequest` the approval UI draws (never model text)."""

    code, name, model_visible = 8002, "approval_required", True

    def __init__(self, message: str = "", *, request: Any = None, **detail: Any) -> None:
        super().__init__(message, **detail)
        self.request = request


class DomainRefused(PolicyError):
    """A URL or host the policy cannot match safely: look-alike (mixed-script or confusable) IDN, bad IDNA,
    empty or malformed host, a scheme without a site (W13)."""

    code, name = 8003, "domain_refused"


class PolicyInvalid(PolicyError):
    """The policy file is wrong; the message names the file, the line and the key."""

    code, name = 8004, "policy_invalid"


class GrantNotFound(PolicyError):
    code, name = 8005, "grant_not_found"


class AuditBroken(PolicyError):
    """The audit log's hash chain does not verify; the message names the first bad ``seq``."""

    code, name = 8006, "audit_broken"


class AuditUnavailable(PolicyError):
    """The audit or grant database cannot be opened or written (missing, corrupt, not ours, read-only)."""

    code, name = 8007, "audit_unavailable"


# --- approvals (8010-8019): the user answers, the run waits or parks -------------------------------------


class NeedsYou(PolicyError):
    """An unattended (scheduled) run met an action outside its grants: it never waits on a prompt, it ends
    with outcome ``needs_you`` and this message as the reason. Not model-visible: it ends the run."""

    code, name = 8010, "needs_you"


class ApprovalNotFound(PolicyError):
    """No pending approval has this id (it was never asked, or its run ended)."""

    code, name = 8011, "approval_not_found"


class ApprovalAnswered(PolicyError):
    """The approval was answered already (or timed out); a second answer changes nothing."""

    code, name = 8012, "approval_answered"


class ApprovalInvalid(PolicyError):
    """An answer the approval cannot take, e.g. a lasting lifetime for an irreversible action or a data
    flow (those are approved once, each time)."""

    code, name = 8013, "approval_invalid"


class PlanInvalid(PolicyError):
    """``propose_plan`` named a site or an action class the policy cannot use; the model may fix it."""

    code, name, model_visible = 8014, "plan_invalid", True


# --- the extension's side of the policy (8020-8029): approvals UI, grants, its own re-check ---------------


class PolicyUnavailable(PolicyError):
    """This daemon runs without a policy runtime or approval broker, so there is nothing to list, answer or
    summarise (the bridge's policy kinds answer this)."""

    code, name = 8020, "policy_unavailable"


class ExtensionPolicyRefused(PolicyError, BrowserActionError):
    """The extension's own re-check refused an action the daemon asked for: the target tab's site is denied
    by a site rule or a blocked category of the policy summary it holds. A browser action that did not
    happen, so the browser tools hand it to the model like a denial."""

    code, name, model_visible = 8021, "extension_policy_refused", True


class PolicySummaryMissing(PolicyError, BrowserActionError):
    """The extension holds no policy summary (it could not fetch one), so it refuses acting requests until
    it has one (fail closed); nothing happened in the browser."""

    code, name, model_visible = 8022, "policy_summary_missing", True


def _all_codes() -> dict[int, type[WebBridgeError]]:
    found: dict[int, type[WebBridgeError]] = {}
    stack: list[type[WebBridgeError]] = [WebBridgeError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if "code" in cls.__dict__:
            found.setdefault(cls.code, cls)
    return found


#: code -> the most specific class with that code; used to rebuild errors received on the wire.
BY_CODE: dict[int, type[WebBridgeError]] = _all_codes()


def from_wire(data: dict[str, Any]) -> RemoteError:
    """Turn an ``error`` body received from a peer into a :class:`RemoteError`."""
    code = data.get("code")
    name = data.get("name")
    message = data.get("message")
    return RemoteError(
        str(message)[:500] if isinstance(message, str) else "remote error",
        remote_code=code if isinstance(code, int) else 5003,
        remote_name=name if isinstance(name, str) else "internal",
    )
