"""Model adapters over httpx: OpenAI-compatible chat completions and the Anthropic Messages API.

Both satisfy :class:`webbridge.agent.chat.Model`. Make one with :func:`create_model`::

    model = create_model("deepseek")                       # key from $DEEPSEEK_API_KEY or the keyring
    model = create_model("ollama", model="qwen2.5:7b")     # local, no key
    model = create_model("openai", base_url="http://gpu-box:8000/v1", model="my-model", api_key="...")
    try:
        reply = await model.complete(messages, tools)
    finally:
        await model.aclose()

Failures raise :class:`webbridge.errors.ModelError` subclasses (codes 7000-7049).
"""

from __future__ import annotations

import httpx

from ..chat import Model
from .anthropic import AnthropicModel
from .base import HttpModel, get_preset
from .keys import resolve_api_key
from .openai import OpenAIChatModel
from .presets import PRESETS, Preset, Price
from .retry import RetryPolicy, parse_retry_after
from .untrusted import wrap_untrusted

__all__ = [
    "PRESETS",
    "AnthropicModel",
    "HttpModel",
    "OpenAIChatModel",
    "Preset",
    "Price",
    "RetryPolicy",
    "create_model",
    "parse_retry_after",
    "resolve_api_key",
    "wrap_untrusted",
]


def create_model(
    preset: str = "openai",
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float = 120,
    max_retries: int = 4,
    client: httpx.AsyncClient | None = None,
    retry: RetryPolicy | None = None,
    stream: bool | None = None,
) -> Model:
    """A model for ``preset`` (see :data:`PRESETS`), every default overridable.

    ``api_key`` ``None``: the preset's environment variable, then the OS keyring (service ``webbridge``,
    user = preset name). ``retry`` replaces the default back-off built from ``max_retries``. Raises
    :class:`~webbridge.errors.ConfigError` (unknown preset, no model name) and
    :class:`~webbridge.errors.ModelKeyMissing`; nothing is sent until ``complete``. The caller owns the
    result and must ``await model.aclose()`` (a ``client`` handed in is left open).
    """
    chosen = get_preset(preset)
    cls: type[HttpModel] = AnthropicModel if chosen.api == "anthropic" else OpenAIChatModel
    return cls(
        chosen,
        model=model,
        base_url=base_url,
        api_key=api_key,
        timeout=timeout,
        max_retries=max_retries,
        client=client,
        retry=retry,
        stream=stream,
    )
