"""ESPN's public site API scoreboard: the schedule of a date with statuses, final scores and
ESPN's own odds, from `{base}/apis/site/v2/sports/{sport}/scoreboard?dates=YYYYMMDD` (one call
serves all three kinds; repeated identical responses are stored once)."""

from __future__ import annotations

from datetime import date, datetime

from spread_eagle.ingest.http import HttpClient
from spread_eagle.ingest.parsers.espn_scoreboard import parse_scoreboard
from spread_eagle.ingest.payload import ParsedPayload, Payload
from spread_eagle.ingest.providers.base import LINES, RESULTS, SCHEDULE
from spread_eagle.leagues import League

ENDPOINT = "scoreboard"


class EspnProvider:
    source = "espn"
    kinds = frozenset({SCHEDULE, LINES, RESULTS})

    def __init__(self, league: League, client: HttpClient) -> None:
        self.league = league
        self.client = client
        try:
            self.sport = league.sport_keys["espn"]
        except KeyError:
            raise ValueError(
                f"league {league.league!r} has no espn sport key in its config"
            ) from None

    def parse(self, payload: Payload) -> ParsedPayload:
        dates = str(payload.params.get("dates", ""))
        on_date = (
            datetime.strptime(dates, "%Y%m%d").date()
            if dates.isdigit() and len(dates) == 8
            else None
        )
        return parse_scoreboard(payload, self.league, on_date)

    def _scoreboard(self, run_date: date) -> list[Payload]:
        params = {"dates": run_date.strftime("%Y%m%d")}
        response = self.client.get(f"/apis/site/v2/sports/{self.sport}/scoreboard", params)
        return [self.client.payload(response, endpoint=ENDPOINT, params=params)]

    def fetch_schedule(self, run_date: date, as_of: datetime) -> list[Payload]:
        return self._scoreboard(run_date)

    def fetch_lines(self, run_date: date, as_of: datetime) -> list[Payload]:
        return self._scoreboard(run_date)

    def fetch_results(self, run_date: date, as_of: datetime) -> list[Payload]:
        return self._scoreboard(run_date)

    def stats(self) -> dict[str, str]:
        return {}
