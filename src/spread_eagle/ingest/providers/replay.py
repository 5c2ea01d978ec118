"""Replay: serves an nflverse-format games CSV as if it were a live source at a given `as_of`.

Capture times it assumes (from the league config, documented in the README):
- the closing line (nflverse's lines) is captured `closing_line_minutes_before_kickoff` before
  kickoff, so a run whose as_of is earlier than that does not see it;
- a game is final `game_hours` after kickoff; before that its scores are blank.
Schedule and lines come in one payload per date (nflverse keeps them in one row); results are
served as one payload per season of every game final by `as_of`, so the first run of a fresh
warehouse loads the whole history and later runs add only what changed (identical seasons are
deduplicated by content hash).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path

from spread_eagle.ingest.parsers.nflverse_csv import expected_games, kickoff_local, parse_games_csv
from spread_eagle.ingest.payload import ParsedPayload, Payload
from spread_eagle.leagues import League

RESULT_COLUMNS = ("away_score", "home_score", "result", "total", "overtime")
SCHEDULE_ENDPOINT = "games.csv#date"
RESULTS_ENDPOINT = "games.csv#season"
LINE_COLUMNS = (
    "away_moneyline",
    "home_moneyline",
    "spread_line",
    "away_spread_odds",
    "home_spread_odds",
    "total_line",
    "under_odds",
    "over_odds",
)


class ReplayError(RuntimeError):
    pass


class ReplayProvider:
    source = "replay"

    def __init__(self, league: League, games_file: Path) -> None:
        self.league = league
        self.games_file = games_file

    def parse(self, payload: Payload) -> ParsedPayload:
        parsed = parse_games_csv(payload, self.league)
        if payload.endpoint == SCHEDULE_ENDPOINT:
            parsed.expected_games = expected_games(parsed, self.league, self.source)
        return parsed

    @cached_property
    def _table(self) -> tuple[list[str], list[dict[str, str]]]:
        if not self.games_file.is_file():
            raise ReplayError(
                f"games file not found: {self.games_file} (set SPREAD_EAGLE_GAMES_FILE)"
            )
        with self.games_file.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            return list(reader.fieldnames or []), rows

    def _kickoff_utc(self, row: dict[str, str]) -> datetime | None:
        try:
            return kickoff_local(row).replace(tzinfo=self.league.tz).astimezone(UTC)
        except (ValueError, KeyError):
            return None  # the parser quarantines it with the reason

    def _as_seen(self, row: dict[str, str], as_of: datetime) -> dict[str, str]:
        """The row as the source would have shown it at `as_of`: no future scores or lines."""
        kickoff = self._kickoff_utc(row)
        if kickoff is None:
            return row
        seen = dict(row)
        if kickoff + timedelta(hours=self.league.game_hours) > as_of:
            for column in RESULT_COLUMNS:
                if column in seen:
                    seen[column] = ""
        if kickoff - timedelta(minutes=self.league.closing_line_minutes_before_kickoff) > as_of:
            for column in LINE_COLUMNS:
                if column in seen:
                    seen[column] = ""
        return seen

    def _payload(
        self, endpoint: str, params: dict[str, str], rows: list[dict[str, str]], as_of: datetime
    ) -> Payload:
        header, _ = self._table
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return Payload(
            source=self.source,
            endpoint=endpoint,
            params={"file": self.games_file.name, **params},
            body=buffer.getvalue(),
            content_type="text/csv",
            # Replay time is the run's clock, not the wall clock, so a date's run is deterministic.
            fetched_at=as_of,
        )

    def fetch_schedule(self, run_date: date, as_of: datetime) -> list[Payload]:
        _, rows = self._table
        todays = [self._as_seen(r, as_of) for r in rows if r.get("gameday") == run_date.isoformat()]
        return [self._payload(SCHEDULE_ENDPOINT, {"date": run_date.isoformat()}, todays, as_of)]

    def fetch_lines(self, run_date: date, as_of: datetime) -> list[Payload]:
        return []  # nflverse keeps the lines in the schedule row: fetch_schedule already served them

    def fetch_results(self, run_date: date, as_of: datetime) -> list[Payload]:
        _, rows = self._table
        by_season: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in rows:
            kickoff = self._kickoff_utc(row)
            final_at = kickoff + timedelta(hours=self.league.game_hours) if kickoff else None
            if final_at is not None and final_at <= as_of and (row.get("home_score") or "").strip():
                by_season[row.get("season") or "?"].append(row)
        return [
            self._payload(RESULTS_ENDPOINT, {"season": season}, season_rows, as_of)
            for season, season_rows in sorted(by_season.items())
        ]
