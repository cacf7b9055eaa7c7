"""Run kinds (PROTOCOL.md §5.3): shapes, the event envelope, and the schema the extension compiles."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from webbridge.errors import InvalidMessage
from webbridge.protocol import schema
from webbridge.protocol.messages import CATALOGUE, body_of, parse_body
from webbridge.protocol.run_kinds import MAX_EVENTS_PER_GET, RunContext, RunStart

ROOT = Path(__file__).resolve().parents[2]

STARTED = {
    "run_id": "r-1",
    "seq": 1,
    "time": 1_700_000_000_000,
    "type": "run.started",
    "task": "find it",
    "model": "m",
    "bridge_id": "b1",
    "tab_id": 5,
    "source": "sidepanel",
}
TOOL = {
    "run_id": "r-1",
    "seq": 3,
    "time": 1_700_000_000_100,
    "type": "tool.finished",
    "step": 1,
    "call_id": "c1",
    "tool": "page_snapshot",
    "ok": True,
    "summary": "3 refs",
    "duration_ms": 12.5,
    "artifacts": ["/tmp/shot.png"],
    "error_code": None,
}
INFO = {
    "run_id": "r-1",
    "task": "find it",
    "status": "done",
    "source": "sidepanel",
    "model": "m",
    "bridge_id": "b1",
    "tab_id": 5,
    "created": 1,
    "finished": 2,
    "steps": 2,
    "message": "It is 42.",
}

#: A valid body of every run kind (test_messages.py merges these into its table of every kind).
RUN_VALID: dict[str, dict[str, Any]] = {
    "run.start": {"task": "summarise", "source": "context_menu", "tab_id": 7, "tab": None, "model": None,
                  "context": {"what": "selection", "page_url": "https://a.test/", "page_title": "A",
                              "selection": "some text", "link_url": None, "image_url": None},
                  "max_steps": 20},
    "run.started": {"run_id": "r-1"},
    "run.stop": {"run_id": "r-1"},
    "run.stopped": {"run_id": "r-1", "stopped": True},
    "runs.list": {"limit": 10},
    "runs.list.result": {"runs": [INFO]},
    "run.get": {"run_id": "r-1", "after_seq": 0},
    "run.detail": {"run": INFO, "events": [STARTED, TOOL], "more": False},
    "run.watch": {"run_id": None, "after_seq": 0},
    "run.watching": {"run_id": None},
    "run.unwatch": {"run_id": "r-1"},
    "run.unwatched": {"stopped": False},
    "run.artifact": {"run_id": "r-1", "path": "/tmp/shot.png"},
    "run.artifact.result": {"mime": "image/png", "data": "iVBORw0KGgo="},
    "run.event": {"event": TOOL},
}  # fmt: skip


def test_every_run_kind_is_catalogued_with_its_direction() -> None:
    for kind in RUN_VALID:
        info = CATALOGUE[kind]
        if kind == "run.event":
            assert (info.role, info.direction, info.sealed, info.plain) == ("event", "d2e", True, False)
        elif info.role == "request":
            assert info.direction == "e2d" and info.sealed and not info.plain
            assert info.reply is not None and CATALOGUE[info.reply].direction == "d2e"
        else:
            assert info.role == "reply" and info.direction == "d2e"


@pytest.mark.parametrize("kind", sorted(RUN_VALID))
def test_examples_round_trip(kind: str) -> None:
    assert body_of(parse_body(kind, RUN_VALID[kind])) == RUN_VALID[kind]


def test_an_event_is_checked_against_the_whole_union() -> None:
    bad = {**TOOL, "ok": "perhaps"}
    with pytest.raises(InvalidMessage, match=r"run\.event: body\.event"):
        parse_body("run.event", {"event": bad})
    with pytest.raises(InvalidMessage, match="not a run event"):
        parse_body("run.event", {"event": {**TOOL, "type": "tool.exploded"}})
    with pytest.raises(InvalidMessage):
        parse_body("run.event", {"event": {**STARTED, "seq": 0}})


def test_the_extension_cannot_name_a_key_a_bridge_or_another_source() -> None:
    base = RUN_VALID["run.start"]
    for extra in ({"api_key": "sk-x"}, {"bridge_id": "b2"}):
        with pytest.raises(InvalidMessage, match="Extra inputs"):
            parse_body("run.start", {**base, **extra})
    with pytest.raises(InvalidMessage, match="source"):
        parse_body("run.start", {**base, "source": "schedule"})
    with pytest.raises(InvalidMessage, match="task"):
        parse_body("run.start", {**base, "task": ""})


def test_run_start_becomes_a_request_on_the_asking_bridge() -> None:
    msg = parse_body("run.start", RUN_VALID["run.start"])
    assert isinstance(msg, RunStart)
    req = msg.to_request("b-7")
    assert req.bridge_id == "b-7" and req.source == "context_menu" and req.tab_id == 7
    assert req.context == {"what": "selection", "page_url": "https://a.test/", "page_title": "A",
                           "selection": "some text"}  # fmt: skip
    assert req.max_steps == 20


def test_context_drops_empty_fields() -> None:
    assert RunContext(what="page", page_url="https://a.test/", page_title="").as_dict() == {
        "what": "page",
        "page_url": "https://a.test/",
    }


def test_detail_caps_the_events_it_carries() -> None:
    events = [{**STARTED, "seq": i + 1} for i in range(MAX_EVENTS_PER_GET + 1)]
    with pytest.raises(InvalidMessage, match="events"):
        parse_body("run.detail", {"run": INFO, "events": events, "more": True})


def test_artifact_data_must_be_base64() -> None:
    with pytest.raises(InvalidMessage, match="data"):
        parse_body("run.artifact.result", {"mime": "image/png", "data": "not base64!"})
    with pytest.raises(InvalidMessage, match="mime"):
        parse_body("run.artifact.result", {"mime": "text/html", "data": ""})


def test_the_extension_schema_compiler_accepts_and_refuses_the_same_bodies(tmp_path: Path) -> None:
    """The exported schema, compiled by the extension's own validator, agrees with the models."""
    cases = [(kind, body, True) for kind, body in RUN_VALID.items()] + [
        ("run.event", {"event": {**TOOL, "seq": 0}}, False),
        ("run.event", {"event": {"type": "tool.finished"}}, False),
        ("run.start", {**RUN_VALID["run.start"], "api_key": "x"}, False),
        ("run.start", {**RUN_VALID["run.start"], "source": "cli"}, False),
        ("run.artifact.result", {"mime": "image/png", "data": "%%"}, False),
    ]
    script = tmp_path / "check.mjs"
    messages_js = json.dumps(str(ROOT / "extension" / "protocol" / "messages.js"))
    schema_json = json.dumps(schema.DEFAULT_PATH.as_posix())
    script.write_text(
        "import { readFileSync } from 'node:fs';\n"
        f"import {{ installSchema, validateBody }} from {messages_js};\n"
        f"installSchema(JSON.parse(readFileSync({schema_json}, 'utf8')));\n"
        "const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));\n"
        "const ok = ([k, b]) => { try { validateBody(k, b); return true; } catch { return false; } };\n"
        "process.stdout.write(JSON.stringify(cases.map(ok)));\n"
    )
    data = tmp_path / "cases.json"
    data.write_text(json.dumps([[k, b] for k, b, _ in cases]))
    proc = subprocess.run(["node", str(script), str(data)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [ok for _, _, ok in cases]
