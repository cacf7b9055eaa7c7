"""Page I/O messages (docs/PROTOCOL.md §5.2): JavaScript dialogs, console messages, the network request log
and evaluating JavaScript in a page.

All are daemon → extension requests answered by the extension. Everything these replies carry — dialog
texts, console texts, request URLs, evaluation results — is page data: untrusted, never instructions.
Failures come back as ``error`` replies with the 6020–6029 codes of §8.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, JsonValue

from webbridge.protocol.browser_kinds import TabId
from webbridge.protocol.fields import MAX_SAFE_INT, Message, Model, Short, Text

#: Most entries one console or network reply carries (the extension keeps at most this many per tab).
MAX_LOG_ENTRIES = 1000
#: Longest console message text (characters); longer ones are cut and end with "…".
MAX_CONSOLE_TEXT = 4000
#: Largest evaluation source (characters).
MAX_SCRIPT = 100_000
#: Largest evaluation result, as UTF-8 JSON text (bytes); the default cap is :data:`DEFAULT_RESULT_BYTES`.
MAX_RESULT_BYTES = 8_000_000
DEFAULT_RESULT_BYTES = 1_000_000

Seq = Annotated[int, Field(ge=0, le=MAX_SAFE_INT)]
Count = Annotated[int, Field(ge=0, le=MAX_SAFE_INT)]
Limit = Annotated[int, Field(ge=1, le=MAX_LOG_ENTRIES)]


# --- dialogs ---------------------------------------------------------------------------------------------

DialogType = Literal["alert", "confirm", "prompt", "beforeunload"]


class Dialog(Model):
    """A JavaScript dialog as the page opened it. ``message`` and ``url`` are page data (untrusted)."""

    type: DialogType
    message: Text
    url: Text
    default_prompt: Text
    opened_at: Annotated[int, Field(ge=0, le=MAX_SAFE_INT)]


class AnsweredDialog(Dialog):
    """An ``alert``/``confirm``/``prompt`` the page hook answered at once (it never blocked the page):
    with the answer armed by ``dialog.arm`` (``by="armed"``) or by dismissing it (``by="default"``).
    ``prompt_text`` is what an accepted prompt returned."""

    type: DialogType
    answer: Literal["accept", "dismiss"]
    prompt_text: Text | None
    by: Literal["armed", "default"]


class ArmedAnswer(Model):
    """The answer waiting for a tab's next dialog."""

    action: Literal["accept", "dismiss"]
    prompt_text: Text | None


class DialogState(Message):
    """The browser dialog open in a tab now, if any (it blocks the page until ``dialog.handle``), the
    answer armed for the next page dialog and the dialogs the page hook answered lately."""

    kind: Literal["dialog.state"] = "dialog.state"
    tab_id: TabId


class DialogStateResult(Message):
    kind: Literal["dialog.state.result"] = "dialog.state.result"
    dialog: Dialog | None
    #: Whether the tab's dialogs and console are seen (the page hook is in it: the agent has worked in the
    #: tab and was not stopped there). No debugger session is needed for it.
    watched: bool
    armed: ArmedAnswer | None = None
    #: The last (at most 10) dialogs the page hook answered, oldest first.
    recent: Annotated[list[AnsweredDialog], Field(max_length=20, default_factory=list)]


class DialogHandle(Message):
    """Accept or dismiss the open dialog; ``prompt_text`` is what a prompt returns when accepted."""

    kind: Literal["dialog.handle"] = "dialog.handle"
    tab_id: TabId
    action: Literal["accept", "dismiss"]
    prompt_text: Text | None = None


class DialogHandled(Message):
    kind: Literal["dialog.handled"] = "dialog.handled"
    dialog: Dialog
    action: Literal["accept", "dismiss"]


class DialogArm(Message):
    """Set how the tab's next ``alert``/``confirm``/``prompt`` is answered (used once; ``action=None``
    disarms). ``prompt_text`` is what an accepted prompt returns (default: the prompt's own default). Without
    an armed answer a dialog is dismissed."""

    kind: Literal["dialog.arm"] = "dialog.arm"
    tab_id: TabId
    action: Literal["accept", "dismiss"] | None
    prompt_text: Text | None = None


class DialogArmed(Message):
    kind: Literal["dialog.armed"] = "dialog.armed"
    armed: ArmedAnswer | None


# --- console ---------------------------------------------------------------------------------------------

ConsoleLevel = Literal["debug", "log", "info", "warning", "error"]


class ConsoleMessage(Model):
    """One console message (``console.*`` call, uncaught exception, or a browser message such as a CSP
    violation). ``text`` is page data, cut to :data:`MAX_CONSOLE_TEXT` characters."""

    seq: Seq
    level: ConsoleLevel
    source: Literal["console", "exception", "browser"]
    text: Annotated[str, Field(max_length=MAX_CONSOLE_TEXT)]
    url: Text
    line: Annotated[int, Field(ge=0, le=MAX_SAFE_INT)] | None
    time: Annotated[int, Field(ge=0, le=MAX_SAFE_INT)]


class ConsoleRead(Message):
    """Console messages of a tab with ``seq`` greater than ``since``, oldest first, at most ``limit``;
    ``levels`` keeps only those levels. Recording starts when the agent first touches the tab."""

    kind: Literal["page.console"] = "page.console"
    tab_id: TabId
    since: Seq = 0
    limit: Limit = 200
    levels: Annotated[list[ConsoleLevel], Field(min_length=1, max_length=5)] | None = None
    clear: bool = False
    #: First add what the tab's current document logged before recording began (once per document; this
    #: attaches the debugger briefly, so the browser shows its "started debugging" bar meanwhile).
    earlier: bool = False


class ConsoleResult(Message):
    kind: Literal["page.console.result"] = "page.console.result"
    messages: Annotated[list[ConsoleMessage], Field(max_length=MAX_LOG_ENTRIES)]
    #: Messages after ``since`` that the bounded buffer no longer holds.
    dropped: Count
    #: Pass as ``since`` to read only newer messages.
    next: Seq
    #: Whether the tab is recorded (see ``DialogStateResult.watched``).
    watched: bool
    #: How many earlier messages ``earlier`` added (0 when not asked, or already added for this document).
    earlier_added: Count = 0


# --- network ---------------------------------------------------------------------------------------------


class NetworkRequest(Model):
    """One request the tab made: never headers or bodies. ``url`` is page data (untrusted). Sizes are the
    ``Content-Length`` the request and response declared (null when none did); ``status`` is null for a
    request that failed (``error`` says why) or is still in flight (``duration_ms`` null)."""

    seq: Seq
    method: Short
    url: Text
    type: Short
    status: Annotated[int, Field(ge=0, le=999)] | None
    error: Short | None
    from_cache: bool
    started: Annotated[int, Field(ge=0, le=MAX_SAFE_INT)]
    duration_ms: Annotated[int, Field(ge=0, le=MAX_SAFE_INT)] | None
    request_size: Count | None
    response_size: Count | None


class NetworkRead(Message):
    """Requests of a tab with ``seq`` greater than ``since`` (finished ones, and those still in flight at
    the end), at most ``limit``; ``url`` keeps those whose URL contains the text."""

    kind: Literal["page.network"] = "page.network"
    tab_id: TabId
    since: Seq = 0
    limit: Limit = 200
    url: Text | None = None
    clear: bool = False


class NetworkResult(Message):
    kind: Literal["page.network.result"] = "page.network.result"
    requests: Annotated[list[NetworkRequest], Field(max_length=MAX_LOG_ENTRIES)]
    dropped: Count
    next: Seq


# --- evaluate --------------------------------------------------------------------------------------------


class Evaluate(Message):
    """Run JavaScript in the page's main world (top frame).

    ``script`` is an expression; when it evaluates to a function, that function is called with ``args``.
    A promise is awaited. The result must be JSON-serialisable and at most ``max_bytes`` as JSON text
    (6024 otherwise); a script that throws is 6023 with its message; one that does not finish within
    ``timeout_ms`` is 6025 (a synchronous endless loop keeps running in the page).
    """

    kind: Literal["page.evaluate"] = "page.evaluate"
    tab_id: TabId
    script: Annotated[str, Field(min_length=1, max_length=MAX_SCRIPT)]
    args: Annotated[list[JsonValue], Field(max_length=64, default_factory=list)]
    timeout_ms: Annotated[int, Field(ge=1, le=120_000)] = 10_000
    max_bytes: Annotated[int, Field(ge=1, le=MAX_RESULT_BYTES)] = DEFAULT_RESULT_BYTES


class EvaluateResult(Message):
    kind: Literal["page.evaluate.result"] = "page.evaluate.result"
    #: JavaScript's ``typeof`` of the result ("undefined" results arrive as null), or "null" / "array".
    type: Short
    value: JsonValue
    url: Text


#: (request model, reply model) of every page I/O kind, for the catalogue in ``messages``.
REQUESTS: tuple[tuple[type[Message], type[Message]], ...] = (
    (DialogState, DialogStateResult),
    (DialogHandle, DialogHandled),
    (DialogArm, DialogArmed),
    (ConsoleRead, ConsoleResult),
    (NetworkRead, NetworkResult),
    (Evaluate, EvaluateResult),
)

__all__ = [
    "DEFAULT_RESULT_BYTES",
    "MAX_CONSOLE_TEXT",
    "MAX_LOG_ENTRIES",
    "MAX_RESULT_BYTES",
    "REQUESTS",
    "AnsweredDialog",
    "ArmedAnswer",
    "ConsoleLevel",
    "ConsoleMessage",
    "ConsoleRead",
    "ConsoleResult",
    "Dialog",
    "DialogArm",
    "DialogArmed",
    "DialogHandle",
    "DialogHandled",
    "DialogState",
    "DialogStateResult",
    "DialogType",
    "Evaluate",
    "EvaluateResult",
    "NetworkRead",
    "NetworkRequest",
    "NetworkResult",
]
