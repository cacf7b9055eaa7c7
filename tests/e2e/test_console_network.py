"""Console messages and the network request log end to end (real Chromium, relay, daemon, CLI), and the
network-idle wait that now counts requests the page started before the agent looked at it."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from .browser_session import Session, ref_of, snap
from .conftest import wait_until

pytestmark = pytest.mark.e2e

REQUEST_FIELDS = {
    "seq", "method", "url", "type", "status", "error", "from_cache", "started", "duration_ms", "request_size",
    "response_size",
}


@pytest.fixture
def s(shared_s: Session) -> Session:
    """The module's one paired, signed-in browser, in a fresh tab of its own (conftest.shared_s)."""
    return shared_s


def console(s: Session, tab: int, **body: Any) -> dict[str, Any]:
    return s.call("page.console", {"tab_id": tab, **body})


def network(s: Session, tab: int, **body: Any) -> dict[str, Any]:
    return s.call("page.network", {"tab_id": tab, **body})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def debugger_use(s: Session) -> dict[str, Any]:
    use: dict[str, Any] = s.worker("() => self.__webbridge.debuggerUse()")
    return use


def test_console_of_pages_the_agent_opens_is_recorded_without_the_debugger(s: Session) -> None:
    attaches = debugger_use(s)["attaches"]
    tab = s.tab_id()
    s.call("page.navigate", {"tab_id": tab, "url": s.site.url("/console")})  # hooked as the document commits
    got = console(s, tab)
    assert got["watched"] is True and got["dropped"] == 0 and got["earlier_added"] == 0
    texts = [(m["level"], m["text"]) for m in got["messages"]]
    assert ("debug", "boot debug") in texts and ("info", "boot info") in texts
    assert ("warning", "boot warning") in texts and ("error", "boot error") in texts
    assert ("log", "boot log 42 Object null Array(2)") in texts
    long = next(m for m in got["messages"] if m["text"].startswith("xxxx"))
    assert len(long["text"]) == 4000 and long["text"].endswith("…")  # cut, and says so
    first = got["messages"][0]
    assert first["source"] == "console" and first["url"] == s.site.url("/console") and first["line"] >= 1

    # only what is new since the last read; an uncaught exception in a listener is an error
    mark = got["next"]
    ref = ref_of(snap(s, tab, mode="full")["text"], "button", "Log a line")
    # (DOM input only: a log line is no effect that `auto` could see, so it would click again, trusted)
    s.call("page.act", {"tab_id": tab, "action": "click", "ref": ref, "delta": False, "input": "dom"})
    s.call("page.evaluate", {"tab_id": tab, "script": """() => {
        addEventListener('boom', () => { throw new RangeError('kaboom in a listener'); });
        dispatchEvent(new Event('boom'));
        Promise.reject(new TypeError('nobody caught me'));
    }"""})
    s.call("page.wait_for", {"tab_id": tab, "state": "dom_quiet"})
    new = console(s, tab, since=mark)["messages"]
    assert [m["text"] for m in new if m["source"] == "console"] == ["clicked 1"]
    errors = [m for m in new if m["source"] == "exception"]
    assert [m["level"] for m in errors] == ["error", "error"]
    assert "RangeError: kaboom in a listener" in errors[0]["text"]
    assert "(in promise) TypeError: nobody caught me" in errors[1]["text"]
    assert debugger_use(s) == {"attached": [], "attaches": attaches}  # no "started debugging" bar


def test_console_logged_before_the_agent_arrived_is_fetched_on_request(s: Session) -> None:
    attaches = debugger_use(s)["attaches"]
    s.page.goto(s.site.url("/console"))  # the user's own navigation: the page logs before any agent request
    tab = s.tab_id()
    got = console(s, tab)
    assert got["watched"] is True and [m for m in got["messages"] if m["text"].startswith("boot")] == []
    assert debugger_use(s)["attaches"] == attaches

    got = console(s, tab, earlier=True)  # asks the browser's console, through a brief debugger attach
    assert got["earlier_added"] >= 6
    texts = [(m["level"], m["text"]) for m in got["messages"]]
    assert ("debug", "boot debug") in texts and ("info", "boot info") in texts
    assert ("warning", "boot warning") in texts and ("error", "boot error") in texts
    assert ("log", "boot log 42 Object null Array(2)") in texts
    first = got["messages"][0]
    assert first["source"] == "console" and first["url"] == s.site.url("/console") and first["line"] >= 1
    assert [m["seq"] for m in got["messages"]] == sorted(m["seq"] for m in got["messages"])
    assert debugger_use(s) == {"attached": [], "attaches": attaches + 1}  # detached again at once
    assert console(s, tab, earlier=True)["earlier_added"] == 0  # once per document: no duplicates

    # filters, paging, clearing
    only = console(s, tab, levels=["warning", "error"])["messages"]
    assert {m["level"] for m in only} == {"warning", "error"}
    page1 = console(s, tab, limit=2)
    assert len(page1["messages"]) == 2
    page2 = console(s, tab, since=page1["next"], limit=2)
    assert page2["messages"][0]["seq"] > page1["messages"][1]["seq"]
    console(s, tab, clear=True)
    assert console(s, tab)["messages"] == []
    assert s.error("page.console", {"tab_id": tab, "levels": ["fatal"]})[0] == 2002
    assert s.error("page.console", {"tab_id": 987654}) == (6005, "tab_not_found")


def test_a_page_logging_in_a_loop_keeps_the_newest_lines_and_says_what_it_dropped(s: Session) -> None:
    tab = s.tab_id()
    s.call("page.navigate", {"tab_id": tab, "url": s.site.url("/page/1")})
    mark = console(s, tab)["next"]
    loop = "for (let i = 0; i < 20000; i++) console.log('line', i)"
    s.call("page.evaluate", {"tab_id": tab, "script": loop})

    def arrived() -> list[dict[str, Any]] | None:
        got = console(s, tab, since=mark, limit=1000)["messages"]
        return got if got and got[-1]["text"] == "line 19999" else None

    got = wait_until(arrived, what="the batch of console lines")  # reports are sent after the page's task
    assert got[0]["level"] == "warning"
    assert got[0]["text"].startswith("WebBridge dropped 19001 console messages")
    assert [m["text"] for m in got[1:]] == [f"line {i}" for i in range(19001, 20000)]  # the newest, in order
    assert s.call("page.evaluate", {"tab_id": tab, "script": "1 + 1"})["value"] == 2


def test_network_idle_counts_requests_started_before_the_agent_looked(s: Session) -> None:
    # The user opens a page that starts a slow XHR while it loads; the agent's first request to the tab is
    # the wait itself. It must not call the network idle while that XHR is in flight.
    s.page.goto(s.site.url("/network?ms=1500&count=1"))
    tab = s.tab_id()
    assert s.page.locator("#net").text_content() == "busy"
    s.call("page.wait_for", {"tab_id": tab, "state": "network_idle"})
    assert s.page.locator("#net").text_content() == "idle"
    # the request that was in flight when the agent arrived is in the log, finished
    xhr = [r for r in network(s, tab)["requests"] if "/api/slow" in r["url"]]
    assert len(xhr) == 1 and xhr[0]["type"] == "xmlhttprequest" and xhr[0]["status"] == 200
    assert xhr[0]["duration_ms"] >= 1500  # the server held it that long


def test_the_network_log_of_a_tab(s: Session) -> None:
    tab = s.tab_id()
    s.call("page.navigate", {"tab_id": tab, "url": s.site.url("/slow-load?ms=200")})
    got = network(s, tab)
    assert got["dropped"] == 0
    reqs = got["requests"]
    assert all(set(r) == REQUEST_FIELDS for r in reqs)  # never headers or bodies
    doc = next(r for r in reqs if r["url"] == s.site.url("/slow-load?ms=200"))
    assert doc["type"] == "main_frame" and doc["method"] == "GET" and doc["status"] == 200
    assert doc["error"] is None and doc["response_size"] is not None and doc["response_size"] > 100
    gif = next(r for r in reqs if "/asset/slow.gif" in r["url"])
    assert gif["type"] == "image" and gif["status"] == 200 and gif["duration_ms"] >= 200

    mark = got["next"]
    port = closed_port()
    s.call("page.evaluate", {"tab_id": tab, "script": f"""async () => {{
        await fetch('/nowhere');
        await fetch('/api/slow?ms=1', {{method: 'POST', body: 'x'.repeat(300)}}).catch(() => null);
        await fetch('http://127.0.0.1:{port}/refused').catch(() => null);
    }}"""})
    new = network(s, tab, since=mark)["requests"]
    missing = next(r for r in new if r["url"].endswith("/nowhere"))
    assert missing["status"] == 404 and missing["type"] == "xmlhttprequest"
    post = next(r for r in new if r["method"] == "POST")
    assert post["status"] == 405  # the route is GET only: what matters is that the method is recorded
    refused = next(r for r in new if "/refused" in r["url"])
    assert refused["status"] is None and "ERR_CONNECTION_REFUSED" in refused["error"]
    assert refused["duration_ms"] is not None

    only = network(s, tab, url="/nowhere")["requests"]
    assert [r["url"] for r in only] == [missing["url"]]
    assert len(network(s, tab, limit=1)["requests"]) == 1
    network(s, tab, clear=True)
    assert network(s, tab)["requests"] == []
    assert s.error("page.network", {"tab_id": tab, "limit": 0})[0] == 2002
    assert s.error("page.network", {"tab_id": 987654}) == (6005, "tab_not_found")


def test_requests_from_before_the_agent_touched_a_tab_are_not_logged(s: Session) -> None:
    other = s.browser.context.new_page()
    other.goto(s.site.url("/page/5"))  # the user's own tab, never named by the agent until now
    tab = s.tab_id(other)
    assert [r for r in network(s, tab)["requests"] if "/page/5" in r["url"]] == []
    other.reload()
    documents = [r["url"] for r in network(s, tab)["requests"] if r["type"] == "main_frame"]
    assert documents == [s.site.url("/page/5")]
