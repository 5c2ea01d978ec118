"""OpenAI (and OpenAI-compatible servers) through the official SDK's chat completions."""

from __future__ import annotations

import json
from typing import Any

from spread_eagle.summarize.providers.base import ProviderError
from spread_eagle.summarize.providers.sdk import SdkProvider


class OpenAIChat(SdkProvider, name="openai", client_class="OpenAI", default_model="gpt-4o-mini"):
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

    def _read(self, response: Any) -> tuple[str, int, int]:
        choices = getattr(response, "choices", None)
        if not choices:
            raise ProviderError(f"{self.name} sent a response without choices")
        usage = response.usage
        return (
            choices[0].message.content or "",
            usage.prompt_tokens if usage else 0,
            usage.completion_tokens if usage else 0,
        )
