"""What the official openai and anthropic SDKs share: their errors, mapped onto ours, and the
provider built on them (`SdkProvider`: each subclass only says how it asks and how it reads).

Both SDKs raise APITimeoutError / APIConnectionError / APIStatusError(status_code); their own
retries are switched off (max_retries=0) so the retry policy, its count and its sleep are ours.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

from pydantic import SecretStr

from spread_eagle.config import Settings
from spread_eagle.redact import redact_text
from spread_eagle.summarize.providers.base import (
    Completion,
    ProviderError,
    RetryPolicy,
    TransientError,
    elapsed,
    require_key,
)

T = TypeVar("T")


def import_sdk(name: str) -> ModuleType:
    try:
        return __import__(name)
    except ImportError:
        raise ProviderError(
            f"the {name} LLM provider needs the {name} package: pip install 'spread-eagle[llm]'"
        ) from None


def guarded(sdk: ModuleType, provider: str, secret: str, fn: Callable[[], T]) -> T:
    """Call the SDK; 429/5xx/timeouts become TransientError, the rest ProviderError, and no
    message carries the key (a server may echo a request header back)."""
    try:
        return fn()
    except sdk.APITimeoutError:
        raise TransientError(f"{provider} timed out") from None
    except sdk.APIConnectionError as exc:
        raise TransientError(
            f"{provider} connection failed: {type(exc.__cause__).__name__}"
        ) from None
    except sdk.APIStatusError as exc:
        message = redact_text(str(getattr(exc, "message", exc))[:300], [secret])
        if exc.status_code == 429 or exc.status_code >= 500:
            raise TransientError(f"{provider} answered HTTP {exc.status_code}") from None
        raise ProviderError(f"{provider} answered HTTP {exc.status_code}: {message}") from None
    except (sdk.APIResponseValidationError, json.JSONDecodeError, ValueError) as exc:
        raise ProviderError(
            f"{provider} sent a malformed response ({type(exc).__name__})"
        ) from None


class SdkProvider:
    """A TL;DR writer over an official SDK: the key (checked before the SDK is imported), a client
    whose own retries are off, our retry loop around a `guarded` call, and the Completion."""

    name: str  # also the SDK's package name
    in_process = False
    client_class: str  # the SDK's client, built with the same options by both SDKs
    default_model: str

    def __init_subclass__(cls, *, name: str, client_class: str, default_model: str) -> None:
        super().__init_subclass__()
        cls.name, cls.client_class, cls.default_model = name, client_class, default_model

    def __init__(self, settings: Settings, retry: RetryPolicy) -> None:
        # OPENAI_API_KEY, ANTHROPIC_API_KEY: what to set when the key is missing (Settings reads it).
        variable = f"{self.name.upper()}_API_KEY"
        key: SecretStr | None = getattr(settings, variable.lower())
        self._key = require_key(key, variable, self.name)
        self._sdk = import_sdk(self.name)
        self.model: str | None = settings.llm_model or self.default_model
        self._settings, self._retry = settings, retry
        self._client = getattr(self._sdk, self.client_class)(
            api_key=self._key,
            base_url=settings.llm_base_url,
            timeout=settings.llm_timeout_seconds,
            max_retries=0,
        )

    def _create(self, prompt: str, payload: dict[str, Any]) -> Any:
        """The SDK call that asks for the TL;DR."""
        raise NotImplementedError

    def _read(self, response: Any) -> tuple[str, int, int]:
        """The response's text, input tokens and output tokens (ProviderError when it has none)."""
        raise NotImplementedError

    def write(self, prompt: str, payload: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        response, retries = self._retry.call(
            self.name,
            lambda: guarded(self._sdk, self.name, self._key, lambda: self._create(prompt, payload)),
        )
        text, tokens_in, tokens_out = self._read(response)
        return Completion(
            text=text.strip(),
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            latency=elapsed(started),
            retries=retries,
            model=response.model or self.model,
        )
