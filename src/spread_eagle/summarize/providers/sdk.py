"""What the official openai and anthropic SDKs share: their errors, mapped onto ours.

Both SDKs raise APITimeoutError / APIConnectionError / APIStatusError(status_code); their own
retries are switched off (max_retries=0) so the retry policy, its count and its sleep are ours.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

from spread_eagle.redact import redact_text
from spread_eagle.summarize.providers.base import ProviderError, TransientError

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
