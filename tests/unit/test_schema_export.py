"""The JSON Schema export for the extension (PROTOCOL.md: the models are the single source)."""

from __future__ import annotations

import json
from pathlib import Path

from webbridge.protocol import schema
from webbridge.protocol.messages import CATALOGUE, PLAIN_KINDS

COMMITTED = Path(__file__).resolve().parents[2] / "extension" / "protocol" / "schema.json"


def test_committed_export_is_current() -> None:
    assert schema.DEFAULT_PATH == COMMITTED
    assert schema.check(COMMITTED), "stale: run python -m webbridge.protocol.schema --write"


def test_export_is_deterministic_and_sorted() -> None:
    text = schema.render()
    assert text == schema.render() and text.endswith("}\n")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_export_carries_every_kind_and_the_catalogue() -> None:
    doc = json.loads(schema.render())
    assert doc["protocol"] == "wb1"
    assert set(doc["kinds"]) == set(CATALOGUE)
    assert doc["plain_kinds"] == sorted(PLAIN_KINDS)
    assert doc["requests"] == {
        "hello": "hello.ok", "pair.begin": "pair.key", "pair.confirm": "pair.done",
        "session.open": "session.opened", "browser.info": "browser.info.result",
        "ping": "pong", "echo": "echo.result", "key.rotate": "key.rotated",
        "tabs.list": "tabs.list.result", "tabs.open": "tab.result", "tabs.activate": "tab.result",
        "tabs.close": "done", "page.navigate": "page.navigated", "page.snapshot": "page.snapshot.result",
        "page.text": "page.text.result", "page.act": "page.act.result",
        "page.describe": "page.describe.result",
        "page.wait_for": "page.wait_for.result",
        "run.start": "run.started", "run.stop": "run.stopped", "runs.list": "runs.list.result",
        "run.get": "run.detail", "run.watch": "run.watching", "run.unwatch": "run.unwatched",
        "run.artifact": "run.artifact.result",
        "dialog.state": "dialog.state.result", "dialog.handle": "dialog.handled",
        "dialog.arm": "dialog.armed",
        "page.console": "page.console.result", "page.network": "page.network.result",
        "page.evaluate": "page.evaluate.result",
        "page.screenshot": "page.screenshot.result", "page.pdf": "page.pdf.result",
        "downloads.wait": "downloads.wait.result", "page.upload": "page.upload.result",
        "page.drag": "page.drag.result", "tab.control": "tab.controlled",
        "approvals.list": "approvals.list.result", "approval.answer": "approval.answered",
        "approvals.watch": "approvals.watching", "grants.list": "grants.list.result",
        "grants.revoke": "grants.revoked", "policy.summary": "policy.summary.result",
    }  # fmt: skip
    for kind, entry in doc["kinds"].items():
        body = entry["body"]
        assert body["type"] == "object" and body["additionalProperties"] is False
        assert "kind" not in body["properties"]
        assert entry["role"] == CATALOGUE[kind].role and entry["reply"] == CATALOGUE[kind].reply
    nonce = doc["kinds"]["hello"]["body"]["properties"]["nonce"]
    assert nonce == {"maxLength": 43, "minLength": 43, "pattern": "^[A-Za-z0-9_-]{43}$", "title": "Nonce",
                     "type": "string"}  # fmt: skip


def test_check_and_main_detect_a_stale_file(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    assert schema.main(["--check", "--path", str(target)]) == 1
    assert schema.main(["--write", "--path", str(target)]) == 0
    assert schema.main(["--check", "--path", str(target)]) == 0
    target.write_text(target.read_text().replace('"wb1"', '"wb0"'))
    assert schema.main(["--check", "--path", str(target)]) == 1
