"""The local API's error codes (7180-7199): in the one error tree, rebuilt by code, documented in the
PROTOCOL.md §8 table, each with the HTTP status the API answers with."""

from __future__ import annotations

from pathlib import Path

import pytest

from webbridge import errors
from webbridge.api.replies import status_of

API_ERRORS = [
    (errors.ApiError, 500),
    (errors.ApiUnauthorized, 401),
    (errors.ApiForbidden, 403),
    (errors.ApiBadRequest, 400),
    (errors.ApiUnsupportedMediaType, 415),
    (errors.ApiBodyTooLarge, 413),
    (errors.ApiMethodNotAllowed, 405),
    (errors.ApiNotFound, 404),
    (errors.ApiTokenInsecure, 500),
]


@pytest.mark.parametrize(("cls", "status"), API_ERRORS)
def test_codes_statuses_and_the_table(cls: type[errors.ApiError], status: int) -> None:
    assert 7180 <= cls.code <= 7199 and errors.BY_CODE[cls.code] is cls
    assert issubclass(cls, errors.BridgeError) and not cls.model_visible
    assert status_of(cls("x")) == status
    table = (Path(__file__).parents[2] / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")
    assert f"| {cls.code} | `{cls.name}` |" in table


def test_codes_are_unique_in_the_range() -> None:
    codes = [cls.code for cls, _ in API_ERRORS]
    assert len(set(codes)) == len(codes)
    assert {c for c in errors.BY_CODE if 7180 <= c <= 7199} == set(codes)


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (errors.RunNotFound("x"), 404),
        (errors.BridgeNotFound("x"), 409),
        (errors.TooManyRuns("x"), 429),
        (errors.InvalidJson("x"), 400),
        (errors.DuplicateKey("x"), 400),
        (errors.RunsUnavailable("x"), 503),
        (errors.RunError("shutting down"), 503),
        (errors.ModelKeyMissing("x"), 503),
        (errors.ConfigError("x"), 503),
        (errors.InternalError("x"), 500),
    ],
)
def test_foreign_errors_get_a_status(exc: errors.WebBridgeError, status: int) -> None:
    assert status_of(exc) == status
