"""The run kinds a bridge may send (docs/PROTOCOL.md §5.3), served by the daemon's run manager.

The side panel and the context menu start, stop, list and watch runs through these handlers. A run started
here always runs on the bridge that asked (the extension cannot name another bridge or a model key); its
events reach the extension as ``run.event`` while a ``run.watch`` subscription lasts. Subscriptions belong
to the connection and end with it (:meth:`BridgeRunApi.aclose`).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections.abc import AsyncIterator
from typing import Any, Protocol

from ..agent.events import RunDetail as Detail
from ..agent.events import RunEvent, RunRequest, RunSummary
from ..errors import ArtifactUnavailable, RunError, RunsUnavailable
from ..protocol import run_kinds as rk
from ..protocol.channel import Handler
from ..protocol.fields import Message
from .run_watch import ConnectionWatches

log = logging.getLogger("webbridge.daemon.run_api")

MAX_MESSAGE = 100_000


class RunService(Protocol):
    """What the surfaces need of ``webbridge.agent.runs.RunManager``."""

    async def start(self, req: RunRequest) -> str: ...
    async def stop(self, run_id: str) -> bool: ...
    def events(self, run_id: str, after_seq: int = 0) -> AsyncIterator[RunEvent]: ...
    def watch_all(self) -> AsyncIterator[RunEvent]: ...
    async def list_runs(self, limit: int = 50) -> list[RunSummary]: ...
    async def get(self, run_id: str) -> Detail: ...


def runs_of(state: Any) -> RunService:
    """The daemon's run manager. Raises :class:`RunsUnavailable` when it has none."""
    try:
        runs = state.runs
    except (AttributeError, RunError):  # DaemonState.runs raises RunError until the root sets a manager
        runs = None
    if runs is None:
        raise RunsUnavailable("this daemon runs without the agent (no run manager); see its log")
    service: RunService = runs
    return service


# --- shapes for the wire -----------------------------------------------------------------------------


def run_info(summary: RunSummary) -> rk.RunInfo:
    """The wire form of a run summary (the final message cut to 100 000 characters)."""
    message = summary.message
    if message is not None and len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return rk.RunInfo(
        run_id=summary.run_id,
        task=summary.task[: rk.MAX_TASK],
        status=summary.status,
        source=summary.source[:256],
        model=summary.model[:256],
        bridge_id=summary.bridge_id,
        tab_id=summary.tab_id,
        created=summary.created,
        finished=summary.finished,
        steps=summary.steps,
        message=message,
    )


def event_json(event: RunEvent) -> dict[str, Any]:
    data: dict[str, Any] = event.model_dump(mode="json")
    return data


def events_page(
    detail: Detail, after_seq: int, limit: int = rk.MAX_EVENTS_PER_GET
) -> tuple[list[RunEvent], bool]:
    """The events of ``detail`` after ``after_seq``, at most ``limit``, and whether more follow."""
    later = [e for e in detail.events if e.seq > after_seq]
    return later[:limit], len(later) > limit


def detail_message(detail: Detail, after_seq: int) -> rk.RunDetail:
    page, more = events_page(detail, after_seq)
    return rk.RunDetail(run=run_info(detail.summary), events=[event_json(e) for e in page], more=more)


# --- artifacts ---------------------------------------------------------------------------------------

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_type(head: bytes) -> str | None:
    """The MIME type of an image by its first bytes (PNG, JPEG, GIF, WebP), else ``None``."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _artifacts_of(detail: Detail) -> set[str]:
    found: set[str] = set()
    for event in detail.events:
        if event.type == "tool.finished":
            found.update(event.artifacts)
    return found


def _read_image(path: str, limit: int) -> tuple[str, bytes]:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ArtifactUnavailable(f"{path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ArtifactUnavailable(f"{path} is larger than {limit} bytes")
    mime = image_type(data[:16])
    if mime is None:
        raise ArtifactUnavailable(f"{path} is not a PNG, JPEG, GIF or WebP image")
    return mime, data


async def read_artifact(detail: Detail, path: str, limit: int = rk.MAX_ARTIFACT_BYTES) -> tuple[str, bytes]:
    """An image artifact of the run: only a path that a ``tool.finished`` event of this run names is read.
    Raises :class:`ArtifactUnavailable` otherwise, or when the file is gone, too large or not an image."""
    if path not in _artifacts_of(detail):
        raise ArtifactUnavailable(f"run {detail.summary.run_id} wrote no artifact {path!r}")
    return await asyncio.to_thread(_read_image, path, limit)


# --- the bridge handlers -----------------------------------------------------------------------------


class BridgeRunApi(ConnectionWatches):
    """The run handlers of one relay connection and its ``run.watch`` subscriptions."""

    def handlers(self) -> dict[str, Handler]:
        return {
            "run.start": self._start,
            "run.stop": self._stop,
            "runs.list": self._list,
            "run.get": self._get,
            "run.watch": self._watch,
            "run.unwatch": self._unwatch,
            "run.artifact": self._artifact,
        }

    async def _start(self, msg: Message) -> Message:
        assert isinstance(msg, rk.RunStart)
        req = msg.to_request(self._bridge_id())
        run_id = await runs_of(self._conn.state).start(req)
        log.info("bridge %s started run %s (%s)", req.bridge_id, run_id, req.source)
        return rk.RunStarted(run_id=run_id)

    async def _stop(self, msg: Message) -> Message:
        assert isinstance(msg, rk.RunStop)
        self._bridge_id()
        stopped = await runs_of(self._conn.state).stop(msg.run_id)
        return rk.RunStopped(run_id=msg.run_id, stopped=stopped)

    async def _list(self, msg: Message) -> Message:
        assert isinstance(msg, rk.RunsList)
        self._bridge_id()
        runs = await runs_of(self._conn.state).list_runs(msg.limit)
        return rk.RunsListResult(runs=[run_info(s) for s in runs[: msg.limit]])

    async def _get(self, msg: Message) -> Message:
        assert isinstance(msg, rk.RunGet)
        self._bridge_id()
        return detail_message(await runs_of(self._conn.state).get(msg.run_id), msg.after_seq)

    async def _watch(self, msg: Message) -> Message:
        assert isinstance(msg, rk.RunWatch)
        self._bridge_id()
        runs = runs_of(self._conn.state)
        if msg.run_id is None:
            events = runs.watch_all()
        else:
            await runs.get(msg.run_id)  # RunNotFound now, as the reply, rather than a silent empty watch
            events = runs.events(msg.run_id, msg.after_seq)
        await self.watches.start(msg.run_id, events, self._deliver)
        return rk.RunWatching(run_id=msg.run_id)

    async def _unwatch(self, msg: Message) -> Message:
        assert isinstance(msg, rk.RunUnwatch)
        return rk.RunUnwatched(stopped=await self.watches.stop(msg.run_id))

    async def _artifact(self, msg: Message) -> Message:
        assert isinstance(msg, rk.RunArtifact)
        self._bridge_id()
        detail = await runs_of(self._conn.state).get(msg.run_id)
        mime, data = await read_artifact(detail, msg.path)
        return rk.RunArtifactResult.model_validate(
            {"mime": mime, "data": base64.b64encode(data).decode("ascii")}
        )

    async def _deliver(self, event: RunEvent) -> None:
        await self._notify("run.event", rk.RunEventMsg(event=event_json(event)))
