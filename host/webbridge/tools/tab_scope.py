"""Which tabs a run may use, and the visible control of those it uses (ARCHITECTURE.md "Acting in the user's
tabs"; docs/PROTOCOL.md §5.2 "Visible control").

A run may read the list of tabs (``tabs_list``) freely. Anything else that names a tab — reading its page,
acting in it, waiting on it, activating or closing it — is allowed only in:

1. tabs the run opened (``tab_open``);
2. the task's tab (``RunRequest.tab_id``: the current tab of the side panel, or the tab a right-click came
   from; for ``tab="current"`` when the browser did not name it in time, the first active tab it uses);
3. tabs the task names (:func:`names_tab`): the task's text mentions the tab's host, or contains its exact
   title;
4. tabs a page opened while the run controlled it: the run clicked a link with a target (``target=_blank``)
   or the page called ``window.open``. The extension records, when a tab is created from another tab
   (``webNavigation.onCreatedNavigationTarget``), the one run controlling the source tab at that moment and
   reports it as ``Tab.opened_by_run`` in ``tabs.list``. A tab opened from that tab before the run
   controlled it (or after it let go), or from a tab several runs control at once, has none.

Anything else is :class:`~webbridge.errors.TabNotGranted` (7130), a tool result the model sees; nothing is
sent to the browser. A tab once granted stays granted for the run (the run may navigate it elsewhere). The
check costs nothing for granted tabs; the first use of any other tab reads the tab list once (``tabs.list``)
to decide 3 and 4.

The first time a run uses a tab, the extension is told (``tab.control``, :mod:`..protocol.tab_control_kinds`)
so that the tab shows the indicator whose Stop button stops this run; tabs the run opened (itself, or by rule
4) also join the run's own tab group, titled after the task (:func:`task_title`). When the run ends,
:func:`release` tells the extension the run is done with each of them (the indicator goes; the group stays).

The rule applies to runs only: a :class:`TabScope` in ``ctx.state[TAB_SCOPE]`` (the run manager puts one
there). Tools called without one (MCP clients, direct calls) work as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..errors import RemoteError, TabNotFound, TabNotGranted, UnexpectedKind, WebBridgeError
from ..protocol.fields import Tab
from ..protocol.tab_control_kinds import MAX_GROUP_TITLE, MAX_LABEL, TabControl, TabControlled
from . import browser
from .registry import BridgeHandle, ToolContext

log = logging.getLogger("webbridge.tools.tab_scope")

#: ``ctx.state`` key of the run's :class:`TabScope`.
TAB_SCOPE = "tab_scope"
#: Deadline of one ``tab.control`` request (seconds); :func:`release` gives all of them this long together.
CONTROL_TIMEOUT = 10.0
#: A title shorter than this (after normalising) never names a tab: "Home" or "New" would match too much.
MIN_TITLE = 4
FALLBACK_TITLE = "WebBridge task"

_DEFAULT_PORTS = {"http": 80, "https": 443}
# A host as a task would write it: DNS labels ending in a letter TLD (or an IDNA "xn--" one), localhost, an
# IPv4 address or a bracketed IPv6 address; optionally ":port". Not preceded by "@" (an e-mail address names
# a mailbox, not a site) or by more host characters, not followed by more of them.
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_HOST_RE = re.compile(
    r"(?<![\w.@-])"
    rf"((?:{_LABEL}\.)+(?:[^\W\d_]{{2,63}}|xn--[a-z0-9-]{{1,59}})|localhost|\d{{1,3}}(?:\.\d{{1,3}}){{3}}|\[[0-9a-f:.]+\])"
    r"(?::(\d{1,5}))?"
    r"(?![\w-]|\.[^\W_])",
    re.IGNORECASE,
)


@dataclass
class TabScope:
    """The tabs one run may use and those it controls. Mutated by the run's own tool calls only."""

    task: str
    #: The task's tab (``RunRequest.tab_id``), or None.
    task_tab: int | None = None
    #: The tab group title and indicator label: :func:`task_title` of the task.
    title: str = FALLBACK_TITLE
    #: Tabs the run may use; grows, never shrinks (except when a tab closes).
    granted: set[int] = field(default_factory=set)
    #: Tabs the run opened (``tab_open``, or from a page it controlled: rule 4).
    opened: set[int] = field(default_factory=set)
    #: Tabs the extension was told this run controls (released when the run ends).
    controlled: set[int] = field(default_factory=set)
    #: The task asked for the user's current tab but the browser did not say which it was when the run
    #: started: the first active tab the run uses becomes the task's tab.
    current_unknown: bool = False

    @classmethod
    def for_task(cls, task: str, tab_id: int | None, *, current: bool = False) -> TabScope:
        """The scope of a new run of ``task`` started on ``tab_id`` (None: no tab of the user's); ``current``:
        the task asked for the user's current tab (``RunRequest.tab == "current"``)."""
        granted = {tab_id} if tab_id is not None else set()
        unknown = current and tab_id is None
        return cls(
            task=task, task_tab=tab_id, title=task_title(task), granted=granted, current_unknown=unknown
        )

    def forget(self, tab_id: int) -> None:
        """The tab is closed: it is neither granted nor controlled any more (a reused id is a new tab)."""
        self.granted.discard(tab_id)
        self.opened.discard(tab_id)
        self.controlled.discard(tab_id)


def scope_of(ctx: ToolContext) -> TabScope | None:
    """The run's scope, or None outside a run."""
    scope = ctx.state.get(TAB_SCOPE)
    return scope if isinstance(scope, TabScope) else None


# --- the rule ------------------------------------------------------------------------------------------


def task_title(task: str, limit: int = MAX_GROUP_TITLE) -> str:
    """A short title from the task: its first words, at most ``limit`` characters; a first word longer than
    that is cut and ends with "…". Control characters become spaces; an empty task gives "WebBridge task"."""
    clean = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in task)
    words = clean.split()
    if not words:
        return FALLBACK_TITLE
    if len(words[0]) > limit:
        return words[0][: limit - 1] + "…"
    out = words[0]
    for word in words[1:]:
        if len(out) + 1 + len(word) > limit:
            break
        out += " " + word
    return out


def _bare_host(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") and host.count(".") >= 2 else host


def _idna(host: str) -> str | None:
    if host.isascii():
        return host.lower()
    try:
        return ".".join(label.encode("idna").decode("ascii") for label in host.lower().split("."))
    except UnicodeError:
        return None


def named_hosts(task: str) -> set[tuple[str, int | None]]:
    """The hosts the task mentions (lower case, IDNA-encoded, without "www."), each with the port written
    after it or None. ``"see https://www.Example.com:8443/a"`` → ``{("example.com", 8443)}``."""
    found: set[tuple[str, int | None]] = set()
    for m in _HOST_RE.finditer(task):
        host = _idna(m.group(1))
        if host is None:
            continue
        port = int(m.group(2)) if m.group(2) else None
        found.add((_bare_host(host.strip("[]")), port))
    return found


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _contains_phrase(haystack: str, needle: str) -> bool:
    """``needle`` occurs in ``haystack`` not inside a longer word."""
    start = haystack.find(needle)
    while start >= 0:
        end = start + len(needle)
        before = haystack[start - 1] if start else " "
        after = haystack[end] if end < len(haystack) else " "
        if not (before.isalnum() and needle[0].isalnum()) and not (after.isalnum() and needle[-1].isalnum()):
            return True
        start = haystack.find(needle, start + 1)
    return False


def names_tab(task: str, url: str, title: str) -> bool:
    """Whether the task names the tab showing ``url`` with ``title``.

    - By host: the task mentions the URL's host (bare, as ``example.com``, or inside a URL), compared without
      case, a leading ``www.`` or a trailing dot, IDNA-encoded; when the task writes a port after the host
      it must be the URL's port (its scheme's default when the URL has none). Subdomains are other hosts
      (``example.com`` does not name ``shop.example.com``); only http(s) pages can be named this way.
    - By title: the task contains the tab's whole title (at least :data:`MIN_TITLE` characters), compared
      without case and with whitespace collapsed, not as part of a longer word.
    """
    try:
        parts = urlsplit(url)
        scheme, hostname, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        scheme, hostname, port = "", None, None
    if scheme in _DEFAULT_PORTS and hostname:
        tab_host = _bare_host(hostname)
        tab_port = port if port is not None else _DEFAULT_PORTS[scheme]
        for host, named_port in named_hosts(task):
            if host == tab_host and named_port in (None, tab_port):
                return True
    wanted = _normalise(title)
    return len(wanted) >= MIN_TITLE and _contains_phrase(_normalise(task), wanted)


def opened_by(tab: Tab, run_id: str | None) -> bool:
    """Whether a page the run ``run_id`` controlled opened ``tab`` (rule 4; never for ``run_id`` None)."""
    return run_id is not None and tab.opened_by_run == run_id


def may_use(scope: TabScope, tab: Tab, run_id: str | None = None) -> bool:
    """Whether the run ``run_id`` may use ``tab``: granted already, named by the task as the tab is now, or
    opened by a page the run controlled (only when ``run_id`` is given)."""
    return tab.id in scope.granted or names_tab(scope.task, tab.url, tab.title) or opened_by(tab, run_id)


# --- the check and the extension's side ---------------------------------------------------------------


async def enter(ctx: ToolContext, bridge: BridgeHandle, tab_id: int) -> None:
    """Before a tool uses ``tab_id``: check it is the run's to use, and mark it controlled by the run.

    A tab not granted yet is looked up with one ``tabs.list``: it is granted when a page this run controlled
    opened it (it then also joins the run's tab group), when it is the first active tab of a run whose
    current tab was not known, or when the task names it.

    Raises :class:`TabNotGranted` (7130) for one of the user's tabs the task does not name and
    :class:`TabNotFound` (6005) for a tab that does not exist — in both cases nothing is done in the browser.
    Also what the ``tabs.list`` and ``tab.control`` requests raise. Outside a run it does nothing. Cancelling
    it forgets the pending request; a tab already marked is released at the run's end all the same.
    """
    scope = scope_of(ctx)
    if scope is None:
        return
    group: str | None = None
    if tab_id not in scope.granted:
        tab = await _find(bridge, tab_id)
        if opened_by(tab, ctx.run_id):
            scope.opened.add(tab_id)
            group = scope.title
        elif scope.current_unknown and tab.active:
            scope.task_tab, scope.current_unknown = tab_id, False
        elif not names_tab(scope.task, tab.url, tab.title):
            raise TabNotGranted(
                f"tab {tab_id} is one of the user's own tabs and this task does not name it: use the task's "
                "tab or open one with tab_open"
            )
        scope.granted.add(tab_id)
    if tab_id not in scope.controlled:
        scope.controlled.add(tab_id)  # first: a request cut short is still released at the end
        control = TabControl(tab_id=tab_id, run_id=ctx.run_id, on=True, label=_label(scope), group=group)
        await _control(bridge, control)


async def adopt(ctx: ToolContext, bridge: BridgeHandle, tab: Tab) -> None:
    """A tab the run just opened: granted, controlled by the run, and put into the run's tab group.

    Raises what the ``tab.control`` request raises (``TabNotFound`` when the tab closed meanwhile). Outside a
    run it does nothing.
    """
    scope = scope_of(ctx)
    if scope is None:
        return
    scope.opened.add(tab.id)
    scope.granted.add(tab.id)
    scope.controlled.add(tab.id)
    await _control(
        bridge, TabControl(tab_id=tab.id, run_id=ctx.run_id, on=True, label=_label(scope), group=scope.title)
    )


async def release(scope: TabScope, bridge: BridgeHandle | None, run_id: str) -> None:
    """At the run's end: tell the extension the run is done with each tab it controlled (their indicator
    goes once no other run controls them; the tab group stays). Never raises a WebBridgeError: a tab closed
    meanwhile or a browser gone is logged; all requests together get :data:`CONTROL_TIMEOUT`. Idempotent."""
    tabs, scope.controlled = sorted(scope.controlled), set()
    if bridge is None or not tabs:
        return
    try:
        async with asyncio.timeout(CONTROL_TIMEOUT):
            for tab_id in tabs:
                with contextlib.suppress(TabNotFound):
                    await _control(bridge, TabControl(tab_id=tab_id, run_id=run_id, on=False))
    except (WebBridgeError, TimeoutError) as exc:
        log.info("run %s: could not release its tabs in the browser: %s", run_id, exc or "no answer")


def _label(scope: TabScope) -> str:
    return f"WebBridge: {scope.title}"[:MAX_LABEL]


async def _find(bridge: BridgeHandle, tab_id: int) -> Tab:
    for tab in await browser.tabs_list(bridge):
        if tab.id == tab_id:
            return tab
    raise TabNotFound(f"there is no tab {tab_id}: list the tabs with tabs_list")


async def _control(bridge: BridgeHandle, msg: TabControl) -> TabControlled:
    try:
        answer = await bridge.channel.request(msg.kind, msg, timeout=CONTROL_TIMEOUT)
    except RemoteError as exc:
        translated = browser.translate_remote_error(exc)  # 6005 when the tab is gone
        if translated is exc:
            raise
        raise translated from exc
    if not isinstance(answer, TabControlled):
        raise UnexpectedKind(f"tab.control was answered with {answer.kind}")
    return answer


__all__ = [
    "TAB_SCOPE",
    "TabScope",
    "adopt",
    "enter",
    "may_use",
    "named_hosts",
    "names_tab",
    "opened_by",
    "release",
    "scope_of",
    "task_title",
]
