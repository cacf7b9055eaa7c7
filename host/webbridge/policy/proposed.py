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
    #: Where the data was read, when known (the data-flow guard compares origins): a URL on another
    #: origin than ``destination`` whose page text holds ``matched``.
    source: str | None = None
    #: The part of ``text`` found in what the run read on ``source``.
    matched: str = ""

    def preview(self, limit: int = 200) -> str:
        return self.text if len(self.text) <= limit else self.text[: limit - 1] + "…"


@dataclass(frozen=True)
class ProposedAction:
    """One tool call about to run. ``url`` is the page acted on (or the navigation target); ``site`` is its
    normalised site, computed on construction (raises :class:`~webbridge.errors.DomainRefused` for a
    look-alike or malformed host). ``form_action`` is where a submit would go (the live form's action URL,
    read by the extension just before deciding), and ``form_site`` its site, computed the same way."""

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
    #: For a download report (``download_wait``): what approved the download it reports (the click that
    #: started it, approved by the user in this run), so it is not asked about a second time.
    approved_download: str | None = None
    site: Site | None = field(default=None, init=False)
    form_site: Site | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.url is not None:
            object.__setattr__(self, "site", site_of(self.url))
        if self.form_action is not None and self.form_action.lower().startswith(("http:", "https:")):
            object.__setattr__(self, "form_site", site_of(self.form_action))

    @property
    def sends_elsewhere(self) -> bool:
        """A click or submit whose form goes to another registrable domain than the page's."""
        return (self.action in (ActionClass.INTERACT, ActionClass.SUBMIT) and self.form_site is not None
                and self.site is not None and self.form_site.domain != self.site.domain)

    @property
    def needs_site(self) -> bool:
        return self.action in WEB_CLASSES


__all__ = ["WEB_CLASSES", "DataOut", "Element", "ProposedAction"]
