"""HTTP for the model adapters: one POST with retries, and the ONE place where httpx exceptions and error
statuses become :class:`~webbridge.errors.ModelError` subclasses.

Logging is at debug level and carries the URL, the status and the attempt, never the key, the request body
(prompts, page content) or the reply. Provider error messages that reach an exception are cut short and
scrubbed of anything that looks like a key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

from ...errors import (
    ModelAuthError,
    ModelBadResponse,
    ModelContextTooLong,
    ModelError,
    ModelNotFound,
    ModelRateLimited,
    ModelRequestRejected,
    ModelServerError,
    ModelTimeout,
    ModelUnreachable,
)
from .presets import Preset
from .retry import RETRY_STATUSES, RetryPolicy, parse_retry_after

log = logging.getLogger("webbridge.agent.models")

_KEYLIKE = re.compile(r"\b(sk|pk|key|rk)-[A-Za-z0-9_\-*]{6,}", re.IGNORECASE)
_CONTEXT = re.compile(
    r"context[ _]length|context window|maximum context|too many tokens|prompt is too long|"
    r"input is too long|reduce the length",
    re.IGNORECASE,
)

#: Error types sent inside a stream (Anthropic's names, OpenAI's codes) and the status they stand for.
_STREAM_ERROR_STATUS = {
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "invalid_request_error": 400,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "api_error": 500,
    "server_error": 500,
    "overloaded_error": 529,
    "context_length_exceeded": 400,
}

Sleep = Callable[[float], Awaitable[None]]


class Transport:
    """POSTs JSON to ``base_url + path`` for one model; owns ``client`` unless one was handed in.

    ``aclose()`` closes an owned client and may be called twice.
    """

    def __init__(
        self,
        *,
        preset: Preset,
        model: str,
        base_url: str,
        headers: Mapping[str, str],
        api_key: str | None,
        timeout: float,
        retry: RetryPolicy,
        client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.preset = preset
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry
        self._headers = dict(headers)
        self._api_key = api_key
        self._sleep = sleep
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)), follow_redirects=False
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    @asynccontextmanager
    async def post(self, path: str, body: dict[str, Any]) -> AsyncIterator[httpx.Response]:
        """Send ``body`` (retrying as :mod:`.retry` says) and yield the 2xx response, its body not yet read.

        httpx errors raised while the caller reads the body are translated here too. Raises a
        :class:`ModelError` subclass. Cancelling (or leaving the block early) closes the response and
        with it the connection, so the server sees the request end at once.
        """
        url = f"{self.base_url}/{path.lstrip('/')}"
        response = await self._send(url, body)
        try:
            yield response
        except httpx.HTTPError as exc:
            raise self._translate(exc, url) from exc
        finally:
            await response.aclose()

    async def _send(self, url: str, body: dict[str, Any]) -> httpx.Response:
        content = json.dumps(body, ensure_ascii=False).encode()
        attempt = 0
        while True:
            log.debug("POST %s model=%s attempt=%d", url, self.model, attempt + 1)
            wait: float | None
            try:
                request = self._client.build_request(
                    "POST", url, content=content, headers=self._headers, timeout=self._timeout()
                )
                response = await self._client.send(request, stream=True)
            except httpx.HTTPError as exc:
                error = self._translate(exc, url)
                retryable = isinstance(
                    exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.RemoteProtocolError
                )
                if not retryable or attempt >= self.retry.max_retries:
                    raise error from exc
                wait = None
            else:
                if response.is_success:
                    return response
                try:
                    raw = await response.aread()
                except httpx.HTTPError as exc:
                    raise self._translate(exc, url) from exc
                finally:
                    await response.aclose()
                error = self._status_error(response.status_code, raw, response.headers)
                log.debug("HTTP %d from %s (attempt %d)", response.status_code, url, attempt + 1)
                if response.status_code not in RETRY_STATUSES:
                    raise error
                wait = parse_retry_after(response.headers)
                if wait is not None and wait > self.retry.max_wait:
                    error.message += f" (the server asks to wait {wait:.0f}s; not waiting)"
                    error.detail["retry_after"] = wait
                    raise error
                if attempt >= self.retry.max_retries:
                    if wait is not None:
                        error.detail["retry_after"] = wait
                    raise error
            delay = wait if wait is not None else self.retry.backoff(attempt)
            log.debug("retrying %s in %.2fs", url, delay)
            await self._sleep(delay)
            attempt += 1

    def _timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout, connect=min(self.timeout, 15.0))

    # --- translation: the one place -------------------------------------------------------------------

    def _translate(self, exc: httpx.HTTPError, url: str) -> ModelError:
        where = self.base_url
        if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
            return ModelUnreachable(
                f"cannot connect to the {self.preset.label} server at {where} ({type(exc).__name__})",
                preset=self.preset.name,
                url=where,
            )
        if isinstance(exc, httpx.TimeoutException):
            return ModelTimeout(
                f"no answer from {where} within {self.timeout:g}s", preset=self.preset.name, url=where
            )
        if isinstance(exc, httpx.DecodingError):
            return ModelBadResponse(f"the reply from {where} could not be decoded", preset=self.preset.name)
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return ModelUnreachable(f"cannot use the base URL {where}: {exc}", preset=self.preset.name)
        if isinstance(exc, httpx.TransportError):
            return ModelUnreachable(
                f"the connection to {where} failed ({type(exc).__name__})", preset=self.preset.name, url=where
            )
        return ModelError(f"request to {where} failed ({type(exc).__name__})", preset=self.preset.name)

    def _status_error(self, status: int, raw: bytes, headers: Mapping[str, str]) -> ModelError:
        reason, code = self._provider_reason(raw)
        detail: dict[str, Any] = {"status": status, "preset": self.preset.name}
        label = self.preset.label
        if status in (401, 403):
            if self._api_key:
                msg = f"the API key for {label} was refused (HTTP {status}); set {self.preset.env_var}"
            else:
                msg = (
                    f"the server at {self.base_url} wants an API key (HTTP {status}); "
                    f"set {self.preset.env_var}"
                )
            return ModelAuthError(msg, **detail)
        if status == 404:
            return ModelNotFound(
                f"model {self.model!r} is not known at {self.base_url} (HTTP 404"
                + (f": {reason})" if reason else ")"),
                **detail,
            )
        if (
            status == 413
            or code == "context_length_exceeded"
            or (status in (400, 422) and _CONTEXT.search(reason))
        ):
            return ModelContextTooLong(
                f"the conversation is too long for {self.model!r}" + (f": {reason}" if reason else ""),
                **detail,
            )
        if status == 429:
            return ModelRateLimited(
                f"{label} is rate limiting us (HTTP 429)" + (f": {reason}" if reason else ""), **detail
            )
        if status >= 500:
            return ModelServerError(
                f"the {label} server failed (HTTP {status})" + (f": {reason}" if reason else ""), **detail
            )
        return ModelRequestRejected(
            f"{label} rejected the request (HTTP {status})" + (f": {reason}" if reason else ""), **detail
        )

    def _provider_reason(self, raw: bytes) -> tuple[str, str]:
        """The provider's error message and code, short and scrubbed of keys."""
        text = raw.decode("utf-8", "replace")
        reason, code = text, ""
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            err = data.get("error", data)
            if isinstance(err, dict):
                reason = str(err.get("message") or err.get("type") or "")
                code = str(err.get("code") or err.get("type") or "")
            elif isinstance(err, str):
                reason = err
        return self._scrub(" ".join(reason.split())[:300]), code

    def _scrub(self, text: str) -> str:
        if self._api_key:
            text = text.replace(self._api_key, "***")
        return _KEYLIKE.sub("***", text)

    def stream_error(self, event: dict[str, Any]) -> ModelError:
        """The error for an ``error`` object that arrived inside a stream (after the 200 status)."""
        err = event.get("error")
        kind = err.get("type") or err.get("code") if isinstance(err, dict) else None
        status = _STREAM_ERROR_STATUS.get(kind, 500) if isinstance(kind, str) else 500
        return self._status_error(status, json.dumps(event).encode(), {})

    def bad(self, what: str) -> ModelBadResponse:
        """A :class:`ModelBadResponse` naming the server and what was wrong (never the payload)."""
        return ModelBadResponse(f"{self.base_url} sent {what}", preset=self.preset.name)


async def read_json(transport: Transport, response: httpx.Response) -> dict[str, Any]:
    """The whole body of ``response`` as a JSON object, else :class:`ModelBadResponse`."""
    raw = await response.aread()
    try:
        data = json.loads(raw)
    except ValueError:
        raise transport.bad("a reply that is not JSON") from None
    if not isinstance(data, dict):
        raise transport.bad("a JSON reply that is not an object")
    return data


def parse_event_json(transport: Transport, data: str) -> dict[str, Any]:
    """One SSE ``data`` payload as a JSON object, else :class:`ModelBadResponse`."""
    try:
        value = json.loads(data)
    except ValueError:
        raise transport.bad("a stream event that is not JSON") from None
    if not isinstance(value, dict):
        raise transport.bad("a stream event that is not a JSON object")
    return value
