"""Anthropic through the official SDK's messages API.

No temperature and no seed are sent. The SDK we pin (anthropic 2.14) has neither in
`messages.create` (1.0 removed the sampling arguments), and the API itself deprecates temperature:
newer models reject any value but the default, so passing 0 through `extra_body` would fail there.
Determinism across re-runs comes from the cache (summarize/cache.py), and every TL;DR still
passes the grounding gate.
"""

from __future__ import annotations

import json
import time
from typing import Any

from spread_eagle.config import Settings
from spread_eagle.summarize.providers.base import (
    Completion,
    ProviderError,
    RetryPolicy,
    elapsed,
    require_key,
)
from spread_eagle.summarize.providers.sdk import guarded, import_sdk

DEFAULT_MODEL = "claude-haiku-4-5"


class AnthropicMessages:
    name = "anthropic"

    def __init__(self, settings: Settings, retry: RetryPolicy) -> None:
        self._key = require_key(settings.anthropic_api_key, "ANTHROPIC_API_KEY", self.name)
        self._sdk = import_sdk("anthropic")
        self.model: str | None = settings.llm_model or DEFAULT_MODEL
        self._settings, self._retry = settings, retry
        self._client = self._sdk.Anthropic(
            api_key=self._key,
            base_url=settings.llm_base_url,
            timeout=settings.llm_timeout_seconds,
            max_retries=0,
        )

    def _create(self, prompt: str, payload: dict[str, Any]) -> Any:
        return self._client.messages.create(
            model=self.model,
            system=prompt,
            messages=[{"role": "user", "content": json.dumps(payload, sort_keys=True)}],
            max_tokens=self._settings.llm_max_tokens,
        )

    def write(self, prompt: str, payload: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        response, retries = self._retry.call(
            self.name,
            lambda: guarded(self._sdk, self.name, self._key, lambda: self._create(prompt, payload)),
        )
        blocks = getattr(response, "content", None)
        if blocks is None:
            raise ProviderError(f"{self.name} sent a response without content")
        text = "".join(b.text for b in blocks if getattr(b, "type", None) == "text")
        usage = response.usage
        return Completion(
            text=text.strip(),
            tokens_in=usage.input_tokens if usage else 0,
            tokens_out=usage.output_tokens if usage else 0,
            latency=elapsed(started),
            retries=retries,
            model=response.model or self.model,
        )
