"""Run messages (docs/PROTOCOL.md §5.3): the side panel and the context menu start, stop and watch agent runs.

Extension → daemon requests (``run.start``, ``run.stop``, ``runs.list``, ``run.get``, ``run.watch``,
``run.unwatch``, ``run.artifact``) and one daemon → extension event, ``run.event``, carrying one
:data:`webbridge.agent.events.RunEvent`. The extension names no model key and no other bridge: the daemon
runs the task on the bridge that asked, with the model settings of its own configuration.

A ``run.event`` body holds the event as JSON (``event``). Its exported schema checks only the envelope of an
event (``type``, ``run_id``, ``seq``, ``time``) so that the extension's schema compiler needs no
discriminator; the daemon validates the whole event against the union before it sends it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, WithJsonSchema

from webbridge.agent.events import RunRequest, RunStatus, parse_event
from webbridge.protocol.fields import MAX_SAFE_INT, Message, Model, MsgId, Short, Text, TimeMs

__all__ = [
    "EVENTS",
    "MAX_ARTIFACT_BYTES",
    "MAX_EVENTS_PER_GET",
    "REQUESTS",
    "EventBody",
    "RunArtifact",
    "RunArtifactResult",
    "RunContext",
    "RunDetail",
    "RunEventMsg",
    "RunGet",
    "RunInfo",
    "RunStart",
    "RunStarted",
    "RunStop",
    "RunStopped",
    "RunUnwatch",
    "RunUnwatched",
    "RunWatch",
    "RunWatching",
    "RunsList",
    "RunsListResult",
]

#: Most events one ``run.get`` reply carries; ``more`` says when the caller should ask again.
MAX_EVENTS_PER_GET = 2000
#: Largest artifact (a screenshot) ``run.artifact`` returns, in bytes before encoding.
MAX_ARTIFACT_BYTES = 8 * 1024 * 1024
MAX_TASK = 20_000
#: Selected text a right-click may attach (characters).
MAX_SELECTION = 20_000

RunId = MsgId
Seq = Annotated[int, Field(ge=0, le=MAX_SAFE_INT)]
Task = Annotated[str, Field(min_length=1, max_length=MAX_TASK)]


def _valid_event(value: dict[str, Any]) -> dict[str, Any]:
    try:
        event = parse_event(value)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in err["loc"])
        raise ValueError(f"not a run event ({where}: {err['msg']})") from None
    return event.model_dump(mode="json")


_EVENT_SCHEMA = {
    "type": "object",
    "required": ["type", "run_id", "seq", "time"],
    "properties": {
        "type": {"type": "string", "maxLength": 64},
        "run_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
        "seq": {"type": "integer", "minimum": 1, "maximum": MAX_SAFE_INT},
        "time": {"type": "integer", "minimum": 0, "maximum": MAX_SAFE_INT},
    },
}

#: One run event as JSON, checked against the whole :data:`RunEvent` union on the Python side.
EventBody = Annotated[dict[str, Any], AfterValidator(_valid_event), WithJsonSchema(_EVENT_SCHEMA)]


# --- shapes -------------------------------------------------------------------------------------------


class RunContext(Model):
    """What a right-click attached: untrusted page data for the task, never instructions.

    ``what`` says which menu context was clicked; the other fields are what Chrome reported for it.
    """

    what: Literal["page", "selection", "link", "image"]
    page_url: Text | None = None
    page_title: Text | None = None
    selection: Annotated[str, Field(max_length=MAX_SELECTION)] | None = None
    link_url: Text | None = None
    image_url: Text | None = None

    def as_dict(self) -> dict[str, str]:
        """The flat ``RunRequest.context`` form (absent fields left out)."""
        return {k: v for k, v in self.model_dump().items() if isinstance(v, str) and v}


class RunInfo(Model):
    """One run as the run lists show it."""

    run_id: RunId
    task: Annotated[str, Field(max_length=MAX_TASK)]
    status: RunStatus
    source: Short
    model: Short
    bridge_id: Short | None = None
    tab_id: Annotated[int, Field(ge=-1, le=MAX_SAFE_INT)] | None = None
    created: TimeMs
    finished: TimeMs | None = None
    steps: Annotated[int, Field(ge=0, le=MAX_SAFE_INT)] = 0
    #: The final answer, or what went wrong (once finished).
    message: Annotated[str, Field(max_length=100_000)] | None = None


# --- requests and replies ----------------------------------------------------------------------------


class RunStart(Message):
    """Start a task on this bridge. ``tab_id``: the task's tab (the side panel's or the right-clicked tab);
    ``tab``: ``"current"`` or a URL to open. ``model`` names a configured model, never a key."""

    kind: Literal["run.start"] = "run.start"
    task: Task
    source: Literal["sidepanel", "context_menu"]
    tab_id: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    tab: Text | None = None
    model: Short | None = None
    context: RunContext | None = None
    max_steps: Annotated[int, Field(ge=1, le=10_000)] | None = None

    def to_request(self, bridge_id: str | None) -> RunRequest:
        """The :class:`RunRequest` for the run manager, on ``bridge_id`` (the bridge that asked)."""
        return RunRequest(
            task=self.task,
            bridge_id=bridge_id,
            tab_id=self.tab_id,
            tab=self.tab,
            model=self.model,
            source=self.source,
            context=self.context.as_dict() if self.context else {},
            max_steps=self.max_steps,
        )


class RunStarted(Message):
    kind: Literal["run.started"] = "run.started"
    run_id: RunId


class RunStop(Message):
    """Stop a run at once (idempotent)."""

    kind: Literal["run.stop"] = "run.stop"
    run_id: RunId


class RunStopped(Message):
    """``stopped``: whether the run was still going when the request arrived."""

    kind: Literal["run.stopped"] = "run.stopped"
    run_id: RunId
    stopped: bool


class RunsList(Message):
    kind: Literal["runs.list"] = "runs.list"
    limit: Annotated[int, Field(ge=1, le=500)] = 50


class RunsListResult(Message):
    """Newest first."""

    kind: Literal["runs.list.result"] = "runs.list.result"
    runs: Annotated[list[RunInfo], Field(max_length=500)]


class RunGet(Message):
    """One run with its events after ``after_seq`` (at most :data:`MAX_EVENTS_PER_GET` per reply)."""

    kind: Literal["run.get"] = "run.get"
    run_id: RunId
    after_seq: Seq = 0


class RunDetail(Message):
    kind: Literal["run.detail"] = "run.detail"
    run: RunInfo
    events: Annotated[list[EventBody], Field(max_length=MAX_EVENTS_PER_GET)]
    #: More events follow: ask again with ``after_seq`` = the last one's ``seq``.
    more: bool


class RunWatch(Message):
    """Send this bridge ``run.event`` for one run (stored events after ``after_seq``, then live ones, ending
    with ``run.finished``), or with ``run_id`` null the live events of every run."""

    kind: Literal["run.watch"] = "run.watch"
    run_id: RunId | None = None
    after_seq: Seq = 0


class RunWatching(Message):
    kind: Literal["run.watching"] = "run.watching"
    run_id: RunId | None = None


class RunUnwatch(Message):
    kind: Literal["run.unwatch"] = "run.unwatch"
    run_id: RunId | None = None


class RunUnwatched(Message):
    """``stopped``: whether such a watch was active."""

    kind: Literal["run.unwatched"] = "run.unwatched"
    stopped: bool


class RunArtifact(Message):
    """An image a tool of this run wrote (a screenshot); only paths named in the run's events are served."""

    kind: Literal["run.artifact"] = "run.artifact"
    run_id: RunId
    path: Annotated[str, Field(min_length=1, max_length=4096)]


class RunArtifactResult(Message):
    kind: Literal["run.artifact.result"] = "run.artifact.result"
    mime: Literal["image/png", "image/jpeg", "image/webp", "image/gif"]
    #: Standard base64 (with padding) of the file's bytes, for a ``data:`` URL.
    data: Annotated[
        str, Field(max_length=(MAX_ARTIFACT_BYTES + 2) // 3 * 4, pattern=r"^[A-Za-z0-9+/]*={0,2}$")
    ]


class RunEventMsg(Message):
    """Daemon → extension: one event of a watched run."""

    kind: Literal["run.event"] = "run.event"
    event: EventBody


#: (request, reply) of every run kind, all extension → daemon.
REQUESTS: tuple[tuple[type[Message], type[Message]], ...] = (
    (RunStart, RunStarted),
    (RunStop, RunStopped),
    (RunsList, RunsListResult),
    (RunGet, RunDetail),
    (RunWatch, RunWatching),
    (RunUnwatch, RunUnwatched),
    (RunArtifact, RunArtifactResult),
)
#: Daemon → extension events.
EVENTS: tuple[type[Message], ...] = (RunEventMsg,)
