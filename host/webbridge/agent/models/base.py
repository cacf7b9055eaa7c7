"""What both adapters share: preset and key resolution, the transport, stream-or-not, ``aclose``.

A subclass says how to build the request body (:meth:`HttpModel._request`), how to read a whole JSON reply
(:meth:`HttpModel._parse`) and how to read a streamed one (:meth:`HttpModel._read_stream`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Self

import httpx

from ...errors import ConfigError
from ..chat import ChatMessage, DeltaSink, ModelReply, ToolSpec
from .keys import KeyringGet, keyring_get, resolve_api_key
from .presets import PRESETS, Preset
from .retry import RetryPolicy
from .transport import Sleep, Transport, read_json


def get_preset(preset: Preset | str) -> Preset:
    """The preset named ``preset`` (or ``preset`` itself); :class:`ConfigError` naming the known ones."""
    if isinstance(preset, Preset):
        return preset
    try:
        return PRESETS[preset]
    except KeyError:
        raise ConfigError(
            f"unknown model preset {preset!r}; known: {', '.join(sorted(PRESETS))}", field="preset"
        ) from None


class HttpModel:
    """A :class:`~webbridge.agent.chat.Model` over HTTP. Use as ``async with`` or call :meth:`aclose`.

    ``stream``: ``None`` (default) streams when :meth:`complete` gets an ``on_delta`` sink; ``True`` or
    ``False`` forces it. Construction raises :class:`ConfigError` for an unknown preset, a missing model
    name or a preset of the other wire format, and :class:`~webbridge.errors.ModelKeyMissing` when a key is
    needed and none is found; nothing is sent before :meth:`complete`.
    """

    api: ClassVar[str]
    path: ClassVar[str]

    def __init__(
        self,
        preset: Preset | str = "openai",
        *,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120,
        max_retries: int = 4,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        stream: bool | None = None,
        env: Mapping[str, str] | None = None,
        keyring: KeyringGet = keyring_get,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.preset = get_preset(preset)
        if self.preset.api != self.api:
            raise ConfigError(
                f"preset {self.preset.name!r} speaks the {self.preset.api} API, not {self.api}",
                field="preset",
            )
        chosen = model or self.preset.default_model
        if not chosen:
            raise ConfigError(f"preset {self.preset.name!r} needs a model name", field="model")
        self.model: str = chosen
        self.stream = stream
        key = resolve_api_key(self.preset, api_key, env=env, keyring=keyring)
        self._transport = Transport(
            preset=self.preset,
            model=self.model,
            base_url=base_url or self.preset.base_url,
            headers=self._headers(key),
            api_key=key,
            timeout=timeout,
            retry=retry or RetryPolicy(max_retries=max_retries),
            client=client,
            sleep=sleep,
        )

    @property
    def name(self) -> str:
        return f"{self.preset.name}:{self.model}"

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec] = (),
        *,
        on_delta: DeltaSink | None = None,
        max_tokens: int | None = None,
    ) -> ModelReply:
        """One assistant turn for ``messages``. Raises :class:`~webbridge.errors.ModelError` subclasses
        (:class:`~webbridge.errors.ModelInputError` before sending anything when the conversation cannot
        be expressed). Cancelling closes the HTTP request at once; ``on_delta`` sees no further pieces."""
        stream = self.stream if self.stream is not None else on_delta is not None
        body = self._request(messages, tools, max_tokens=max_tokens, stream=stream)
        async with self._transport.post(self.path, body) as response:
            if stream:
                return await self._read_stream(response, on_delta)
            return self._parse(await read_json(self._transport, response))

    async def aclose(self) -> None:
        """Close the HTTP client if this model created it. Idempotent."""
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:  # never shows the key
        return f"{type(self).__name__}({self.name!r}, base_url={self.base_url!r})"

    # --- per wire format ----------------------------------------------------------------------------------

    def _headers(self, api_key: str | None) -> dict[str, str]:
        raise NotImplementedError

    def _request(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        max_tokens: int | None,
        stream: bool,
    ) -> dict[str, Any]:
        raise NotImplementedError

    def _parse(self, data: dict[str, Any]) -> ModelReply:
        raise NotImplementedError

    async def _read_stream(self, response: httpx.Response, on_delta: DeltaSink | None) -> ModelReply:
        raise NotImplementedError
