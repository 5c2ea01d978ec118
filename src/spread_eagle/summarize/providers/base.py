"""The one small interface every TL;DR writer implements, and the retry loop they share."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Completion:
    """What a provider wrote, and what it cost: tokens, seconds, and retries it took."""

    text: str
    tokens_in: int
    tokens_out: int
    latency: float
    retries: int
    model: str | None


class Provider(Protocol):
    name: str
    model: str | None
    # writes in this process without waiting on a server: calls gain nothing side by side
    in_process: bool

    def write(self, prompt: str, payload: dict[str, Any]) -> Completion:
        """A TL;DR of `payload`, following the instructions of `prompt`."""
        ...


class ProviderError(RuntimeError):
    """The provider could not write a TL;DR (after its retries); the message is secret-free."""


class MissingKeyError(ProviderError):
    pass


class TransientError(ProviderError):
    """A failure worth another try: 429, 5xx, a timeout, a dropped connection."""


@dataclass
class RetryPolicy:
    """Bounded exponential backoff (base * 2**n seconds). `sleep` is injectable so tests wait
    for nothing; no jitter, so a test can assert the delays."""

    attempts: int = 4
    backoff: float = 1.0
    sleep: Callable[[float], None] = time.sleep

    def call(self, what: str, fn: Callable[[], T]) -> tuple[T, int]:
        """fn's result and how many retries it took; re-raises the last TransientError."""
        for attempt in range(1, self.attempts + 1):
            try:
                return fn(), attempt - 1
            except TransientError as exc:
                if attempt == self.attempts:
                    raise TransientError(f"{exc} (gave up after {attempt} attempts)") from None
                delay = self.backoff * 2 ** (attempt - 1)
                log.warning(
                    "%s: %s; retry %d of %d in %.1fs", what, exc, attempt, self.attempts - 1, delay
                )
                self.sleep(delay)
        raise AssertionError("unreachable: attempts >= 1")


def require_key(value: Any, variable: str, provider: str) -> str:
    """The key's value, or a one-line error naming the variable to set."""
    secret = value.get_secret_value() if value is not None else ""
    if not secret:
        raise MissingKeyError(
            f"{variable} is not set: the {provider} LLM provider needs it "
            "(or set SPREAD_EAGLE_LLM_PROVIDER=offline)"
        )
    return str(secret)


def elapsed(started: float) -> float:
    return round(time.perf_counter() - started, 3)
