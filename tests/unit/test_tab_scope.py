"""Which tabs a run may use (tools/tab_scope.py): the naming rule, the check in front of every browser tool
(over a scripted channel: the one layer below, validated as the wire would), the task-titled group, and the
run manager releasing the tabs of a run when it ends (real RunManager, real SQLite store, the scripted model
server on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from webbridge import errors
from webbridge.agent.chat import ToolCall
from webbridge.agent.events import RunRequest, ToolFinished
from webbridge.agent.runs import RunManager
from webbridge.daemon.bridges import Bridge, BridgeRegistry
from webbridge.protocol.browser_kinds import Done, Navigated, TabResult, TabsListResult
from webbridge.protocol.fields import Message, Tab
from webbridge.protocol.messages import parse_body
from webbridge.protocol.tab_control_kinds import TabControl, TabControlled
from webbridge.store.runs import RunStore
from webbridge.testing.model_script import Expect, Reply, ScriptToolCall, Step
from webbridge.testing.model_server import ScriptedModelServer
from webbridge.tools.browser_tools import BROWSER_TOOLS
from webbridge.tools.page_io_tools import PAGE_IO_TOOLS
from webbridge.tools.registry import ToolContext, ToolRegistry
from webbridge.tools.tab_scope import (
    TAB_SCOPE,
    TabScope,
    named_hosts,
    names_tab,
    opened_by,
    release,
    task_title,
)

from .test_browser_tools import FakeBridge, ScriptedChannel, acted, remote, run, snap
from .test_loop_runs import manager as make_manager

KEY = "sk-test-key"
USER_TAB = Tab(id=9, window_id=1, url="https://bank.test/account", title="My Bank — Account", active=False)
TASK_TAB = Tab(id=7, window_id=1, url="https://a.test/", title="A", active=True)


# --- the rule --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "title"),
    [
        ("Book a flight to Paris for next Tuesday", "Book a flight to Paris"),
        ("  Summarise\n\tthis   page ", "Summarise this page"),
        ("x" * 40 + " more", "x" * 23 + "…"),
        ("Compare prices-for-the-three-laptops-I-opened", "Compare"),
        ("\x00\u200b \n", "WebBridge task"),
    ],
)
def test_the_group_title_is_the_tasks_first_words(task: str, title: str) -> None:
    assert task_title(task) == title
    assert len(task_title(task)) <= 24


def test_hosts_the_task_mentions() -> None:
    task = (
        "Compare https://www.Example.com:8443/a with shop.test. Mail bob@mail.test, see münchen.de and "
        "http://127.0.0.1:8123/form; version 1.5 and report.pdf are no hosts"
    )
    assert named_hosts(task) == {
        ("example.com", 8443), ("shop.test", None), ("xn--mnchen-3ya.de", None), ("127.0.0.1", 8123),
        ("report.pdf", None),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("task", "url", "title", "named"),
    [
        # by host
        ("Pay the bill on bank.test", "https://bank.test/account", "x", True),
        ("Pay the bill on BANK.test.", "https://www.bank.test/account", "x", True),
        ("Open https://www.bank.test/pay", "https://bank.test/account", "x", True),
        ("Pay the bill on bank.test", "http://bank.test:8080/", "x", True),  # no port written: any port
        ("Fill http://127.0.0.1:5000/form", "http://127.0.0.1:5000/other", "x", True),
        ("Fill http://127.0.0.1:5000/form", "http://127.0.0.1:5001/form", "x", False),  # other port
        ("Fill https://bank.test:443/", "https://bank.test/", "x", True),  # the scheme's default port
        ("Fill http://localhost:5000/form", "http://127.0.0.1:5000/form", "x", False),  # other host
        ("Pay the bill on bank.test", "https://online.bank.test/", "x", False),  # a subdomain
        ("Pay the bill on online.bank.test", "https://bank.test/", "x", False),
        ("Pay the bill on notbank.test", "https://bank.test/", "x", False),
        ("Pay the bill on bank.test.evil.example", "https://bank.test/", "x", False),
        ("Write to alice@bank.test", "https://bank.test/", "x", False),  # an e-mail address
        ("Open münchen.de", "https://xn--mnchen-3ya.de/", "x", True),
        ("Open bank.test", "about:blank", "x", False),
        ("Open bank.test", "not a url", "x", False),
        # by title
        ("Look at the My Bank — Account tab", "https://x.test/", "My Bank — Account", True),
        ("look at the my  bank — ACCOUNT tab", "https://x.test/", "My Bank —\nAccount", True),
        ("Look at the My Bank — Accounts tab", "https://x.test/", "My Bank — Account", False),
        ("Look at my bank", "https://x.test/", "My Bank — Account", False),  # part of the title only
        ("Read the news", "https://x.test/", "New", False),  # too short to name anything
        ("Read the newspaper", "https://x.test/", "news", False),  # inside a longer word
        ("Read the (news)", "https://x.test/", "news", True),
        ("Summarise this page", "https://x.test/", "", False),
    ],
)
def test_which_tabs_a_task_names(task: str, url: str, title: str, named: bool) -> None:
    assert names_tab(task, url, title) is named


# --- the check in front of the tools ---------------------------------------------------------------------


def scoped(
    tmp_path: Path, task: str, tab_id: int | None = 7
) -> tuple[ToolContext, ScriptedChannel, TabScope]:
    ch = ScriptedChannel()
    scope = TabScope.for_task(task, tab_id)
    state: dict[str, Any] = {TAB_SCOPE: scope}
    ctx = ToolContext(
        run_id="r-1234abcd", bridge=FakeBridge(ch), tab_id=tab_id, workspace=tmp_path, state=state
    )
    return ctx, ch, scope


def controlled(msg: Message) -> TabControlled:
    assert isinstance(msg, TabControl)
    return TabControlled(tab_id=msg.tab_id, shown=msg.on, group_id=4 if msg.group else None)


async def test_a_users_tab_the_task_does_not_name_is_refused_and_nothing_is_done(tmp_path: Path) -> None:
    ctx, ch, scope = scoped(tmp_path, "Summarise this page")
    ch.on("tabs.list", *[TabsListResult(tabs=[TASK_TAB, USER_TAB])] * 12)
    calls: list[tuple[str, dict[str, Any]]] = [
        ("click", {"ref": "f0e1"}), ("type_text", {"ref": "f0e1", "text": "x"}), ("snapshot", {}),
        ("page_text", {}), ("navigate", {"url": "https://a.test/"}), ("wait_for", {"text": "x"}),
        ("tab_close", {}), ("scroll", {}), ("press", {"keys": "Enter"}),
    ]  # fmt: skip
    for name, args in calls:
        res = await run(ctx, name, **args, tab_id=9)
        assert res.is_error and res.error_code == 7130, (name, res.content)
        assert "tab 9 is one of the user's own tabs and this task does not name it" in res.content
    activated = await run(ctx, "tab_activate", tab_id=9)
    assert activated.error_code == 7130
    reg = ToolRegistry(PAGE_IO_TOOLS)
    args = '{"script": "1", "tab_id": 9}'
    evaluated = await reg.call(ToolCall(id="e", name="evaluate", arguments=args), ctx)
    assert evaluated.error_code == 7130
    # Only the tab list was read: nothing was asked of tab 9, and it was not marked controlled.
    assert {m.kind for m in ch.sent} == {"tabs.list"}
    assert scope.granted == {7} and scope.controlled == set() and ctx.tab_id == 7


async def test_the_tasks_tab_is_marked_controlled_once_then_used(tmp_path: Path) -> None:
    ctx, ch, scope = scoped(tmp_path, "Buy the thing")
    ch.on("tab.control", controlled)
    ch.on("page.snapshot", snap())
    ch.on("page.act", acted(), acted())
    assert not (await run(ctx, "snapshot")).is_error
    assert not (await run(ctx, "click", ref="f0e1")).is_error
    assert not (await run(ctx, "click", ref="f0e1", tab_id=7)).is_error
    assert [m.kind for m in ch.sent] == ["tab.control", "page.snapshot", "page.act", "page.act"]
    control = ch.sent[0]
    assert isinstance(control, TabControl)
    assert (control.tab_id, control.run_id, control.on, control.group) == (7, "r-1234abcd", True, None)
    assert control.label == "WebBridge: Buy the thing"
    assert scope.controlled == {7}


async def test_a_tab_the_task_names_may_be_used_and_stays_granted(tmp_path: Path) -> None:
    ctx, ch, scope = scoped(tmp_path, "Check the balance on bank.test", tab_id=None)
    ch.on("tabs.list", TabsListResult(tabs=[TASK_TAB, USER_TAB]))
    ch.on("tab.control", controlled)
    ch.on("page.snapshot", snap(url=USER_TAB.url))
    ch.on("page.navigate", Navigated(url="https://elsewhere.test/", title="E"))
    ch.on("page.act", acted(url="https://elsewhere.test/"))
    ch.on("tabs.activate", TabResult(tab=USER_TAB.model_copy(update={"active": True})))
    assert not (await run(ctx, "snapshot", tab_id=9)).is_error
    # The run took the tab to another site: it is still the run's to use (no new look-up, no new mark).
    assert not (await run(ctx, "navigate", url="https://elsewhere.test/", tab_id=9)).is_error
    assert not (await run(ctx, "click", ref="f0e1", tab_id=9)).is_error
    assert not (await run(ctx, "tab_activate", tab_id=9)).is_error
    assert [m.kind for m in ch.sent] == [
        "tabs.list", "tab.control", "page.snapshot", "page.navigate", "page.act", "tabs.activate",
    ]  # fmt: skip
    assert scope.granted == {9} and ctx.tab_id == 9
    # Another of the user's tabs is still refused.
    ch.on("tabs.list", TabsListResult(tabs=[TASK_TAB, USER_TAB]))
    assert (await run(ctx, "click", ref="f0e1", tab_id=7)).error_code == 7130


async def test_the_tab_list_marks_the_users_tabs_this_task_may_not_use(tmp_path: Path) -> None:
    named = Tab(id=11, window_id=1, url="https://shop.test/cart", title="Cart", active=False)
    ctx, ch, _ = scoped(tmp_path, "Empty my cart on shop.test")
    ch.on("tabs.list", TabsListResult(tabs=[TASK_TAB, USER_TAB, named]))
    res = await run(ctx, "tabs_list")
    assert res.content.splitlines() == [
        "[7] A — https://a.test/ (active, current)",
        "[9] My Bank — Account — https://bank.test/account (off-limits)",
        "[11] Cart — https://shop.test/cart",
    ]
    assert [m.kind for m in ch.sent] == ["tabs.list"]


async def test_a_current_tab_the_browser_did_not_name_is_the_first_active_one(tmp_path: Path) -> None:
    ctx, ch, scope = scoped(tmp_path, "Summarise this page", tab_id=None)
    scope.current_unknown = TabScope.for_task("t", None, current=True).current_unknown
    ch.on("tabs.list", *[TabsListResult(tabs=[TASK_TAB, USER_TAB])] * 2)
    ch.on("tab.control", controlled)
    ch.on("page.act", acted())
    assert (await run(ctx, "click", ref="f0e1", tab_id=9)).error_code == 7130  # not the active one
    assert not (await run(ctx, "click", ref="f0e1", tab_id=7)).is_error
    assert scope.task_tab == 7 and not scope.current_unknown and scope.granted == {7}
    assert not TabScope.for_task("t", 3, current=True).current_unknown  # the browser named it


async def test_a_tab_that_does_not_exist_is_6005_and_nothing_is_sent(tmp_path: Path) -> None:
    ctx, ch, _ = scoped(tmp_path, "Summarise this page")
    ch.on("tabs.list", TabsListResult(tabs=[TASK_TAB]))
    res = await run(ctx, "click", ref="f0e1", tab_id=40)
    assert res.error_code == 6005 and "there is no tab 40" in res.content
    assert [m.kind for m in ch.sent] == ["tabs.list"]


async def test_tabs_the_run_opens_join_its_group_and_are_its_own(tmp_path: Path) -> None:
    ctx, ch, scope = scoped(tmp_path, "Compare laptop prices across three shops", tab_id=None)
    opened = Tab(id=21, window_id=1, url="https://shop.test/", title="Shop", active=False)
    ch.on("tabs.open", TabResult(tab=opened))
    ch.on("tab.control", controlled)
    ch.on("page.act", acted(url=opened.url))
    ch.on("tabs.close", Done())
    res = await run(ctx, "tab_open", url="https://shop.test/")
    assert not res.is_error and ctx.tab_id == 21
    assert not (await run(ctx, "click", ref="f0e1")).is_error
    assert not (await run(ctx, "tab_close")).is_error
    assert [m.kind for m in ch.sent] == ["tabs.open", "tab.control", "page.act", "tabs.close"]
    open_msg, control = ch.sent[0], ch.sent[1]
    assert open_msg.model_dump()["group"] is None  # the group comes with tab.control, one per run
    assert isinstance(control, TabControl)
    assert (control.tab_id, control.on, control.group) == (21, True, "Compare laptop prices")
    # Closed: forgotten (a reused id would be a new tab).
    assert 21 not in scope.granted and 21 not in scope.controlled and ctx.tab_id is None


def popup(tab_id: int, run_id: str | None) -> Tab:
    return Tab(id=tab_id, window_id=1, url="https://a.test/report", title="Report", active=False,
               opened_by_run=run_id)  # fmt: skip


async def test_a_tab_a_page_of_the_run_opened_is_granted_once_and_joins_its_group(tmp_path: Path) -> None:
    ctx, ch, scope = scoped(tmp_path, "Summarise this page")
    ch.on("tabs.list", TabsListResult(tabs=[TASK_TAB, USER_TAB, popup(30, "r-1234abcd")]))
    ch.on("tab.control", controlled)
    ch.on("page.snapshot", snap(url="https://a.test/report"))
    ch.on("page.act", acted(url="https://a.test/report"))
    assert not (await run(ctx, "snapshot", tab_id=30)).is_error
    assert not (await run(ctx, "click", ref="f0e1", tab_id=30)).is_error  # granted: no new look-up
    assert [m.kind for m in ch.sent] == ["tabs.list", "tab.control", "page.snapshot", "page.act"]
    control = ch.sent[1]
    assert isinstance(control, TabControl)
    assert (control.tab_id, control.run_id, control.on) == (30, "r-1234abcd", True)
    assert (control.group, control.label) == ("Summarise this page", "WebBridge: Summarise this page")
    assert scope.granted == {7, 30} and scope.opened == {30} and scope.controlled == {30}


@pytest.mark.parametrize("opener", [None, "r-other-run"])
async def test_a_tab_opened_by_the_user_or_another_run_is_still_refused(
    tmp_path: Path, opener: str | None
) -> None:
    ctx, ch, scope = scoped(tmp_path, "Summarise this page")
    ch.on("tabs.list", TabsListResult(tabs=[TASK_TAB, popup(30, opener)]))
    res = await run(ctx, "snapshot", tab_id=30)
    assert res.error_code == 7130 and "tab 30 is one of the user's own tabs" in res.content
    assert [m.kind for m in ch.sent] == ["tabs.list"]
    assert scope.granted == {7} and scope.opened == set()


async def test_the_tab_list_leaves_the_runs_opened_tabs_unmarked(tmp_path: Path) -> None:
    ctx, ch, _ = scoped(tmp_path, "Summarise this page")
    ch.on(
        "tabs.list", TabsListResult(tabs=[popup(30, "r-1234abcd"), popup(31, "r-other-run"), popup(32, None)])
    )
    res = await run(ctx, "tabs_list")
    assert res.content.splitlines() == [
        "[30] Report — https://a.test/report",
        "[31] Report — https://a.test/report (off-limits)",
        "[32] Report — https://a.test/report (off-limits)",
    ]
    assert [t["opened_by_run"] for t in res.data] == ["r-1234abcd", "r-other-run", None]


def test_the_opening_run_is_optional_on_the_wire_and_checked_when_present() -> None:
    older = {"id": 3, "window_id": 1, "url": "https://a.test/", "title": "A", "active": False}
    parsed = parse_body("tabs.list.result", {"tabs": [older]})
    assert isinstance(parsed, TabsListResult) and parsed.tabs[0].opened_by_run is None
    with pytest.raises(errors.InvalidMessage, match="opened_by_run"):
        parse_body("tabs.list.result", {"tabs": [older | {"opened_by_run": "not a run id!"}]})
    assert not opened_by(popup(30, None), None) and not opened_by(popup(30, "r-1"), None)


async def test_without_a_run_the_tools_work_as_before(tmp_path: Path) -> None:
    ch = ScriptedChannel().on("page.act", acted()).on("tabs.open", TabResult(tab=TASK_TAB))
    ctx = ToolContext(run_id="run-12345678-abc", bridge=FakeBridge(ch), tab_id=None, workspace=tmp_path)
    assert not (await run(ctx, "click", ref="f0e1", tab_id=9)).is_error
    assert not (await run(ctx, "tab_open", url="https://a.test/")).is_error
    assert [m.kind for m in ch.sent] == ["page.act", "tabs.open"]
    assert ch.sent[1].model_dump()["group"] == "WebBridge run-1234"


async def test_release_tells_the_extension_for_every_tab_and_tolerates_gone_ones(tmp_path: Path) -> None:
    ch = ScriptedChannel()
    ch.on("tab.control", remote(6005, "tab_not_found", "no tab 3"), controlled)
    scope = TabScope.for_task("t", 3)
    scope.controlled = {3, 8}
    await release(scope, FakeBridge(ch), "r-9")
    assert [(m.tab_id, m.on, m.run_id) for m in ch.sent if isinstance(m, TabControl)] == [
        (3, False, "r-9"), (8, False, "r-9"),
    ]  # fmt: skip
    assert scope.controlled == set()
    await release(scope, FakeBridge(ch), "r-9")  # idempotent: nothing left to release
    assert len(ch.sent) == 2
    # A browser gone is logged, not raised.
    scope.controlled = {5}
    await release(scope, FakeBridge(ScriptedChannel().on("tab.control", errors.ChannelClosed("gone"))), "r-9")
    await release(scope, None, "r-9")


# --- the run manager: a run's scope, and its tabs released when it ends ------------------------------------


def tc(name: str, args: dict[str, Any], id: str) -> ScriptToolCall:
    return ScriptToolCall(name=name, arguments=args, id=id)


async def test_a_run_uses_its_tab_is_refused_another_and_releases_its_tab_at_the_end(tmp_path: Path) -> None:
    ch = ScriptedChannel()
    ch.on("tab.control", controlled, controlled)
    ch.on("page.act", acted())
    ch.on("tabs.list", TabsListResult(tabs=[TASK_TAB, USER_TAB]))
    bridges = BridgeRegistry(2)
    bridges.add(Bridge("b-1", "home", "chromium", "Default", "chrome-extension://x/", "p-1", "0.1", ch))  # type: ignore[arg-type]
    script = [
        Step(reply=Reply(tool_calls=(tc("click", {"ref": "f0e1"}, "c1"),))),
        Step(expect=Expect(last_tool_result_for="c1"),
             reply=Reply(tool_calls=(tc("click", {"ref": "f0e1", "tab_id": 9}, "c2"),))),
        Step(expect=Expect(last_tool_result_for="c2", last_message_contains="7130"),
             reply=Reply(text="Done.")),
    ]  # fmt: skip
    store = await RunStore.open(tmp_path / "runs.db")
    try:
        async with ScriptedModelServer(script, api_key=KEY) as server:
            runs: RunManager = make_manager(store, tmp_path, server, bridges=bridges)
            runs.registry = ToolRegistry(BROWSER_TOOLS)
            run_id = await runs.start(RunRequest(task="Press the button here", tab_id=7))
            summary = await runs.wait(run_id)
            events = [e async for e in runs.events(run_id)]
            await runs.aclose()
            server.assert_done()
    finally:
        await store.aclose()
    assert summary.status == "done"
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert [(e.ok, e.error_code) for e in finished] == [(True, None), (False, 7130)]
    kinds = [(m.kind, getattr(m, "tab_id", None), getattr(m, "on", None)) for m in ch.sent]
    assert kinds == [
        ("tab.control", 7, True), ("page.act", 7, None), ("tabs.list", None, None), ("tab.control", 7, False),
    ]  # fmt: skip
