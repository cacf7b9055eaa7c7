"""Refusals and failures at the daemon's local HTTP/WebSocket API (7180-7199; SECURITY-CATALOG L1-L7)."""

from __future__ import annotations

from typing import ClassVar

from .daemon import BridgeError

# --- local HTTP/WebSocket API (7180-7199): refusals at the loopback edge (SECURITY-CATALOG L1-L7) ---------


class ApiError(BridgeError):
    """A request to the daemon's local API was refused or failed; ``status`` is its HTTP status."""

    code, name = 7180, "api_error"
    status: ClassVar[int] = 500


class ApiUnauthorized(ApiError):
    """No bearer token, a wrong one, or a token in the URL (L5); the request was not served."""

    code, name, status = 7181, "api_unauthorized", 401


class ApiForbidden(ApiError):
    """A Host header that is not this loopback address and port (L2), a web or ``null`` Origin, or a
    cross-site fetch (L3, L4); the request was not served."""

    code, name, status = 7182, "api_forbidden", 403


class ApiBadRequest(ApiError):
    """The body or a parameter is malformed; the message names the field. Nothing was done."""

    code, name, status = 7183, "api_bad_request", 400


class ApiUnsupportedMediaType(ApiError):
    """A body that is not ``application/json`` (a form post, text/plain, multipart: L3)."""

    code, name, status = 7184, "api_unsupported_media_type", 415


class ApiBodyTooLarge(ApiError):
    code, name, status = 7185, "api_body_too_large", 413


class ApiMethodNotAllowed(ApiError):
    """The route exists but not for this method (a GET never changes state: L6)."""

    code, name, status = 7186, "api_method_not_allowed", 405


class ApiNotFound(ApiError):
    code, name, status = 7187, "api_not_found", 404


class ApiTokenInsecure(ApiError):
    """The API token file is a link, not a regular file, owned by another user, or readable or writable
    by others (L7); a client refuses to use it and the daemon replaces it at start."""

    code, name = 7188, "api_token_insecure"
