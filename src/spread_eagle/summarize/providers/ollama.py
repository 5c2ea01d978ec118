"""A local (or remote) Ollama over its HTTP chat API, through httpx (transport injectable)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from spread_eagle.config import Settings
from spread_eagle.summarize.providers.base import (
    Completion,
    ProviderError,
    RetryPolicy,
    TransientError,
    elapsed,
)

DEFAULT_MODEL = "llama3.2"
DEFAULT_BASE_URL = "http://127.0.0.1:11434"


class Ollama:
    name = "ollama"
    in_process = False

    def __init__(
        self,
        settings: Settings,
        retry: RetryPolicy,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.model: str | None = settings.llm_model or DEFAULT_MODEL
        self._settings, self._retry = settings, retry
        self._client = httpx.Client(
            base_url=settings.llm_base_url or DEFAULT_BASE_URL,
            timeout=settings.llm_timeout_seconds,
            transport=transport,
        )

    def _post(self, prompt: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = {
            "model": self.model,
            "stream": False,
            "messages": [
                {"role": "system", "content": prompt},
                {"role": "user", "content": json.dumps(payload, sort_keys=True)},
            ],
            "options": {
                "temperature": 0,
                "seed": self._settings.llm_seed,
                "num_predict": self._settings.llm_max_tokens,
            },
        }
        try:
            response = self._client.post("/api/chat", json=body)
        except httpx.TimeoutException:
            raise TransientError(f"{self.name} timed out") from None
        except httpx.TransportError as exc:
            raise TransientError(f"{self.name} connection failed: {type(exc).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"{self.name} answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise ProviderError(
                f"{self.name} answered HTTP {response.status_code}: {response.text[:300]}"
            )
        try:
            data = response.json()
            return {
                "text": str(data["message"]["content"]),
                "tokens_in": int(data.get("prompt_eval_count") or 0),
                "tokens_out": int(data.get("eval_count") or 0),
                "model": data.get("model"),
            }
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderError(
                f"{self.name} sent a malformed response ({type(exc).__name__})"
            ) from None

    def write(self, prompt: str, payload: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        data, retries = self._retry.call(self.name, lambda: self._post(prompt, payload))
        return Completion(
            text=data["text"].strip(),
            tokens_in=data["tokens_in"],
            tokens_out=data["tokens_out"],
            latency=elapsed(started),
            retries=retries,
            model=data["model"] or self.model,
        )
