"""Errors of the agent (7000-7099, 7150-7179): model calls, runs, the run surfaces and saved workflows."""

from __future__ import annotations

from .base import WebBridgeError
from .daemon import BridgeError, ConfigError

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
