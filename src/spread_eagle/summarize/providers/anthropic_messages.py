"""Anthropic through the official SDK's messages API.

No temperature and no seed are sent. The SDK we pin (anthropic 2.14) has neither in
`messages.create` (1.0 removed the sampling arguments), and the API itself deprecates temperature:
newer models reject any value but the default, so passing 0 through `extra_body` would fail there.
Determinism across re-runs comes from the cache (summarize/cache.py), and every TL;DR still
passes the grounding gate.
"""

from __future__ import annotations

import json
from typing import Any

from spread_eagle.summarize.providers.base import ProviderError
from spread_eagle.summarize.providers.sdk import SdkProvider


class AnthropicMessages(
    SdkProvider, name="anthropic", client_class="Anthropic", default_model="claude-haiku-4-5"
):
    def _create(self, prompt: str, payload: dict[str, Any]) -> Any:
        return self._client.messages.create(
            model=self.model,
            system=prompt,
            messages=[{"role": "user", "content": json.dumps(payload, sort_keys=True)}],
            max_tokens=self._settings.llm_max_tokens,
        )

    def _read(self, response: Any) -> tuple[str, int, int]:
        blocks = getattr(response, "content", None)
        if blocks is None:
            raise ProviderError(f"{self.name} sent a response without content")
        usage = response.usage
        return (
            "".join(b.text for b in blocks if getattr(b, "type", None) == "text"),
            usage.input_tokens if usage else 0,
            usage.output_tokens if usage else 0,
        )
