"""The policy kinds a bridge sends (daemon/policy_api) through the real daemon: its socket server, a relay
connection, the sealed channel, the real approval broker, the real policy runtime (policy file, SQLite grants
and audit in a temporary home). A FakeExtension is the bridge. Only the run manager is a small hub that
fans events out (this tests one layer: the surfaces, not the agent loop)."""

from __future__ import annotations

import argparse
import asyncio
import functools
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from webbridge.agent.chat import Usage
from webbridge.agent.emitter import Emitter
from webbridge.agent.events import Notice, RunEvent, RunFinished
from webbridge.daemon.keystore import Pairing
from webbridge.daemon.policy_api import broadcast_policy_changed, policy_version
from webbridge.daemon.server import DaemonState, Server
from webbridge.errors import RemoteError
from webbridge.policy.actions import ActionClass
from webbridge.policy.approval import ApprovalRequest
from webbridge.policy.approvals import Answer, ApprovalBroker
from webbridge.policy.cli import cmd_policy
from webbridge.policy.decide import decide
from webbridge.policy.locations import policy_file
from webbridge.policy.proposed import Element, ProposedAction
from webbridge.policy.rules import parse_policy
from webbridge.policy.runtime import PolicyRuntime
from webbridge.protocol import policy_kinds as pk
from webbridge.protocol.channel import Handler
from webbridge.protocol.fields import Message
from webbridge.testing import FakeExtension

from ._control_daemon import home_settings, open_extension, paired_state

DEADLINE = 10.0


class Hub:
    """``watch_all`` of the run manager: every event pushed reaches every live iterator, in order."""

    def __init__(self) -> None:
        self._queues: list[asyncio.Queue[RunEvent]] = []
        self.subscribed = asyncio.Event()

    def push(self, event: RunEvent) -> None:
        for queue in self._queues:
            queue.put_nowait(event)

    async def watch_all(self) -> AsyncIterator[RunEvent]:
        queue: asyncio.Queue[RunEvent] = asyncio.Queue()
        self._queues.append(queue)
        self.subscribed.set()
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.remove(queue)


class Daemon:
    def __init__(self, state: DaemonState, pairing: Pairing, runtime: PolicyRuntime, broker: ApprovalBroker,
                 hub: Hub) -> None:  # fmt: skip
        self.state = state
        self.pairing = pairing
        self.runtime = runtime
        self.broker = broker
        self.hub = hub
        self.fakes: list[FakeExtension] = []

    async def extension(self, received: asyncio.Queue[dict[str, Any]] | None = None) -> FakeExtension:
        """A paired fake extension with an open session; ``approval.event``/``policy.changed`` bodies land in
        ``received``."""
        handlers: dict[str, Handler] = {}
        if received is not None:

            async def on_event(msg: Message) -> None:
                received.put_nowait({"kind": msg.kind, **msg.model_dump(mode="json", exclude={"kind"})})

            handlers["approval.event"] = handlers["policy.changed"] = on_event
        fake = await open_extension(self.state, self.pairing, handlers)
        self.fakes.append(fake)
        return fake

    def ask(self, run_id: str, request: ApprovalRequest) -> asyncio.Task[Answer]:
        """A run waiting on the broker, its events going into the hub (as the run manager's would)."""
        emitter = Emitter(run_id, self.hub.push, next_seq=2)
        return asyncio.get_running_loop().create_task(
            self.broker.ask(run_id, request, unattended=False, emit=emitter.emit, task_id=run_id)
        )


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    settings = home_settings(tmp_path)
    policy_file(settings.paths).write_text('[sites."blocked.example"]\nall = "deny"\n')
    state, pairing = paired_state(settings)
    hub = Hub()
    state.runs = hub  # type: ignore[assignment]
    runtime = PolicyRuntime.open(settings.paths, session_id="s-test", approval_timeout=60)
    broker = runtime.approvals
    state.policy = runtime
    state.approvals = broker
    server = Server(state)
    await server.start()
    d = Daemon(state, pairing, runtime, broker, hub)
    try:
        yield d
    finally:
        for fake in d.fakes:
            await fake.aclose()
        await server.aclose()
        runtime.close()


def _request(role: str, name: str, cls: ActionClass = ActionClass.SUBMIT) -> ApprovalRequest:
    url = "https://shop.example.com/cart"
    action = ProposedAction(tool="page_click", action=cls, url=url, element=Element(role, name), ref="e4",
                            run_id="r-1", task_id="r-1", session_id="s-test")  # fmt: skip
    decision = decide(action, parse_policy(""), [], time.time())
    assert decision.outcome == "ask"
    return ApprovalRequest.build(action, decision)


async def _next(queue: asyncio.Queue[dict[str, Any]], kind: str, etype: str | None = None) -> dict[str, Any]:
    async with asyncio.timeout(DEADLINE):
        while True:
            item = await queue.get()
            if item["kind"] == kind and (etype is None or item["event"]["type"] == etype):
                return item


async def _pending_ids(fake: FakeExtension) -> list[str]:
    reply = await fake.request("approvals.list", {})
    assert isinstance(reply, pk.ApprovalsListResult)
    return [a.approval_id for a in reply.approvals]


async def test_a_watched_approval_is_answered_for_the_task_and_its_grant_revoked(daemon: Daemon) -> None:
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    fake = await daemon.extension(received)
    assert isinstance(await fake.request("approvals.watch", {}), pk.ApprovalsWatching)
    async with asyncio.timeout(DEADLINE):
        await daemon.hub.subscribed.wait()
    waiting = daemon.ask("r-1", _request("button", "Continue"))

    asked = await _next(received, "approval.event", "approval.requested")
    approval_id = asked["event"]["approval_id"]
    listed = await fake.request("approvals.list", {})
    assert isinstance(listed, pk.ApprovalsListResult)
    [card] = listed.approvals
    assert (card.approval_id, card.run_id) == (approval_id, "r-1")
    assert (card.request.verb, card.request.origin, card.request.element_name) == (
        "submit", "https://shop.example.com", "Continue")
    assert not card.request.irreversible and not card.request.once_only
    assert card.expires - card.created == 60_000

    answer_body = {"approval_id": approval_id, "allow": True, "lifetime": "task"}
    reply = await fake.request("approval.answer", answer_body)
    assert isinstance(reply, pk.ApprovalAnswered) and reply.allowed and reply.lifetime == "task"
    async with asyncio.timeout(DEADLINE):
        answer = await waiting
    assert answer.allowed and answer.by == "sidepanel" and answer.lifetime == "task"
    resolved = await _next(received, "approval.event", "approval.resolved")
    assert resolved["event"]["allowed"] is True and resolved["event"]["by"] == "sidepanel"
    assert await _pending_ids(fake) == []

    grants = await fake.request("grants.list", {})
    assert isinstance(grants, pk.GrantsListResult)
    [grant] = grants.grants
    assert (grant.domain, grant.classes, grant.lifetime, grant.task_id, grant.active) == (
        "example.com", ["submit"], "task", "r-1", True)
    assert grant.grant_id == resolved["event"]["grant_id"]

    revoked = await fake.request("grants.revoke", {"grant_id": grant.grant_id})
    assert isinstance(revoked, pk.GrantsRevoked) and revoked.grant.revoked and not revoked.grant.active
    assert (await fake.request("grants.list", {})).grants == []  # type: ignore[attr-defined]
    everything = await fake.request("grants.list", {"include_inactive": True})
    assert [g.revoked for g in everything.grants] == [True]  # type: ignore[attr-defined]
    [entry] = [e for e in daemon.runtime.audit.entries() if e.kind == "grant"]
    assert (entry.grant_id, entry.outcome) == (grant.grant_id, "revoked")
    assert entry.actor.startswith("user:bridge:")


async def test_an_irreversible_action_takes_only_once_and_a_deny_reaches_the_run(daemon: Daemon) -> None:
    fake = await daemon.extension()
    waiting = daemon.ask("r-1", _request("button", "Buy now"))
    async with asyncio.timeout(DEADLINE):
        while not daemon.broker.pending():
            await daemon.broker.wait_changed()
    [approval_id] = await _pending_ids(fake)
    card = (await fake.request("approvals.list", {})).approvals[0]  # type: ignore[attr-defined]
    assert (card.request.verb, card.request.irreversible, card.request.once_only) == ("purchase", True, True)
    for lifetime in ("task", "session", "always"):
        with pytest.raises(RemoteError) as exc:
            body = {"approval_id": approval_id, "allow": True, "lifetime": lifetime}
            await fake.request("approval.answer", body)
        assert exc.value.remote_code == 8013
    assert await _pending_ids(fake) == [approval_id], "a refused answer changes nothing"
    await fake.request("approval.answer", {"approval_id": approval_id, "allow": False, "via": "notification"})
    async with asyncio.timeout(DEADLINE):
        answer = await waiting
    assert not answer.allowed and answer.by == "notification" and not answer.timed_out
    assert daemon.runtime.grants.list_grants() == []
    with pytest.raises(RemoteError) as again:
        await fake.request("approval.answer", {"approval_id": approval_id, "allow": True})
    assert again.value.remote_code == 8012, "the first answer stands"
    with pytest.raises(RemoteError) as unknown:
        await fake.request("approval.answer", {"approval_id": "a-nothing", "allow": True})
    assert unknown.value.remote_code == 8011


async def test_a_finished_run_reaches_the_approvals_watch(daemon: Daemon) -> None:
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    fake = await daemon.extension(received)
    await fake.request("approvals.watch", {})
    async with asyncio.timeout(DEADLINE):
        await daemon.hub.subscribed.wait()
    # Events of no interest to approvals are not forwarded; run.finished is (it drops the run's cards).
    emitter = Emitter("r-9", daemon.hub.push)
    emitter.emit(Notice, level="info", message="thinking")
    emitter.emit(RunFinished, outcome="cancelled", message="stopped", total_usage=Usage(), steps=0)
    finished = await _next(received, "approval.event")
    assert finished["event"]["type"] == "run.finished" and finished["event"]["run_id"] == "r-9"


async def test_the_summary_follows_the_policy_file_and_a_change_is_broadcast(daemon: Daemon) -> None:
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    fake = await daemon.extension(received)
    summary = await fake.request("policy.summary", {})
    assert isinstance(summary, pk.PolicySummaryResult)
    assert summary.mode == "grants"
    [rule] = [s for s in summary.sites if s.pattern == "blocked.example"]
    assert rule.all == "deny"
    assert any(c.name == "banking" for c in summary.deny_categories)

    policy_file(daemon.state.settings.paths).write_text('mode = "ask"\n')
    policy = daemon.runtime.reload()
    assert await broadcast_policy_changed(daemon.state, policy) == 1
    changed = await _next(received, "policy.changed")
    assert changed["version"] == policy_version(policy) != summary.version
    again = await fake.request("policy.summary", {})
    assert again.mode == "ask" and again.version == changed["version"]  # type: ignore[attr-defined]
    assert not any(s.pattern == "blocked.example" for s in again.sites)  # type: ignore[attr-defined]


async def test_an_unknown_grant_is_refused_and_a_daemon_without_policy_says_so(daemon: Daemon) -> None:
    fake = await daemon.extension()
    with pytest.raises(RemoteError) as missing:
        await fake.request("grants.revoke", {"grant_id": "g_0000"})
    assert missing.value.remote_code == 8005
    daemon.state.policy = None
    daemon.state.approvals = None
    for kind in ("policy.summary", "grants.list", "approvals.list", "approvals.watch"):
        with pytest.raises(RemoteError) as exc:
            await fake.request(kind, {})
        assert exc.value.remote_code == 8020, kind


async def test_policy_set_reaches_the_running_daemon_which_tells_the_browsers(daemon: Daemon) -> None:
    # wired as the composition root wires it (app.py)
    daemon.runtime.on_change = functools.partial(broadcast_policy_changed, daemon.state)
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    fake = await daemon.extension(received)
    before = await fake.request("policy.summary", {})
    assert isinstance(before, pk.PolicySummaryResult) and before.mode == "grants"
    out = io.StringIO()
    args = argparse.Namespace(policy_action="set", mode="ask", default=None, rule=[], json=False)
    # the CLI, as `webbridge policy set --mode ask` runs it: writes the file, then `policy.reload` over the
    # real control socket (a blocking client, so in a thread)
    assert await asyncio.to_thread(cmd_policy, args, daemon.state.settings.paths, out) == 0
    assert "the running daemon uses it now" in out.getvalue()
    changed = await _next(received, "policy.changed")
    assert daemon.runtime.policy.mode == "ask" and changed["version"] == policy_version(daemon.runtime.policy)
    assert changed["version"] != before.version
    # an edit by hand is noticed when the extension next asks (and announced to every browser)
    path = policy_file(daemon.state.settings.paths)
    path.write_text(path.read_text() + '[sites."other.example"]\nall = "deny"\n')
    again = await fake.request("policy.summary", {})
    assert any(s.pattern == "other.example" for s in again.sites)  # type: ignore[attr-defined]
    assert (await _next(received, "policy.changed"))["version"] == again.version  # type: ignore[attr-defined]
