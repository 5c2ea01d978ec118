"""TL;DR writers behind one interface (`base.Provider`), chosen by name (SPREAD_EAGLE_LLM_PROVIDER)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from spread_eagle.config import Settings
from spread_eagle.summarize.providers.base import (
    Completion,
    MissingKeyError,
    Provider,
    ProviderError,
    RetryPolicy,
)

__all__ = [
    "PROVIDERS",
    "Completion",
    "MissingKeyError",
    "Provider",
    "ProviderError",
    "build_provider",
]


def _offline(
    settings: Settings, retry: RetryPolicy, transport: httpx.BaseTransport | None
) -> Provider:
    from spread_eagle.summarize.providers.offline import Offline

    return Offline()


def _openai(
    settings: Settings, retry: RetryPolicy, transport: httpx.BaseTransport | None
) -> Provider:
    from spread_eagle.summarize.providers.openai_chat import OpenAIChat

    return OpenAIChat(settings, retry)


def _anthropic(
    settings: Settings, retry: RetryPolicy, transport: httpx.BaseTransport | None
) -> Provider:
    from spread_eagle.summarize.providers.anthropic_messages import AnthropicMessages

    return AnthropicMessages(settings, retry)


def _ollama(
    settings: Settings, retry: RetryPolicy, transport: httpx.BaseTransport | None
) -> Provider:
    from spread_eagle.summarize.providers.ollama import Ollama

    return Ollama(settings, retry, transport)


# The SDK modules are imported only when their provider is chosen: `offline` needs neither.
PROVIDERS: dict[str, Callable[[Settings, RetryPolicy, httpx.BaseTransport | None], Provider]] = {
    "offline": _offline,
    "openai": _openai,
    "anthropic": _anthropic,
    "ollama": _ollama,
}


def build_provider(
    settings: Settings,
    name: str | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> Provider:
    """The provider `name` (default: the configured one), with the configured retry policy."""
    name = name or settings.llm_provider
    if name not in PROVIDERS:
        raise ProviderError(f"unknown LLM provider {name!r}; known: {', '.join(PROVIDERS)}")
    retry = RetryPolicy(settings.llm_max_attempts, settings.llm_backoff_seconds, sleep)
    return PROVIDERS[name](settings, retry, transport)
