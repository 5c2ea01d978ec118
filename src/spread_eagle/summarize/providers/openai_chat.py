"""OpenAI (and OpenAI-compatible servers) through the official SDK's chat completions."""

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

DEFAULT_MODEL = "gpt-4o-mini"


class OpenAIChat:
    name = "openai"

    def __init__(self, settings: Settings, retry: RetryPolicy) -> None:
        self._key = require_key(settings.openai_api_key, "OPENAI_API_KEY", self.name)
        self._sdk = import_sdk("openai")
        self.model: str | None = settings.llm_model or DEFAULT_MODEL
        self._settings, self._retry = settings, retry
        self._client = self._sdk.OpenAI(
            api_key=self._key,
            base_url=settings.llm_base_url,
            timeout=settings.llm_timeout_seconds,
            max_retries=0,
        )

    def _create(self, prompt: str, payload: dict[str, Any]) -> Any:
        return self._client.chat.completions.create(
            model=self.model,
            messages=[
                {"role": "system", "content": prompt},
                {"role": "user", "content": json.dumps(payload, sort_keys=True)},
            ],
            temperature=0,
            seed=self._settings.llm_seed,
            max_completion_tokens=self._settings.llm_max_tokens,
        )

    def write(self, prompt: str, payload: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        response, retries = self._retry.call(
            self.name,
            lambda: guarded(self._sdk, self.name, self._key, lambda: self._create(prompt, payload)),
        )
        choices = getattr(response, "choices", None)
        if not choices:
            raise ProviderError(f"{self.name} sent a response without choices")
        usage = response.usage
        return Completion(
            text=(choices[0].message.content or "").strip(),
            tokens_in=usage.prompt_tokens if usage else 0,
            tokens_out=usage.completion_tokens if usage else 0,
            latency=elapsed(started),
            retries=retries,
            model=response.model or self.model,
        )
