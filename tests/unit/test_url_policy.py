"""The daemon-side URL policy agrees with every shared case (tests/vectors/url_policy.json), which the
extension's policy is tested against too (tests/js/url_policy.test.js)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from webbridge.errors import UrlBlocked
from webbridge.tools.url_policy import classify_url, require_allowed_url

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "url_policy.json").read_text(encoding="utf-8")
)["cases"]


@pytest.mark.parametrize("case", CASES, ids=[repr(c["url"])[:60] for c in CASES])
def test_shared_case(case: dict[str, Any]) -> None:
    verdict = classify_url(case["url"])
    assert (verdict.allowed, verdict.reason) == (case["allowed"], case["reason"])
    if "host" in case:
        assert verdict.host == case["host"]


def test_every_reason_and_the_w7_schemes_are_covered() -> None:
    assert {c["reason"] for c in CASES} == {None, "scheme", "store", "invalid"}
    schemes = {classify_url(c["url"]).scheme for c in CASES if c["reason"] == "scheme"}
    for required in ("javascript", "data", "blob", "file", "filesystem", "chrome", "edge", "brave", "about",
                     "view-source", "devtools", "chrome-extension", "mailto"):
        assert required in schemes


def test_require_allowed_url_raises_6004_with_the_reason() -> None:
    require_allowed_url("https://example.com/")
    with pytest.raises(UrlBlocked) as info:
        require_allowed_url("javascript:alert(1)", "open")
    assert info.value.code == 6004
    assert info.value.detail == {"reason": "scheme"}
    assert "javascript:" in info.value.message and "alert" not in info.value.message
    with pytest.raises(UrlBlocked):
        require_allowed_url("https://chromewebstore.google.com./")


def test_non_strings_and_huge_inputs_are_invalid() -> None:
    assert classify_url(None).reason == "invalid"  # type: ignore[arg-type]
    assert classify_url("https://example.com/" + "a" * 9000).reason == "invalid"
