"""The Odds API v4 (https://the-odds-api.com/liveapi/guides/v4/): lines from
`/v4/sports/{sport}/odds` and final scores from `/v4/sports/{sport}/scores`.

The key (ODDS_API_KEY) is a query parameter: it is handed to the HTTP client as a secret param, so
it is masked in logs, errors and in the URL kept in raw.http_response, and it is never part of the
params stored with a payload. The quota headers of the last response are reported by `stats()`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from spread_eagle.config import Settings
from spread_eagle.ingest.http import AuthError, HttpClient
from spread_eagle.ingest.parsers.odds_api import parse_odds, parse_scores
from spread_eagle.ingest.payload import ParsedPayload, Payload
from spread_eagle.ingest.providers.base import LINES, RESULTS
from spread_eagle.leagues import League

ODDS = "odds"
SCORES = "scores"


class OddsApiProvider:
    source = "odds_api"
    kinds = frozenset({LINES, RESULTS})

    def __init__(self, settings: Settings, league: League, client: HttpClient) -> None:
        self.settings = settings
        self.league = league
        self.client = client
        self._stats: dict[str, str] = {}
        try:
            self.sport = league.sport_keys["odds_api"]
        except KeyError:
            raise ValueError(
                f"league {league.league!r} has no odds_api sport key in its config"
            ) from None

    def _key(self) -> dict[str, str]:
        key = self.settings.odds_api_key.get_secret_value() if self.settings.odds_api_key else ""
        if not key:
            raise AuthError(
                "The Odds API needs a key: set ODDS_API_KEY (SPREAD_EAGLE_ODDS_PROVIDER=odds_api)"
            )
        return {"apiKey": key}

    def _get(self, endpoint: str, params: dict[str, Any]) -> Payload:
        response = self.client.get(
            f"/v4/sports/{self.sport}/{endpoint}",
            params,
            secret_params=self._key(),
            auth_hint=" (check ODDS_API_KEY)",
        )
        for header in ("x-requests-remaining", "x-requests-used", "x-requests-last"):
            if header in response.headers:
                self._stats[f"odds_api_{header.removeprefix('x-').replace('-', '_')}"] = (
                    response.headers[header]
                )
        return self.client.payload(
            response, endpoint=endpoint, params={"sport": self.sport, **params}
        )

    def _window(self, run_date: date) -> tuple[str, str]:
        """The league-local day as UTC bounds (an 8:20 pm ET kickoff at 01:20 UTC is in it)."""
        start = datetime.combine(run_date, time(0), tzinfo=self.league.tz).astimezone(UTC)
        end = datetime.combine(
            run_date + timedelta(days=1), time(0), tzinfo=self.league.tz
        ).astimezone(UTC)
        return start.strftime("%Y-%m-%dT%H:%M:%SZ"), (end - timedelta(seconds=1)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )

    def parse(self, payload: Payload) -> ParsedPayload:
        if payload.endpoint == SCORES:
            return parse_scores(payload, self.league)
        return parse_odds(payload, self.league)

    def fetch_schedule(self, run_date: date, as_of: datetime) -> list[Payload]:
        raise NotImplementedError("The Odds API is not a schedule provider here")

    def fetch_lines(self, run_date: date, as_of: datetime) -> list[Payload]:
        start, end = self._window(run_date)
        params = {
            "regions": self.settings.odds_api_regions,
            "markets": self.settings.odds_api_markets,
            "oddsFormat": self.settings.odds_api_odds_format,
            "dateFormat": self.settings.odds_api_date_format,
            "commenceTimeFrom": start,
            "commenceTimeTo": end,
        }
        return [self._get(ODDS, params)]

    def fetch_results(self, run_date: date, as_of: datetime) -> list[Payload]:
        # daysFrom (1-3) reaches back from now to cover the run date's games.
        days = min(3, max(1, (as_of.astimezone(self.league.tz).date() - run_date).days + 1))
        return [
            self._get(SCORES, {"daysFrom": days, "dateFormat": self.settings.odds_api_date_format})
        ]

    def stats(self) -> dict[str, str]:
        return dict(self._stats)
