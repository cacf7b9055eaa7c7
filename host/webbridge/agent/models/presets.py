"""Provider presets: where a provider lives, which wire format it speaks, where its key comes from and what
its models cost.

A preset is only defaults: every field can be overridden when a model is created (``base_url`` for a
self-hosted server or a proxy, ``model`` for any model the server knows). Prices are US dollars per million
tokens, as published by each provider when this table was written (mid 2025); they change, so a model that
is not listed costs ``None`` (unknown) rather than a guess. Local servers (Ollama, vLLM, llama.cpp) cost 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from ..chat import Usage

Api = Literal["openai", "anthropic"]


@dataclass(frozen=True)
class Price:
    """US dollars per million input and output tokens."""

    input_per_mtok: float
    output_per_mtok: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1_000_000


@dataclass(frozen=True)
class Preset:
    """Defaults for one provider.

    ``key_required``: requests without a key are refused up front (:class:`~webbridge.errors.ModelKeyMissing`)
    instead of being sent. ``local``: the server runs on the user's machine or network, so tokens cost 0.
    ``prices`` maps a model-name prefix to its price; the longest matching prefix wins, so
    ``gpt-4o-mini-2024-07-18`` is priced as ``gpt-4o-mini``, not ``gpt-4o``.
    """

    name: str
    label: str
    api: Api
    base_url: str
    env_var: str
    default_model: str | None
    key_required: bool = True
    local: bool = False
    #: OpenAI's own API wants ``max_completion_tokens``; compatible servers read ``max_tokens``.
    max_tokens_field: str = "max_tokens"
    #: Anthropic requires ``max_tokens`` on every request.
    default_max_tokens: int = 4096
    prices: Mapping[str, Price] = field(default_factory=dict)

    def price_for(self, model: str) -> Price | None:
        if self.local:
            return Price(0.0, 0.0)
        best = ""
        for prefix in self.prices:
            if model.startswith(prefix) and len(prefix) > len(best):
                best = prefix
        return self.prices[best] if best else None

    def usage(self, model: str, input_tokens: int, output_tokens: int) -> Usage:
        """The :class:`Usage` for a call, with its cost when the price of ``model`` is known."""
        price = self.price_for(model)
        return Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=None if price is None else price.cost(input_tokens, output_tokens),
        )


_P = Price

PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        "openai": Preset(
            name="openai",
            label="OpenAI",
            api="openai",
            base_url="https://api.openai.com/v1",
            env_var="OPENAI_API_KEY",
            default_model="gpt-4.1-mini",
            max_tokens_field="max_completion_tokens",
            prices={
                "gpt-4o": _P(2.50, 10.00),
                "gpt-4o-mini": _P(0.15, 0.60),
                "gpt-4.1": _P(2.00, 8.00),
                "gpt-4.1-mini": _P(0.40, 1.60),
                "gpt-4.1-nano": _P(0.10, 0.40),
                "o3": _P(2.00, 8.00),
                "o4-mini": _P(1.10, 4.40),
            },
        ),
        "moonshot": Preset(
            name="moonshot",
            label="Moonshot (Kimi)",
            api="openai",
            base_url="https://api.moonshot.ai/v1",
            env_var="MOONSHOT_API_KEY",
            default_model="kimi-k2-0711-preview",
            prices={"kimi-k2": _P(0.60, 2.50)},
        ),
        "deepseek": Preset(
            name="deepseek",
            label="DeepSeek",
            api="openai",
            base_url="https://api.deepseek.com/v1",
            env_var="DEEPSEEK_API_KEY",
            default_model="deepseek-chat",
            prices={"deepseek-chat": _P(0.27, 1.10), "deepseek-reasoner": _P(0.55, 2.19)},
        ),
        "openrouter": Preset(
            # Prices depend on the routed model and change often: unknown (None).
            name="openrouter",
            label="OpenRouter",
            api="openai",
            base_url="https://openrouter.ai/api/v1",
            env_var="OPENROUTER_API_KEY",
            default_model="openai/gpt-4.1-mini",
        ),
        "ollama": Preset(
            name="ollama",
            label="Ollama",
            api="openai",
            base_url="http://127.0.0.1:11434/v1",
            env_var="OLLAMA_API_KEY",
            default_model="llama3.1",
            key_required=False,
            local=True,
        ),
        "vllm": Preset(
            # vLLM serves the model it was started with; its name must be given.
            name="vllm",
            label="vLLM",
            api="openai",
            base_url="http://127.0.0.1:8000/v1",
            env_var="VLLM_API_KEY",
            default_model=None,
            key_required=False,
            local=True,
        ),
        "llamacpp": Preset(
            # llama.cpp's server answers with the one model it loaded, whatever the request names.
            name="llamacpp",
            label="llama.cpp server",
            api="openai",
            base_url="http://127.0.0.1:8080/v1",
            env_var="LLAMACPP_API_KEY",
            default_model="local",
            key_required=False,
            local=True,
        ),
        "anthropic": Preset(
            name="anthropic",
            label="Anthropic",
            api="anthropic",
            base_url="https://api.anthropic.com",
            env_var="ANTHROPIC_API_KEY",
            default_model="claude-sonnet-4-20250514",
            prices={
                "claude-opus-4": _P(15.00, 75.00),
                "claude-sonnet-4": _P(3.00, 15.00),
                "claude-3-7-sonnet": _P(3.00, 15.00),
                "claude-3-5-sonnet": _P(3.00, 15.00),
                "claude-3-5-haiku": _P(0.80, 4.00),
            },
        ),
    }
)
