"""The data-flow guard's memory: what text a run read on which origin, and whether data about to leave
for another origin carries some of it.

The hook records the text of every untrusted tool result (page text, snapshots, action deltas) under the
origin of the page it came from (``scheme://host[:port]``; two ports are two origins). Before text is typed,
submitted or sent in a URL (path, query, fragment) to origin B, :meth:`FlowMemory.find` looks for any of it
that was read on an origin A ≠ B:

- an exact substring of at least :data:`MIN_MATCH` characters (not counting spaces at its ends) holding a
  digit or a symbol (account numbers, e-mail addresses, ids), or of at least :data:`MIN_PHRASE` characters
  of words (so a common word shared by two pages never counts), or
- a token that looks like a secret, of any length from 6 (a one-time code ``482913``, ``sk-…`` keys, long
  letter-and-digit mixes), so that short codes are caught too.

Text that is also in the user's own task is theirs to send and never counts. Limits (documented in
SECURITY.md): text that was transformed (re-encoded, translated, summarised, split up, changed case) is not
recognised, nor are plain words shorter than a phrase (a name such as "Alice Smith"); a common phrase or
number shared by two pages asks needlessly; memory is bounded
(:data:`MAX_CHARS_PER_RUN` per run, newest kept, :data:`MAX_RUNS` runs), so text read long ago in a huge
run may be forgotten.
"""

from __future__ import annotations

import re
import urllib.parse
from collections import OrderedDict, deque
from dataclasses import dataclass

from ..errors import DomainRefused
from .domains import site_of

MIN_MATCH = 8
#: Letters-and-spaces text counts from this length (a phrase), so common words never do.
MIN_PHRASE = 20
#: Most data examined per check (a longer text is checked on its first part only).
MAX_DATA_CHARS = 4000
MAX_CHARS_PER_RUN = 400_000
MAX_RUNS = 64

_TOKEN = re.compile(r"[A-Za-z0-9_\-+/.]{6,200}")
_KNOWN_PREFIX = re.compile(r"^(?:sk-|sk_|pk_|ghp_|gho_|github_pat_|xox[abpr]-|AKIA|AIza|eyJ)")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def looks_secret(token: str) -> bool:
    """A one-time code (6–8 digits), a key with a known prefix, or 16+ characters mixing letters and
    digits."""
    if token.isdigit():
        return 6 <= len(token) <= 8
    if _KNOWN_PREFIX.match(token) and len(token) >= 10:
        return True
    has_digit = any(c.isdigit() for c in token)
    has_alpha = any(c.isalpha() for c in token)
    return len(token) >= 16 and has_digit and has_alpha


def tokens(text: str) -> list[str]:
    """Word-like tokens (letters, digits, ``_-+/.``) without the punctuation at their ends."""
    return [t for t in (m.strip("._-+/") for m in _TOKEN.findall(text)) if len(t) >= 6]


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` with the host normalised as the policy sees it; ``None`` without a site."""
    try:
        host = site_of(url).host
    except DomainRefused:
        return None
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower() or "https"
    try:
        port = parts.port
    except ValueError:
        return None
    shown = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{shown}:{port}"
    return f"{scheme}://{shown}"


@dataclass(frozen=True)
class Flow:
    #: The origin the text was read on.
    source: str
    #: The part of the outgoing data that was read there.
    matched: str


class _RunText:
    def __init__(self) -> None:
        self.chunks: deque[tuple[str, str]] = deque()  # (origin, text), oldest first
        self.size = 0
        self.secrets: OrderedDict[str, str] = OrderedDict()  # token -> origin

    def add(self, source: str, text: str) -> None:
        text = text[-MAX_CHARS_PER_RUN:]
        self.chunks.append((source, text))
        self.size += len(text)
        while self.size > MAX_CHARS_PER_RUN and self.chunks:
            _, old = self.chunks.popleft()
            self.size -= len(old)
        for token in tokens(text):
            if looks_secret(token):
                self.secrets[token] = source
                self.secrets.move_to_end(token)
        while len(self.secrets) > 10_000:
            self.secrets.popitem(last=False)


class FlowMemory:
    """Per run: the text read and where. Synchronous and bounded."""

    def __init__(self) -> None:
        self._runs: OrderedDict[str, _RunText] = OrderedDict()

    def record(self, run_id: str, url: str | None, text: str) -> bool:
        """Remember ``text`` as read on ``url``'s origin; False (nothing kept) without a usable origin."""
        source = origin(url) if url else None
        if source is None or not text:
            return False
        run = self._runs.get(run_id)
        if run is None:
            run = self._runs[run_id] = _RunText()
            while len(self._runs) > MAX_RUNS:
                self._runs.popitem(last=False)
        self._runs.move_to_end(run_id)
        run.add(source, text)
        return True

    def linked(self, run_id: str, url: str) -> bool:
        """Whether a page the run read showed ``url`` itself (without its fragment): following a link a
        page published sends nothing that page did not put there."""
        run = self._runs.get(run_id)
        bare = url.split("#", 1)[0]
        if run is None or len(bare) < MIN_MATCH:
            return False
        return any(bare in text for _, text in run.chunks)

    def forget(self, run_id: str) -> None:
        self._runs.pop(run_id, None)

    def find(self, run_id: str, data: str, destination: str, *, trusted: str = "") -> Flow | None:
        """The first piece of ``data`` read on an origin other than ``destination``'s (a URL), or ``None``.
        Parts of ``data`` that are in ``trusted`` (the user's task) never count."""
        run = self._runs.get(run_id)
        dest = origin(destination)
        if run is None or not data:
            return None
        data = data[:MAX_DATA_CHARS]
        for token in tokens(data):
            source = run.secrets.get(token)
            if source is not None and source != dest and token not in trusted:
                return Flow(source, token)
        for source, text in reversed(run.chunks):
            if source == dest:
                continue
            found = _shared(data, text, trusted)
            if found is not None:
                return Flow(source, found)
        return None


def _worth(found: str) -> bool:
    """Long enough to be the data rather than a common word: 8+ characters with a digit or a symbol (an
    account number, an address, an id), or a phrase of :data:`MIN_PHRASE`+ characters."""
    if len(found) >= MIN_PHRASE:
        return True
    return len(found) >= MIN_MATCH and any(not (c.isalpha() or c.isspace()) for c in found)


def _shared(data: str, text: str, trusted: str) -> str | None:
    """The first longest run of ``data`` (≥ MIN_MATCH non-blank characters) that is in ``text`` and not
    in ``trusted``."""
    i, n = 0, len(data)
    while i + MIN_MATCH <= n:
        window = data[i:i + MIN_MATCH]
        if window.strip() == window and window in text:
            j = i + MIN_MATCH
            while j < n and data[i:j + 1] in text:
                j += 1
            found = data[i:j].strip()
            if _worth(found) and found not in trusted:
                return found
            i = j
        else:
            i += 1
    return None


__all__ = ["MIN_MATCH", "Flow", "FlowMemory", "looks_secret", "origin"]
