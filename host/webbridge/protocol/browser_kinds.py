"""Browser-control messages (docs/PROTOCOL.md §5.2): tabs, navigation, page snapshots and actions.

All are daemon → extension requests answered by the extension. Failures the agent should see and recover
from (a stale ref, a page that navigated away, an element that cannot be acted on, a blocked URL) come back
as ``error`` replies with the 6xxx codes of §8, never as a click somewhere else.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from webbridge.protocol.fields import MAX_TABS, Message, Model, SafeInt, Short, Tab, Text
from webbridge.protocol.refs import Ref  # the ref grammar: e12 (top frame), f3e12 (frame 3)

#: Largest page text the extension sends in one reply (characters); bigger pages are truncated and say so.
MAX_PAGE_TEXT = 16_000_000
TabId = Annotated[int, Field(ge=0, le=2**31 - 1)]
TimeoutMs = Annotated[int, Field(ge=0, le=600_000)]
PageText = Annotated[str, Field(max_length=MAX_PAGE_TEXT)]


# --- tabs -----------------------------------------------------------------------------------------


class TabsList(Message):
    """List tabs, optionally only those whose URL or title contains the given text (case-insensitive)."""

    kind: Literal["tabs.list"] = "tabs.list"
    url: Text | None = None
    title: Text | None = None


class TabsListResult(Message):
    kind: Literal["tabs.list.result"] = "tabs.list.result"
    tabs: Annotated[list[Tab], Field(max_length=MAX_TABS)]


class TabsOpen(Message):
    """Open a tab (in the task's tab group when ``group`` names one); refused for blocked URLs (6004)."""

    kind: Literal["tabs.open"] = "tabs.open"
    url: Text
    active: bool = False
    group: Short | None = None


class TabsActivate(Message):
    kind: Literal["tabs.activate"] = "tabs.activate"
    tab_id: TabId


class TabsClose(Message):
    kind: Literal["tabs.close"] = "tabs.close"
    tab_id: TabId


class TabResult(Message):
    """The reply to tabs.open and tabs.activate: the tab as it is now."""

    kind: Literal["tab.result"] = "tab.result"
    tab: Tab


class Done(Message):
    """A request that has nothing to report beyond success (tabs.close)."""

    kind: Literal["done"] = "done"


# --- navigation -----------------------------------------------------------------------------------------


class Navigate(Message):
    """Go to ``url`` (``goto``), back, forward or reload; ``wait: "load"`` waits for the load event."""

    kind: Literal["page.navigate"] = "page.navigate"
    tab_id: TabId
    action: Literal["goto", "back", "forward", "reload"] = "goto"
    url: Text | None = None
    wait: Literal["load", "none"] = "load"
    timeout_ms: TimeoutMs = 30_000


class Navigated(Message):
    kind: Literal["page.navigated"] = "page.navigated"
    url: Text
    title: Text


# --- snapshot -----------------------------------------------------------------------------------------


class Snapshot(Message):
    """A text tree of the page with a ref on every element a user could act on.

    Modes: ``default`` (budgeted: viewport, interactive elements, landmarks), ``full``, ``subtree`` (from
    ``ref``), ``find`` (elements whose role or name matches ``query`` / ``role``), ``delta`` (what changed
    since this tab's previous snapshot).
    """

    kind: Literal["page.snapshot"] = "page.snapshot"
    tab_id: TabId
    mode: Literal["default", "full", "subtree", "find", "delta"] = "default"
    ref: Ref | None = None
    query: Text | None = None
    role: Short | None = None
    max_chars: Annotated[int, Field(ge=1_000, le=MAX_PAGE_TEXT)] | None = None


class SnapshotResult(Message):
    kind: Literal["page.snapshot.result"] = "page.snapshot.result"
    url: Text
    title: Text
    text: PageText
    refs: Annotated[int, Field(ge=0)]
    frames: Annotated[int, Field(ge=1)]
    truncated: bool


class PageTextRequest(Message):
    """The page's readable text and links as markdown (a separate view from the snapshot)."""

    kind: Literal["page.text"] = "page.text"
    tab_id: TabId
    max_chars: Annotated[int, Field(ge=1_000, le=MAX_PAGE_TEXT)] | None = None


class PageTextResult(Message):
    kind: Literal["page.text.result"] = "page.text.result"
    url: Text
    title: Text
    markdown: PageText
    truncated: bool


# --- actions -----------------------------------------------------------------------------------------

ActionName = Literal[
    "click",
    "dblclick",
    "rightclick",
    "hover",
    "focus",
    "type",
    "fill",
    "select",
    "check",
    "press",
    "scroll",
]


class Act(Message):
    """One action on one element (or the page, for ``press`` and ``scroll`` without ``ref``).

    ``expect_url``: the action runs only if the tab is still on this URL (else 6002). ``input``: ``dom``
    dispatches DOM events, ``trusted`` uses ``chrome.debugger`` input, ``auto`` starts with DOM events and
    falls back to trusted input when the DOM event had no effect; the reply says which was used.
    """

    kind: Literal["page.act"] = "page.act"
    tab_id: TabId
    action: ActionName
    ref: Ref | None = None
    expect_url: Text | None = None
    text: Text | None = None
    values: Annotated[list[Text], Field(max_length=256)] | None = None
    checked: bool | None = None
    keys: Short | None = None
    dx: SafeInt | None = None
    dy: SafeInt | None = None
    input: Literal["auto", "dom", "trusted"] = "auto"
    delta: bool = True
    #: The role and accessible name the snapshot gave ``ref`` (what the policy decided on): the live element
    #: must still have them, also once the pointer has reached it, else 6008 and nothing is done (W6).
    expect_role: Short | None = None
    expect_name: Text | None = None


class ActResult(Message):
    kind: Literal["page.act.result"] = "page.act.result"
    url: Text
    input_used: Literal["dom", "trusted", "none"]
    navigated: bool
    delta: PageText | None = None


class Describe(Message):
    """What a ref is right now, read from the live element (never from a snapshot or the model): its role
    and accessible name, the form it belongs to (action URL, method, whether activating it submits that
    form, the form's field values), a link's ``href`` and the URL of its document. Read-only. Errors: 6005
    no such tab, 6001 stale ref."""

    kind: Literal["page.describe"] = "page.describe"
    tab_id: TabId
    ref: Ref


class Described(Message):
    kind: Literal["page.describe.result"] = "page.describe.result"
    role: Short
    name: Text
    #: The document the element is in (a frame's own URL for an element in a frame).
    frame_url: Text
    #: The resolved action URL of the element's form (its own ``formaction`` for a submit button that has
    #: one), and the method (``get``, ``post``, ``dialog``).
    form_action: Text | None = None
    form_method: Short | None = None
    #: Activating the element submits its form: a submit button, or a field where Enter submits.
    submits: bool = False
    #: The values of the form's fields (text-like inputs, textareas, selects; at most 64 and 8000 characters).
    fields: Annotated[list[Text], Field(max_length=64, default_factory=list)]
    #: The resolved ``href`` of the link the element is or is in.
    href: Text | None = None


# --- waiting -----------------------------------------------------------------------------------------


class WaitFor(Message):
    """Wait, event-driven, until the condition holds: ``text`` visible, ``ref`` present, URL containing
    ``url``, network idle, or DOM quiet. Exactly one condition. Times out with 6006."""

    kind: Literal["page.wait_for"] = "page.wait_for"
    tab_id: TabId
    text: Text | None = None
    ref: Ref | None = None
    url: Text | None = None
    state: Literal["network_idle", "dom_quiet"] | None = None
    timeout_ms: TimeoutMs = 10_000


class WaitResult(Message):
    kind: Literal["page.wait_for.result"] = "page.wait_for.result"
    elapsed_ms: Annotated[int, Field(ge=0)]
    url: Text


#: (request model, reply model) of every browser-control kind, for the catalogue in ``messages``.
REQUESTS: tuple[tuple[type[Message], type[Message]], ...] = (
    (TabsList, TabsListResult),
    (TabsOpen, TabResult),
    (TabsActivate, TabResult),
    (TabsClose, Done),
    (Navigate, Navigated),
    (Snapshot, SnapshotResult),
    (PageTextRequest, PageTextResult),
    (Act, ActResult),
    (Describe, Described),
    (WaitFor, WaitResult),
)

__all__ = [
    "REQUESTS",
    "Act",
    "ActResult",
    "Describe",
    "Described",
    "Done",
    "Model",
    "Navigate",
    "Navigated",
    "PageTextRequest",
    "PageTextResult",
    "Ref",
    "Snapshot",
    "SnapshotResult",
    "TabResult",
    "TabsActivate",
    "TabsClose",
    "TabsList",
    "TabsListResult",
    "TabsOpen",
    "WaitFor",
    "WaitResult",
]
