"""nflverse's public games CSV (schedule, closing lines and results in one file), downloaded with a
conditional GET: the ETag / Last-Modified of the stored copy are sent back (If-None-Match /
If-Modified-Since), so an unchanged file costs one 304 and nothing is stored twice. The validators
are kept with each payload in raw.http_response; the provider only reads them (through `previous`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from spread_eagle.ingest.http import FetchError, HttpClient
from spread_eagle.ingest.parsers.nflverse_csv import expected_games, parse_games_csv
from spread_eagle.ingest.payload import HttpMeta, ParsedPayload, Payload
from spread_eagle.ingest.providers.base import LINES, RESULTS, SCHEDULE
from spread_eagle.leagues import League
from spread_eagle.redact import redact_url

ENDPOINT = "games.csv"


@dataclass(frozen=True)
class StoredCopy:
    """The newest stored download: its body and validators."""

    body: str
    content_type: str
    etag: str | None
    last_modified: str | None


def split_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}", parts.path + (
        f"?{parts.query}" if parts.query else ""
    )


class NflverseProvider:
    source = "nflverse"
    kinds = frozenset({SCHEDULE, LINES, RESULTS})

    def __init__(
        self,
        league: League,
        url: str,
        client: HttpClient,
        previous: Callable[[str], StoredCopy | None],
    ) -> None:
        self.league = league
        self.url = url
        self.client = client
        self.previous = previous
        self._on_date: date | None = None
        self._cached: Payload | None = None
        self._stats: dict[str, str] = {}

    def parse(self, payload: Payload) -> ParsedPayload:
        parsed = parse_games_csv(payload, self.league)
        if self._on_date is not None and not parsed.rejected:
            games = expected_games(parsed, self.league, self.source)
            parsed.expected_games = [
                g for g in games if g.kickoff_at and g.kickoff_at.date() == self._on_date
            ]
        return parsed

    def _download(self) -> Payload:
        if self._cached is not None:  # schedule, lines and results share one download per run
            return self._cached
        shown = redact_url(self.url)
        stored = self.previous(self.source)
        headers = {}
        if stored is not None:
            if stored.etag:
                headers["If-None-Match"] = stored.etag
            if stored.last_modified:
                headers["If-Modified-Since"] = stored.last_modified
        _, path = split_url(self.url)
        response = self.client.get(path, headers=headers)
        params = {"url": shown}
        if response.status_code == 304:
            if stored is None:
                raise FetchError(
                    f"nflverse answered 304 Not Modified for {shown} but no copy is stored"
                )
            self._stats["nflverse_http"] = "304 not modified"
            # The same bytes as the stored copy: same payload id, so nothing is stored again.
            self._cached = Payload(
                self.source,
                ENDPOINT,
                stored.body,
                datetime.now(UTC),
                stored.content_type,
                params,
                HttpMeta(
                    url=shown, status_code=304, etag=stored.etag, last_modified=stored.last_modified
                ),
            )
        else:
            self._stats["nflverse_http"] = f"{response.status_code} downloaded"
            self._cached = self.client.payload(response, endpoint=ENDPOINT, params=params)
        return self._cached

    def fetch_schedule(self, run_date: date, as_of: datetime) -> list[Payload]:
        self._on_date = run_date
        return [self._download()]

    def fetch_lines(self, run_date: date, as_of: datetime) -> list[Payload]:
        return [self._download()]  # the closing lines are columns of the same games file

    def fetch_results(self, run_date: date, as_of: datetime) -> list[Payload]:
        return [self._download()]

    def stats(self) -> dict[str, str]:
        return dict(self._stats)
