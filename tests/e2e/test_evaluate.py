"""page.evaluate end to end in the user's signed-in browser (real Chromium, relay, daemon, CLI): expressions,
functions with arguments, promises, the page's own globals, and every typed error — the script threw,
the page's CSP forbids eval, a result that is not JSON or too large, a script that does not finish."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .browser_session import Session

pytestmark = pytest.mark.e2e


@pytest.fixture
def s(shared_s: Session) -> Session:
    """The module's one paired, signed-in browser, in a fresh tab of its own (conftest.shared_s)."""
    return shared_s


def ev(s: Session, tab: int, script: str, *args: Any, **body: Any) -> dict[str, Any]:
    return s.call("page.evaluate", {"tab_id": tab, "script": script, "args": list(args), **body})


def failure(s: Session, body: dict[str, Any]) -> tuple[int, str, str]:
    """``(code, name, stderr)`` of a failing page.evaluate (the message is checked, not just the code)."""
    proc = s.wb.run("call", "page.evaluate", "--body", json.dumps(body), "--timeout", "30",
                    timeout=60, check=False)  # fmt: skip
    assert proc.returncode != 0, proc.stdout
    found = re.search(r"\[(\d{4}) ([a-z_]+)\]", proc.stderr)
    assert found, proc.stderr
    return int(found.group(1)), found.group(2), proc.stderr


def test_expressions_functions_and_promises_in_the_signed_in_page(s: Session) -> None:
    tab = s.tab_id()
    got = ev(s, tab, "document.querySelector('#user').textContent")
    assert got == {"type": "string", "value": "alice", "url": s.site.url("/inbox")}
    got = ev(s, tab, "(a, b) => ({sum: a + b, both: [a, b], title: document.title})", 2, 40)
    assert got["type"] == "object" and got["value"] == {"sum": 42, "both": [2, 40], "title": "Inbox"}
    got = ev(s, tab, "new Promise((resolve) => setTimeout(() => resolve([1, 'two', null, true]), 50))")
    assert got["type"] == "array" and got["value"] == [1, "two", None, True]
    assert ev(s, tab, "async (o) => o.nested.list.length", {"nested": {"list": [1, 2, 3]}})["value"] == 3
    assert ev(s, tab, "void 0") == {"type": "undefined", "value": None, "url": s.site.url("/inbox")}
    assert ev(s, tab, "null")["type"] == "null"
    # the main world: the page's own globals are visible, and what the script sets stays for the page
    ev(s, tab, "window.fromAgent = 'set by the agent'")
    assert s.page.evaluate("window.fromAgent") == "set by the agent"
    s.page.evaluate("window.fromPage = {n: 7}")
    assert ev(s, tab, "window.fromPage.n")["value"] == 7


def test_a_script_that_throws_is_6023_with_its_message(s: Session) -> None:
    tab = s.tab_id()
    code, name, err = failure(s, {"tab_id": tab, "script": "() => { throw new TypeError('no such widget') }"})
    assert (code, name) == (6023, "script_error") and "TypeError: no such widget" in err
    code, _, err = failure(s, {"tab_id": tab, "script": "Promise.reject(new Error('async nope'))"})
    assert code == 6023 and "async nope" in err
    code, _, err = failure(s, {"tab_id": tab, "script": "this is not javascript"})
    assert code == 6023 and "SyntaxError" in err
    assert ev(s, tab, "1 + 1")["value"] == 2  # the tab is fine afterwards


def test_results_that_are_not_json_or_too_large_are_6024(s: Session) -> None:
    tab = s.tab_id()
    for script, why in [
        ("() => () => 1", "function"),
        ("document.body", "DOM node"),
        ("(() => { const o = {}; o.self = o; return o; })()", "not JSON-serialisable"),
        ("10n", "bigint"),
    ]:
        code, name, err = failure(s, {"tab_id": tab, "script": script})
        assert (code, name) == (6024, "script_result_invalid") and why in err, (script, err)
    code, _, err = failure(s, {"tab_id": tab, "script": "'x'.repeat(5000)", "max_bytes": 1000})
    assert code == 6024 and "over the cap of 1000" in err
    assert len(ev(s, tab, "'x'.repeat(5000)", max_bytes=5002)["value"]) == 5000  # JSON quotes count


def test_a_script_that_does_not_finish_is_6025(s: Session) -> None:
    tab = s.tab_id()
    code, name, err = failure(s, {"tab_id": tab, "script": "new Promise(() => {})", "timeout_ms": 300})
    assert (code, name) == (6025, "script_timeout") and "300 ms" in err
    assert ev(s, tab, "'still answering'")["value"] == "still answering"


def test_the_pages_csp_forbids_eval_and_bad_requests_are_refused(s: Session) -> None:
    s.page.goto(s.site.url("/csp"))
    tab = s.tab_id()
    code, name, err = failure(s, {"tab_id": tab, "script": "1 + 1"})
    assert (code, name) == (6023, "script_error") and "Content-Security-Policy" in err
    assert s.page.locator("#msg").text_content() == "No eval here."
    assert s.error("page.evaluate", {"tab_id": 987654, "script": "1"}) == (6005, "tab_not_found")
    assert s.error("page.evaluate", {"tab_id": tab, "script": ""})[0] == 2002
    assert s.error("page.evaluate", {"tab_id": tab, "script": "1", "max_bytes": 0})[0] == 2002
