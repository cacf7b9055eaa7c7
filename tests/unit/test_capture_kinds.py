"""The capture and file-transfer messages (protocol/capture_kinds.py): valid examples for the catalogue
tests, and the bounds a hostile or broken peer meets (base64 alphabet and size cap, file counts, refs)."""

from __future__ import annotations

from typing import Any

import pytest

from webbridge.errors import InvalidMessage
from webbridge.protocol.capture_kinds import MAX_CAPTURE_B64, MAX_UPLOAD_FILES
from webbridge.protocol.framing import MAX_UP_FRAME
from webbridge.protocol.messages import CATALOGUE, parse_body

CAPTURE_VALID: dict[str, dict[str, Any]] = {
    "page.screenshot": {"tab_id": 1, "area": "element", "ref": "f1e4", "format": "jpeg", "quality": 80,
                        "expect_url": "https://a.test/"},
    "page.screenshot.result": {"url": "https://a.test/", "format": "png", "width": 1280, "height": 720,
                               "data": "iVBORw0KGgo=", "cut": True},
    "page.pdf": {"tab_id": 1, "paper": "letter", "landscape": True, "background": False, "expect_url": None},
    "page.pdf.result": {"url": "https://a.test/", "data": "JVBERi0xLjc="},
    "downloads.wait": {"tab_id": 1, "url": "report", "filename": ".csv", "since_ms": 1_700_000_000_000,
                       "timeout_ms": 5000},
    "downloads.wait.result": {"id": 12, "path": "/home/u/Downloads/report.csv", "size": 30,
                              "mime": "text/csv", "url": "https://a.test/report.csv"},
    "page.upload": {"tab_id": 1, "ref": "e9", "paths": ["/home/u/a.pdf"], "expect_url": None},
    "page.upload.result": {"url": "https://a.test/", "files": ["a.pdf"]},
    "page.drag": {"tab_id": 1, "ref": "e1", "to": "f1e2", "expect_url": None, "input": "auto"},
    "page.drag.result": {"url": "https://a.test/", "input_used": "trusted", "accepted": False},
}  # fmt: skip


def test_every_capture_kind_is_catalogued_with_its_reply() -> None:
    for kind in CAPTURE_VALID:
        info = CATALOGUE[kind]
        if kind.endswith(".result"):
            assert (info.role, info.direction) == ("reply", "e2d")
        else:
            assert (info.role, info.direction, info.reply) == ("request", "d2e", f"{kind}.result")


def test_the_capture_cap_leaves_room_for_the_envelope() -> None:
    assert MAX_CAPTURE_B64 == MAX_UP_FRAME - 1_048_576


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("page.screenshot.result", "data", "not base64!"),
        ("page.screenshot.result", "data", "QUJD\nREVG"),
        ("page.pdf.result", "data", "QQ==="),
        ("page.screenshot", "quality", 101),
        ("page.screenshot", "ref", "button-3"),
        ("page.screenshot", "area", "window"),
        ("page.upload", "paths", []),
        ("page.upload", "paths", ["/a"] * (MAX_UPLOAD_FILES + 1)),
        ("page.drag", "to", "f1"),  # a frame without an element number
        ("downloads.wait", "timeout_ms", 600_001),
        ("downloads.wait.result", "size", -1),
    ],
)
def test_out_of_bounds_fields_are_refused(kind: str, field: str, value: Any) -> None:
    with pytest.raises(InvalidMessage, match=field):
        parse_body(kind, {**CAPTURE_VALID[kind], field: value})


def test_a_capture_over_the_cap_is_refused_without_decoding() -> None:
    body = {**CAPTURE_VALID["page.pdf.result"], "data": "A" * (MAX_CAPTURE_B64 + 4)}
    with pytest.raises(InvalidMessage, match="data"):
        parse_body("page.pdf.result", body)
