"""Replay: serves a league's games CSV (nflverse's format for the NFL, the NBA file's for the NBA:
`ingest/parsers/games_file.py`), plus the aussportsbetting.com open/close sheet where the league
has one, as if they were live sources at a given `as_of`.

Capture times it assumes (from the league config `leagues/<league>.yaml`):
- the closing line (nflverse's lines, and the sheet's `* Close` columns) is captured
  `closing_line_minutes_before_kickoff` (NFL: 5) before kickoff, so a run whose as_of is earlier
  than that does not see it;
- the sheet's opening line (`* Open` columns, true openers from the 2014 season on) is captured
  `opening_line_days_before_kickoff` (NFL: 6) days before kickoff. Before 2014 the sheet has ONE
  pre-game line (in its `Open` columns, with `Close` empty): it is served as a closing snapshot
  (open_captured_at empty), never as an opener;
- a game is final `game_hours` after kickoff; before that its scores are blank.
The sheet is matched to the date's nflverse games by home and away team (through the one alias
table) and date within one day; three Super Bowl rows name home and away the other way round from
nflverse and are served with `is_home_swapped = true` (staging swaps them back).
Schedule and nflverse lines come in one payload per date (nflverse keeps them in one row); the
sheet's lines are a second payload per date (fetch_lines); results are
served by period of play, each payload the period's games final by `as_of`: a finished season whole,
the season under way as its finished months whole and the month under way day by day. The first run
of a fresh warehouse loads the whole history; a later run adds only what changed (the day's
payload, and a month's or a season's once it is over; identical payloads are deduplicated by content
hash), not the whole season again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path

from spread_eagle.ingest.parsers.aussportsbetting import REPLAY_COLUMNS, SHEET_HEADER, parse_sheet
from spread_eagle.ingest.parsers.games_file import GamesFormat, games_format
from spread_eagle.ingest.parsers.nflverse_csv import expected_games
from spread_eagle.ingest.payload import ParsedPayload, Payload
from spread_eagle.ingest.providers.base import LINES, RESULTS, SCHEDULE
from spread_eagle.ingest.providers.replay_files import (
    GamesFile,
    SheetIndex,
    csv_body,
    file_key,
    kickoff_utc,
    read_games,
    read_sheet,
)
from spread_eagle.leagues import League

SCHEDULE_ENDPOINT = "games.csv#date"
RESULTS_ENDPOINT = "games.csv#season"
SHEET_ENDPOINT = "open_close.csv#date"
SHEET_SOURCE = "aussportsbetting"
SHEET_CLOSE_COLUMNS = [h for h in SHEET_HEADER if h.endswith((" Min", " Max", " Close"))]
SHEET_RESULT_COLUMNS = ["Home Score", "Away Score", "Overtime?"]


class ReplayError(RuntimeError):
    pass


def game_dates(games_file: Path, league: League, finished_only: bool = False) -> list[date]:
    """The dates (league-local game dates) of a replay games file in the league's format, oldest
    first; with `finished_only`, only dates that have a final score (what a demo can replay in
    full)."""
    if not games_file.is_file():
        raise ReplayError(f"games file not found: {games_file} (set SPREAD_EAGLE_GAMES_FILE)")
    fmt = games_format(league)
    games = read_games(file_key(games_file), fmt)
    if fmt.date_column not in games.header:
        raise ReplayError(
            f"{games_file} is not a {fmt.name}-format games file (no {fmt.date_column!r} column), "
            f"which league {league.league!r} replays"
        )
    days = {
        (row.get(fmt.date_column) or "").strip()
        for row in games.rows
        if (row.get(fmt.date_column) or "").strip()
        and (row.get(fmt.home_score_column) or not finished_only)
    }
    return sorted(date.fromisoformat(d) for d in days)


def _has_true_opener(sheet_row: Mapping[str, str]) -> bool:
    """Only rows that also carry a close have a true opener (2014 on); before that the sheet's
    single pre-game line sits in its Open columns and is a close."""
    return bool((sheet_row.get("Home Line Close") or "").strip())


class ReplayProvider:
    source = "replay"
    kinds = frozenset({SCHEDULE, LINES, RESULTS})

    def __init__(self, league: League, games_file: Path, lines_file: Path | None = None) -> None:
        self.league = league
        self.games_file = games_file
        self.lines_file = lines_file
        self.games_format: GamesFormat = games_format(league)

    def stats(self) -> dict[str, str]:
        return {}

    def parse(self, payload: Payload) -> ParsedPayload:
        if payload.endpoint == SHEET_ENDPOINT:
            return parse_sheet(payload, self.league)
        parsed = self.games_format.parse(payload, self.league)
        if payload.endpoint == SCHEDULE_ENDPOINT:
            parsed.expected_games = expected_games(parsed, self.league, self.source)
        return parsed

    def _games(self) -> GamesFile:
        if not self.games_file.is_file():
            raise ReplayError(
                f"games file not found: {self.games_file} (set SPREAD_EAGLE_GAMES_FILE)"
            )
        return read_games(file_key(self.games_file), self.games_format)

    def _as_seen(self, row: dict[str, str], as_of: datetime) -> dict[str, str]:
        """The row as the source would have shown it at `as_of`: no future scores or lines."""
        kickoff = kickoff_utc(row, self.league, self.games_format)
        if kickoff is None:
            return row
        seen = dict(row)
        if kickoff + timedelta(hours=self.league.game_hours) > as_of:
            for column in self.games_format.result_columns:
                if column in seen:
                    seen[column] = ""
        if kickoff - timedelta(minutes=self.league.closing_line_minutes_before_kickoff) > as_of:
            for column in self.games_format.line_columns:
                if column in seen:
                    seen[column] = ""
        return seen

    def _payload(
        self, endpoint: str, params: dict[str, str], body: str, as_of: datetime
    ) -> Payload:
        return Payload(
            source=self.source,
            endpoint=endpoint,
            params={"file": self.games_file.name, **params},
            body=body,
            content_type="text/csv",
            # Replay time is the run's clock, not the wall clock, so a date's run is deterministic.
            fetched_at=as_of,
        )

    def fetch_schedule(self, run_date: date, as_of: datetime) -> list[Payload]:
        games = self._games()
        todays = [self._as_seen(r, as_of) for r in games.by_day.get(run_date.isoformat(), [])]
        body = csv_body(games.header, todays)
        return [self._payload(SCHEDULE_ENDPOINT, {"date": run_date.isoformat()}, body, as_of)]

    @cached_property
    def _sheet(self) -> SheetIndex:
        if self.lines_file is None:
            return {}
        if not self.lines_file.is_file():
            raise ReplayError(
                f"open/close sheet not found: {self.lines_file} (set SPREAD_EAGLE_LINES_FILE)"
            )
        return read_sheet(self.lines_file, self.league)

    def _sheet_row(self, game: Mapping[str, str | None]) -> tuple[dict[str, str], bool] | None:
        home, away = (
            self.league.team_id(game.get("home_team")),
            self.league.team_id(game.get("away_team")),
        )
        gameday = game.get("gameday")
        if not home or not away or not gameday:
            return None
        day = date.fromisoformat(gameday)
        for key, swapped in (((home, away), False), ((away, home), True)):
            for sheet_day, row in self._sheet.get(key, []):
                if abs((sheet_day - day).days) <= 1:
                    return row, swapped
        return None

    def opening_lines(self, games: Iterable[Mapping[str, str | None]]) -> dict[str, float]:
        """game_id -> the sheet's true opening spread, as the nflverse home team's handicap
        (negative = home favored), for each nflverse game row (`game_id`, `home_team`,
        `away_team`, `gameday`) that has one.

        For readers that skip the warehouse (the backtest). Games are matched as fetch_lines
        matches them; the sign and the swapped Super Bowl rows are handled as staging's
        stg__aussportsbetting__line does (the sheet's `Home Line` is already a home handicap).
        """
        found: dict[str, float] = {}
        for game in games:
            match = self._sheet_row(game)
            if match is None:
                continue
            row, swapped = match
            opener = (row.get("Home Line Open") or "").strip()
            if opener and _has_true_opener(row):
                found[str(game["game_id"])] = -float(opener) if swapped else float(opener)
        return found

    def fetch_lines(self, run_date: date, as_of: datetime) -> list[Payload]:
        """The sheet's open and close for the date's games, as far as `as_of` has seen them.

        (nflverse's own closing line is in the schedule row fetch_schedule serves.)
        """
        if self.lines_file is None:
            return []
        served = []
        for game in self._games().by_day.get(run_date.isoformat(), []):
            kickoff = kickoff_utc(game, self.league, self.games_format)
            found = self._sheet_row(game)
            if kickoff is None or found is None:
                continue
            sheet_row, swapped = found
            out = dict(sheet_row)
            has_open = _has_true_opener(sheet_row)
            opened = kickoff - timedelta(days=self.league.opening_line_days_before_kickoff)
            closed = kickoff - timedelta(minutes=self.league.closing_line_minutes_before_kickoff)
            if (opened if has_open else closed) > as_of:
                continue  # nothing of this game's market had been seen yet
            if closed > as_of:
                for column in SHEET_CLOSE_COLUMNS:
                    out[column] = ""
            if kickoff + timedelta(hours=self.league.game_hours) > as_of:
                for column in SHEET_RESULT_COLUMNS:
                    out[column] = ""
            out.update(
                {
                    "game_id": game["game_id"],
                    "is_home_swapped": "true" if swapped else "false",
                    "open_captured_at": opened.strftime("%Y-%m-%dT%H:%M:%SZ") if has_open else "",
                    "close_captured_at": closed.strftime("%Y-%m-%dT%H:%M:%SZ")
                    if closed <= as_of
                    else "",
                }
            )
            served.append(out)
        if not served:
            return []
        body = csv_body(REPLAY_COLUMNS + SHEET_HEADER, served, extras_ignored=True)
        return [
            Payload(
                source=SHEET_SOURCE,
                endpoint=SHEET_ENDPOINT,
                params={"file": self.lines_file.name, "date": run_date.isoformat()},
                body=body,
                content_type="text/csv",
                fetched_at=as_of,
            )
        ]

    def fetch_results(self, run_date: date, as_of: datetime) -> list[Payload]:
        """A season whose games are all final comes whole; the season under way comes as its
        finished months whole and the month under way day by day. So a day's run adds the day's
        payload (and a month's or a season's once it ends), not the whole season again."""
        games = self._games()
        payloads = []
        for season in games.results(self.league):
            for period in season.served(as_of):
                body = period.body(games.header, as_of)
                if body is not None:
                    payloads.append(self._payload(RESULTS_ENDPOINT, period.params, body, as_of))
        return payloads
