"""Downloads the user approved in a run that no download report has used yet (W11 without asking twice).

A download is decided where it starts: the click on "Download report" is irreversible (``download``) and
asks; the file is then saved by the browser. ``download_wait`` only reports that file, so asking about it
again would be a second prompt for one decision. When a call that starts a download is allowed (by the
user's answer or a once grant naming the verb), the hook records it here under the run and the page's
registrable domain; the next ``download_wait`` of that run on that domain takes the record and is decided
as reporting an approved download (:mod:`.decide`). One record answers one report; a report with no record
(a download the page started by itself, or a second report) asks as before. Memory is bounded: the most
recent :data:`MAX_RUNS` runs, :data:`MAX_PER_RUN` records each, oldest dropped.
"""

from __future__ import annotations

from collections import OrderedDict, deque

MAX_RUNS = 64
MAX_PER_RUN = 16


class ApprovedDownloads:
    """``run -> [(domain, what approved it)]``, oldest first. Synchronous and bounded."""

    def __init__(self) -> None:
        self._runs: OrderedDict[str, deque[tuple[str | None, str]]] = OrderedDict()

    def add(self, run_id: str, domain: str | None, what: str) -> None:
        """Record that the user approved a download started on ``domain`` (``what``: shown in the audit)."""
        records = self._runs.setdefault(run_id, deque(maxlen=MAX_PER_RUN))
        self._runs.move_to_end(run_id)
        while len(self._runs) > MAX_RUNS:
            self._runs.popitem(last=False)
        records.append((domain, what))

    def take(self, run_id: str, domain: str | None) -> str | None:
        """Use up the oldest record of ``run_id`` on ``domain`` (any domain when ``domain`` is None: a report
        from any tab); returns what approved it, or None when there is none."""
        records = self._runs.get(run_id)
        if not records:
            return None
        for i, (where, what) in enumerate(records):
            if domain is None or where == domain:
                del records[i]
                return what
        return None

    def forget(self, run_id: str) -> None:
        self._runs.pop(run_id, None)


__all__ = ["MAX_PER_RUN", "MAX_RUNS", "ApprovedDownloads"]
