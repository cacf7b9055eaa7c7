"""Typed events of a run: what the loop emits, the store keeps, and the side panel and the CLI show live.

Every event carries the run id and a per-run sequence number (``seq`` strictly increases from 1), so a
watcher that reconnects asks for "events after seq N" and misses nothing. ``RunEvent`` is the
discriminated union over ``type``; ``parse_event`` reads one back from JSON (store, wire).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .chat import Usage

#: How a run ended. ``interrupted``: the daemon stopped (crash or shutdown) while it ran.
RunOutcome = Literal["done", "failed", "cancelled", "budget_exhausted", "interrupted", "needs_you"]
RunStatus = Literal["queued", "running", "done", "failed", "cancelled", "budget_exhausted", "interrupted",
                    "needs_you"]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    seq: int = Field(ge=1)
    #: Milliseconds since the Unix epoch.
    time: int


class RunStarted(_Event):
    type: Literal["run.started"] = "run.started"
    task: str
    model: str
    bridge_id: str | None = None
    tab_id: int | None = None
    source: Literal["sidepanel", "context_menu", "cli", "schedule", "api", "demo"] = "api"


class ModelText(_Event):
    """Streamed assistant text. Pieces (``final=False``) arrive as the model writes; the ``final`` event
    carries the turn's whole text, so a watcher that joined mid-turn replaces its pieces with it."""

    type: Literal["model.text"] = "model.text"
    step: int
    text: str
    final: bool = False


class ToolStarted(_Event):
    type: Literal["tool.started"] = "tool.started"
    step: int
    call_id: str
    tool: str
    #: Arguments as the model sent them, parsed when they parse (else the raw text under ``"_raw"``).
    arguments: dict[str, Any]


class ToolFinished(_Event):
    type: Literal["tool.finished"] = "tool.finished"
    step: int
    call_id: str
    tool: str
    ok: bool
    #: Short human summary of the result (never the whole page text).
    summary: str
    duration_ms: float
    #: Files the tool wrote (screenshots, downloads, PDFs), absolute paths.
    artifacts: tuple[str, ...] = ()
    error_code: int | None = None


class StepFinished(_Event):
    type: Literal["step.finished"] = "step.finished"
    step: int
    usage: Usage
    total_usage: Usage


class Compacted(_Event):
    type: Literal["run.compacted"] = "run.compacted"
    step: int
    before_tokens: int
    after_tokens: int


class Notice(_Event):
    """Something the user should see that is not a step: a retry, a repeated action, a budget warning."""

    type: Literal["run.notice"] = "run.notice"
    level: Literal["info", "warning"] = "info"
    message: str


class ApprovalRequested(_Event):
    """The run waits for the user's answer to ``request`` (``ApprovalRequest.to_data()``: drawn from the
    structured action, never from model text) until ``expires`` (ms since the epoch), then it is denied."""

    type: Literal["approval.requested"] = "approval.requested"
    approval_id: str
    request: dict[str, Any]
    expires: int


class ApprovalResolved(_Event):
    """How an approval ended: answered (``by`` the surface that answered) or ``timed_out`` (``by`` is
    ``"timeout"``, ``allowed`` False). ``grant_id``: the grant the answer created, if any. A run cancelled
    while it waits resolves nothing: its ``run.finished`` ends the approval."""

    type: Literal["approval.resolved"] = "approval.resolved"
    approval_id: str
    allowed: bool
    lifetime: Literal["once", "task", "session", "always"] = "once"
    by: Literal["sidepanel", "cli", "notification", "api", "timeout"]
    timed_out: bool = False
    grant_id: str | None = None


class RunFinished(_Event):
    type: Literal["run.finished"] = "run.finished"
    outcome: RunOutcome
    #: The final answer (``done``) or what went wrong, in words a user can act on.
    message: str
    total_usage: Usage
    steps: int
    error_code: int | None = None


RunEvent = Annotated[
    RunStarted | ModelText | ToolStarted | ToolFinished | StepFinished | Compacted | Notice
    | ApprovalRequested | ApprovalResolved | RunFinished,
    Field(discriminator="type"),
]

_ADAPTER: TypeAdapter[RunEvent] = TypeAdapter(RunEvent)


def parse_event(data: str | bytes | dict[str, Any]) -> RunEvent:
    """Read one event back; raises ``pydantic.ValidationError`` on anything else."""
    if isinstance(data, dict):
        return _ADAPTER.validate_python(data)
    return _ADAPTER.validate_json(data)


class RunRequest(BaseModel):
    """What a surface asks for. ``context`` carries what a right-click attached (page, selection, link,
    image) and is untrusted page data, never instructions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: str = Field(min_length=1, max_length=20_000)
    bridge_id: str | None = None
    tab_id: int | None = None
    #: "current" (the active tab of the bridge), a URL to open, or None (the agent opens what it needs).
    tab: str | None = None
    model: str | None = None
    source: Literal["sidepanel", "context_menu", "cli", "schedule", "api", "demo"] = "api"
    context: dict[str, str] = Field(default_factory=dict)
    max_steps: int | None = Field(default=None, ge=1, le=10_000)
    #: Parameters of a saved workflow (``model = "workflow:NAME"``); ignored by model-driven runs.
    params: dict[str, Annotated[str, Field(max_length=20_000)]] = Field(default_factory=dict, max_length=64)


class RunSummary(BaseModel):
    """One run as lists show it (``RunManager.list_runs``); ``message`` is the final answer or the reason
    it ended, ``None`` while it runs. Times are milliseconds since the Unix epoch."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    task: str
    source: str
    status: RunStatus
    model: str
    bridge_id: str | None = None
    tab_id: int | None = None
    created: int
    finished: int | None = None
    usage: Usage = Usage()
    steps: int = 0
    message: str | None = None
    error_code: int | None = None


class RunDetail(BaseModel):
    """One run in full (``RunManager.get``): its summary and every event so far, in ``seq`` order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    summary: RunSummary
    events: list[RunEvent]

    @property
    def final_message(self) -> str | None:
        return self.summary.message
