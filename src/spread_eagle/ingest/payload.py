"""What a provider hands to raw storage: one response, verbatim, with where and when it came from."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class HttpMeta:
    """What an HTTP fetch adds beside the body (kept in raw.http_response, not in the payload id)."""

    url: str  # secrets already masked
    status_code: int
    etag: str | None = None
    last_modified: str | None = None
    requests_remaining: str | None = None
    requests_used: str | None = None
    requests_last: str | None = None


@dataclass(frozen=True)
class Payload:
    source: str
    endpoint: str
    body: str
    fetched_at: datetime
    content_type: str = "application/json"
    params: dict[str, Any] = field(default_factory=dict)  # secrets already removed by the client
    http: HttpMeta | None = None

    # Cached: a backfill stores the same season bodies for every date, and hashing them was not free.
    @cached_property
    def content_hash(self) -> str:
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest()

    @cached_property
    def request_params(self) -> str:
        return json.dumps(self.params, sort_keys=True, default=str)

    @cached_property
    def payload_id(self) -> str:
        """Same source, request and bytes -> same id, so a repeated fetch is stored once."""
        key = "\x1f".join([self.source, self.endpoint, self.request_params, self.content_hash])
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class QuarantinedRecord:
    """A record (or a whole payload) that could not be used, and why."""

    source: str
    reason: str
    record: str
    record_ref: str | None = None


@dataclass(frozen=True)
class ExpectedGame:
    """A game the schedule says is on the date; validation checks it reaches fct__game."""

    source: str
    home_team: str
    away_team: str
    kickoff_at: datetime | None


@dataclass
class ParsedPayload:
    """Rows a parser lands in its source's raw table, plus what it could not use."""

    table: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    quarantined: list[QuarantinedRecord] = field(default_factory=list)
    expected_games: list[ExpectedGame] = field(default_factory=list)
    # Set when the payload as a whole is unusable (empty, truncated, an HTML error page...).
    rejected: str | None = None
    # Line history: a row whose `change_columns` equal the newest stored row with the same
    # `key_columns` is not landed again (an unchanged line is stored once).
    key_columns: list[str] = field(default_factory=list)
    change_columns: list[str] = field(default_factory=list)

    def reject(self, source: str, reason: str, body: str) -> ParsedPayload:
        self.rejected = reason
        self.quarantined.append(QuarantinedRecord(source, reason, body[:2000]))
        return self
