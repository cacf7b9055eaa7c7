"""What a tool call is about to do, as the policy sees it: a structured :class:`ProposedAction`.

Built by the tool hook from the tool's declared class, its arguments and the run's context — never from
the model's prose. The approval UI draws from the same object, so what the user approves is what happens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .actions import ActionClass
from .domains import Site, site_of

#: Classes that act on a web page and so have a target site.
WEB_CLASSES = frozenset({
    ActionClass.READ, ActionClass.NAVIGATE, ActionClass.INTERACT, ActionClass.TYPE, ActionClass.SUBMIT,
    ActionClass.UPLOAD, ActionClass.DOWNLOAD, ActionClass.SCRIPT, ActionClass.NETWORK,
})


@dataclass(frozen=True)
class Element:
    """The element acted on, by its accessibility role and name (from the page snapshot, not the model)."""

    role: str
    name: str
    ref: str | None = None


@dataclass(frozen=True)
class DataOut:
    """Data that would leave the machine for ``destination`` (typed text, submitted fields, a URL query)."""

    text: str
    destination: str
    #: Where the data was read, when known (the data-flow guard compares origins).
    source: str | None = None

    def preview(self, limit: int = 200) -> str:
        return self.text if len(self.text) <= limit else self.text[: limit - 1] + "…"


@dataclass(frozen=True)
class ProposedAction:
    """One tool call about to run. ``url`` is the page acted on (or the navigation target); ``site`` is its
    normalised site, computed on construction (raises :class:`~webbridge.errors.DomainRefused` for a
    look-alike or malformed host). ``form_action`` is where a submit would go."""

    tool: str
    action: ActionClass
    url: str | None = None
    element: Element | None = None
    #: The ref acted on, when the call names one; with ``element`` None it is an element the policy has
    #: not seen in any snapshot (an interaction on it asks).
    ref: str | None = None
    form_action: str | None = None
    data_out: tuple[DataOut, ...] = ()
    run_id: str | None = None
    task_id: str | None = None
    session_id: str | None = None
    schedule_id: str | None = None
    actor: str = "agent"
    site: Site | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.url is not None:
            object.__setattr__(self, "site", site_of(self.url))

    @property
    def needs_site(self) -> bool:
        return self.action in WEB_CLASSES


__all__ = ["WEB_CLASSES", "DataOut", "Element", "ProposedAction"]
