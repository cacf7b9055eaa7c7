"""Host manifest: build, render, validate (each rule named), and the reference template in manifests/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from webbridge import meta
from webbridge.install import manifest as m
from webbridge.install.manifest import ProblemCode

ROOT = Path(__file__).resolve().parents[2]
OTHER_ID = "abcdefghijklmnopabcdefghijklmnop"


def codes(problems: list[m.Problem]) -> set[ProblemCode]:
    return {p.code for p in problems}


def good(launcher: str = "/opt/wb/webbridge-host") -> dict[str, object]:
    return m.build(Path(launcher), [meta.EXTENSION_ID])


def test_build_has_the_fields_chrome_requires() -> None:
    data = m.build(Path("/x/webbridge-host"), [meta.EXTENSION_ID, OTHER_ID, meta.EXTENSION_ID])
    assert data["name"] == meta.HOST_NAME
    assert data["type"] == "stdio"
    assert data["path"] == "/x/webbridge-host"
    assert data["allowed_origins"] == [
        f"chrome-extension://{meta.EXTENSION_ID}/",
        f"chrome-extension://{OTHER_ID}/",
    ]
    assert m.file_name() == "com.webbridge.host.json"
    assert json.loads(m.render(data)) == data
    with pytest.raises(ValueError, match="not an extension id"):
        m.build(Path("/x"), ["nope"])


def test_valid_manifest_has_no_problems() -> None:
    problems = m.validate(
        good(),
        platform="linux",
        file="com.webbridge.host.json",
        expected_path=Path("/opt/wb/webbridge-host"),
        required_ids=[meta.EXTENSION_ID],
    )
    assert problems == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"type": "socket"}, ProblemCode.BAD_TYPE),
        ({"path": "webbridge-host"}, ProblemCode.PATH_NOT_ABSOLUTE),
        ({"path": ""}, ProblemCode.BAD_PATH),
        ({"name": "Com..Bad"}, ProblemCode.BAD_NAME),
        ({"name": "com.other.host"}, ProblemCode.WRONG_NAME),
        ({"allowed_origins": "chrome-extension://x/"}, ProblemCode.BAD_ORIGINS),
        ({"allowed_origins": [f"chrome-extension://{meta.EXTENSION_ID}"]}, ProblemCode.BAD_ORIGIN),
        ({"allowed_origins": ["chrome-extension://*/"]}, ProblemCode.BAD_ORIGIN),
        ({"allowed_origins": [f"chrome-extension://{OTHER_ID}/"]}, ProblemCode.MISSING_ORIGIN),
        ({"description": 3}, ProblemCode.BAD_DESCRIPTION),
    ],
)
def test_each_rule_is_named(change: dict[str, object], code: ProblemCode) -> None:
    data = {**good(), **change}
    problems = m.validate(data, platform="linux", required_ids=[meta.EXTENSION_ID])
    assert code in codes(problems), problems


def test_missing_trailing_slash_gets_a_hint() -> None:
    data = {**good(), "allowed_origins": [f"chrome-extension://{meta.EXTENSION_ID}"]}
    (problem,) = [p for p in m.validate(data, platform="linux") if p.code == ProblemCode.BAD_ORIGIN]
    assert "trailing '/'" in problem.message


def test_missing_fields_file_name_and_expected_path() -> None:
    data = good()
    del data["type"]
    problems = m.validate(data, platform="linux", file="other.json", expected_path=Path("/elsewhere"))
    assert {ProblemCode.MISSING_FIELD, ProblemCode.FILE_NAME_MISMATCH, ProblemCode.WRONG_PATH} <= codes(
        problems
    )
    assert codes(m.validate([1, 2], platform="linux")) == {ProblemCode.NOT_OBJECT}


def test_windows_allows_a_relative_path() -> None:
    data = {**good(), "path": "webbridge-host.bat"}
    assert m.validate(data, platform="win32") == []


def test_read_reports_bad_json_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    value, problems = m.read(bad)
    assert value is None and codes(problems) == {ProblemCode.NOT_JSON}
    value, problems = m.read(tmp_path / "missing.json")
    assert value is None and codes(problems) == {ProblemCode.UNREADABLE}


def test_origin_ids_forgives_a_missing_slash() -> None:
    data = {"allowed_origins": [f"chrome-extension://{meta.EXTENSION_ID}", "https://x/", 4]}
    assert m.origin_ids(data) == [meta.EXTENSION_ID]
    assert m.origin_ids("nope") == []


def test_reference_template_matches_what_we_write() -> None:
    template = (ROOT / "manifests" / "com.webbridge.host.json.template").read_text()
    filled = template.replace("@LAUNCHER_PATH@", "/opt/wb/webbridge-host").replace(
        "@EXTENSION_ID@", meta.EXTENSION_ID
    )
    assert filled == m.render(good())
    assert (ROOT / "manifests" / "README.md").is_file()
