"""One HTTP GET with the rules every live source shares.

- The transport is injectable (httpx's `MockTransport` in unit tests, a real one otherwise), and so
  is `sleep`, so retry tests take no wall-clock time.
- 401/403 fail at once with a message that says the key is missing or wrong; 429, 5xx, timeouts and
  connection errors are retried with bounded exponential backoff and full jitter, then fail loud.
- Secrets (an API key sent as a query parameter) never reach a log line, an error, or the URL and
  params that raw storage keeps: they are passed apart from the ordinary params and masked.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from spread_eagle.ingest.payload import HttpMeta, Payload
from spread_eagle.redact import redact_text, redact_url

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(RuntimeError):
    """A source could not be fetched after the allowed attempts; the message is secret-free."""


class AuthError(FetchError):
    """The source refused our credentials (401/403): retrying cannot help."""


@dataclass
class HttpClient:
    source: str
    base_url: str
    transport: httpx.BaseTransport | None = None
    timeout_seconds: float = 10.0
    max_attempts: int = 4
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    secrets: list[str] = field(default_factory=list)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def _clean(self, text: str) -> str:
        return redact_text(text, self.secrets)

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = response.headers.get("retry-after") if response is not None else None
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), self.backoff_max_seconds)
        ceiling = min(self.backoff_max_seconds, self.backoff_seconds * (2 ** (attempt - 1)))
        return self.rng.uniform(0, ceiling)  # full jitter

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        secret_params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth_hint: str = "",
    ) -> httpx.Response:
        """GET base_url + path; returns the final response (2xx or 304) or raises FetchError/AuthError."""
        query = {**(params or {}), **(secret_params or {})}
        self.secrets.extend(
            v for v in (secret_params or {}).values() if v and v not in self.secrets
        )
        shown = redact_url(f"{self.base_url.rstrip('/')}{path}")
        last_problem = "no attempt made"
        with httpx.Client(
            base_url=self.base_url, transport=self.transport, timeout=self.timeout_seconds
        ) as client:
            for attempt in range(1, self.max_attempts + 1):
                response: httpx.Response | None = None
                try:
                    response = client.get(path, params=query, headers=dict(headers or {}))
                except httpx.TransportError as exc:  # timeouts, refused connections, resets
                    last_problem = f"{type(exc).__name__}: {self._clean(str(exc))}"
                else:
                    if response.status_code in (401, 403):
                        raise AuthError(
                            f"{self.source} refused the request to {shown} with HTTP {response.status_code}: "
                            f"the API key is missing or wrong{auth_hint}. Body: {self._clean(response.text[:200])}"
                        )
                    if response.status_code < 400 or response.status_code == 304:
                        return response
                    if response.status_code not in RETRY_STATUSES:
                        raise FetchError(
                            f"{self.source} answered HTTP {response.status_code} for {shown}: "
                            f"{self._clean(response.text[:200])}"
                        )
                    last_problem = f"HTTP {response.status_code}"
                if attempt < self.max_attempts:
                    delay = self._delay(attempt, response)
                    log.warning(
                        "%s %s: %s (attempt %d of %d); retrying in %.2fs",
                        self.source,
                        shown,
                        last_problem,
                        attempt,
                        self.max_attempts,
                        delay,
                    )
                    self.sleep(delay)
        raise FetchError(
            f"{self.source} {shown} failed after {self.max_attempts} attempts: {last_problem}"
        )

    def payload(
        self, response: httpx.Response, *, endpoint: str, params: Mapping[str, Any]
    ) -> Payload:
        """The response as a verbatim payload; `params` must be the non-secret ones only."""
        headers = response.headers
        return Payload(
            source=self.source,
            endpoint=endpoint,
            body=response.text,
            fetched_at=self.clock(),
            content_type=headers.get("content-type", ""),
            params=dict(params),
            http=HttpMeta(
                url=redact_url(self._clean(str(response.request.url))),
                status_code=response.status_code,
                etag=headers.get("etag"),
                last_modified=headers.get("last-modified"),
                requests_remaining=headers.get("x-requests-remaining"),
                requests_used=headers.get("x-requests-used"),
                requests_last=headers.get("x-requests-last"),
            ),
        )
