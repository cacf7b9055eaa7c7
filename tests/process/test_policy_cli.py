"""The real ``webbridge policy|grants|audit`` CLI as a process, on a private WebBridge home.

The audit log is written by the real PolicyHook (in this process) into the same files the CLI reads, and
tampered with the way someone holding the file would (plain sqlite3, triggers dropped first).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from webbridge.policy.actions import ActionClass
from webbridge.policy.audit import AuditLog
from webbridge.policy.grants import GrantStore
from webbridge.policy.hook import PolicyHook
from webbridge.policy.locations import audit_db, grants_db, policy_file
from webbridge.policy.proposed import Element, ProposedAction
from webbridge.policy.rules import load_policy

from ..conftest import WbEnv


def test_policy_show_prints_the_shipped_defaults(wb: WbEnv) -> None:
    out = wb.run("policy", "show").stdout
    assert "(none: shipped defaults)" in out and "mode: grants" in out
    assert "category banking: deny" in out and "script      deny" in out
    data = json.loads(wb.run("policy", "show", "--json").stdout)
    assert data["file_exists"] is False and data["defaults"]["read"] == "allow"
    assert data["file"] == str(policy_file(wb.paths))


def test_policy_test_prints_decision_and_rule(wb: WbEnv) -> None:
    out = wb.run("policy", "test", "https://bank.com@evil.test/", "interact", "--name", "Place order").stdout
    assert out.splitlines()[0] == "ask: interact on evil.test (site evil.test)"
    assert "rule:   irreversible" in out and "purchase" in out
    data = json.loads(wb.run("policy", "test", "https://secure.chase.com/", "read", "--json").stdout)
    assert data["decision"] == "deny" and data["rule"].startswith("categories.banking (")
    assert data["domain"] == "chase.com"
    data = json.loads(
        wb.run(
            "policy",
            "test",
            "https://x.test/",
            "submit",
            "--json",
            "--form-action",
            "https://x.test/account/delete",
        ).stdout
    )
    assert (data["decision"], data["irreversible"]) == ("ask", "delete")


def test_policy_set_writes_a_valid_file_and_test_sees_it(wb: WbEnv) -> None:
    assert "ask" in wb.run("policy", "test", "https://gist.github.com/", "type").stdout.splitlines()[0]
    out = wb.run("policy", "set", "github.com", "type", "allow").stdout
    assert 'sites."github.com".type = allow' in out
    wb.run("policy", "set", "--mode", "ask")
    wb.run("policy", "set", "--default", "navigate", "ask")
    path = policy_file(wb.paths)
    assert (path.stat().st_mode & 0o777) == 0o600
    policy = load_policy(path)
    assert policy.mode == "ask" and policy.defaults[ActionClass.NAVIGATE] == "ask"
    data = json.loads(wb.run("policy", "test", "https://gist.github.com/", "type", "--json").stdout)
    # ask mode: a rule's allow is not enough outside an approved plan
    assert (data["decision"], data["rule"]) == ("ask", "mode ask")
    wb.run("policy", "set", "--mode", "grants")
    data = json.loads(wb.run("policy", "test", "https://gist.github.com/", "type", "--json").stdout)
    line = path.read_text(encoding="utf-8").splitlines().index('[sites."github.com"]') + 1
    assert data["decision"] == "allow" and data["rule"] == f'sites."github.com".type ({path}:{line})'


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["policy", "set", "co.uk", "all", "allow"], 1, "public suffix"),
        (["policy", "set", "bаnk.com", "read", "allow"], 1, "mixes scripts"),
        (["policy", "set", "github.com", "fly", "allow"], 2, "not an action class"),
        (["policy", "set", "github.com", "read", "maybe"], 2, "not one of allow, ask, deny"),
        (["policy", "set", "github.com"], 2, "needs DOMAIN ACTION DECISION"),
        (["policy", "test", "https://аррӏе.com/", "read"], 1, "look-alike"),
        (["policy", "test", "javascript:alert(1)", "read"], 1, "no site"),
        (["policy", "test", "https://a.test/", "teleport"], 2, "not an action class"),
        (["grants", "revoke", "g_nope"], 1, "no grant g_nope"),
        (["grants", "add", "co.uk", "read"], 2, "public suffix"),
        (["grants", "add", "a.test", "read", "--verb", "purchase"], 2, "only a once grant"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(
    wb: WbEnv, args: list[str], code: int, words: str
) -> None:
    proc = wb.run(*args, check=False)
    assert proc.returncode == code, proc.stderr
    assert words in proc.stderr
    assert not policy_file(wb.paths).exists()


def test_a_broken_policy_file_names_its_line(wb: WbEnv) -> None:
    path = policy_file(wb.paths)
    path.parent.mkdir(parents=True)
    path.write_text('mode = "grants"\n\n[sites."github.com"]\nread = "alow"\n', encoding="utf-8")
    proc = wb.run("policy", "show", check=False)
    assert proc.returncode == 1
    assert f"{path}:4: sites.\"github.com\".read: 'alow' is not one of allow, ask, deny" in proc.stderr
    before = path.read_text(encoding="utf-8")
    assert wb.run("policy", "set", "--mode", "ask", check=False).returncode == 1  # refuses to build on it?
    assert path.read_text(encoding="utf-8") == before


def test_grants_add_list_revoke_and_policy_test_uses_them(wb: WbEnv) -> None:
    assert wb.run("grants", "list").stdout.strip() == "no active grants"
    added = wb.run(
        "grants", "add", "shop.test", "interact", "--lifetime", "once", "--verb", "purchase"
    ).stdout
    grant_id = added.split()[2]
    assert grant_id.startswith("g_")
    data = json.loads(
        wb.run("policy", "test", "https://shop.test/", "interact", "--name", "Buy now", "--json").stdout
    )
    assert data["decision"] == "allow" and data["grant"] == grant_id
    listed = json.loads(wb.run("grants", "list", "--json").stdout)
    assert [g["id"] for g in listed] == [grant_id] and listed[0]["verbs"] == ["purchase"]
    assert f"revoked grant {grant_id}" in wb.run("grants", "revoke", grant_id).stdout
    data = json.loads(
        wb.run("policy", "test", "https://shop.test/", "interact", "--name", "Buy now", "--json").stdout
    )
    assert data["decision"] == "ask"
    assert "[revoked]" in wb.run("grants", "list", "--all").stdout


def _write_log(wb: WbEnv, n: int) -> None:
    paths = wb.paths
    store = GrantStore(grants_db(paths))
    log = AuditLog(audit_db(paths))
    hook = PolicyHook(policy=load_policy(policy_file(paths)), grants=store, audit=log)
    for i in range(n):
        hook.check(
            ProposedAction(
                "click",
                ActionClass.INTERACT,
                f"https://shop{i % 2}.test/cart",
                element=Element("button", "Place order" if i % 3 == 0 else "Next"),
                run_id=f"run{i % 2}",
            )
        )
    log.close()
    store.close()


def test_audit_show_verify_export_and_tamper(wb: WbEnv, tmp_path: Path) -> None:
    assert wb.run("audit", "verify").stdout.startswith("ok: 0 entries")
    assert "no audit entries yet" in wb.run("audit", "show").stdout
    _write_log(wb, 12)
    shown = wb.run("audit", "show", "--limit", "3").stdout.splitlines()
    assert len(shown) == 3 and shown[0].startswith("#10") and "run run1" in shown[0]
    runs = json.loads(wb.run("audit", "show", "--run", "run0", "--json").stdout)
    assert {e["run_id"] for e in runs} == {"run0"} and len(runs) == 6
    ok = wb.run("audit", "verify").stdout
    assert ok.startswith("ok: 12 entries verified; head seq 12 hash ")
    head = ok.split()[-1]
    out = tmp_path / "audit.jsonl"
    wb.run("audit", "export", "--out", str(out))
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["seq"] for line in lines] == list(range(1, 13)) and lines[-1]["hash"] == head
    assert wb.run("audit", "export").stdout == out.read_text(encoding="utf-8")

    conn = sqlite3.connect(audit_db(wb.paths), isolation_level=None)
    conn.execute("DROP TRIGGER entries_no_update")
    conn.execute("UPDATE entries SET decision = 'allow' WHERE seq = 7")
    conn.close()
    proc = wb.run("audit", "verify", check=False)
    assert proc.returncode == 1
    assert proc.stdout.startswith("BROKEN at seq 7: entry edited") and "6 entries verified" in proc.stdout
    report = json.loads(wb.run("audit", "verify", "--json", check=False).stdout)
    assert report["ok"] is False and report["bad_seq"] == 7


def test_audit_verify_against_a_recorded_head(wb: WbEnv) -> None:
    _write_log(wb, 5)
    head = wb.run("audit", "verify").stdout.split()[-1]
    assert wb.run("audit", "verify", "--expect-head", head).returncode == 0
    proc = wb.run("audit", "verify", "--expect-head", "0" * 64, check=False)
    assert proc.returncode == 1 and "not the one expected" in proc.stdout
