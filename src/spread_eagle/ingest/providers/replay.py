"""Replay: serves an nflverse-format games CSV, plus the aussportsbetting.com open/close sheet, as if
they were live sources at a given `as_of`.

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
served as one payload per season of every game final by `as_of`, so the first run of a fresh
warehouse loads the whole history and later runs add only what changed (identical seasons are
deduplicated by content hash).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path

from spread_eagle.ingest.parsers.aussportsbetting import REPLAY_COLUMNS, SHEET_HEADER, parse_sheet
from spread_eagle.ingest.parsers.nflverse_csv import (
    LINE_COLUMNS,
    expected_games,
    kickoff_local,
    parse_games_csv,
)
from spread_eagle.ingest.payload import ParsedPayload, Payload
from spread_eagle.ingest.providers.base import LINES, RESULTS, SCHEDULE
from spread_eagle.leagues import League

RESULT_COLUMNS = ("away_score", "home_score", "result", "total", "overtime")
SCHEDULE_ENDPOINT = "games.csv#date"
RESULTS_ENDPOINT = "games.csv#season"
SHEET_ENDPOINT = "open_close.csv#date"
SHEET_SOURCE = "aussportsbetting"
SHEET_CLOSE_COLUMNS = [h for h in SHEET_HEADER if h.endswith((" Min", " Max", " Close"))]
SHEET_RESULT_COLUMNS = ["Home Score", "Away Score", "Overtime?"]


class ReplayError(RuntimeError):
    pass


def game_dates(games_file: Path, finished_only: bool = False) -> list[date]:
    """The dates (league-local `gameday`) of a replay games file, oldest first; with
    `finished_only`, only dates that have a final score (what a demo can replay in full)."""
    if not games_file.is_file():
        raise ReplayError(f"games file not found: {games_file} (set SPREAD_EAGLE_GAMES_FILE)")
    with games_file.open(encoding="utf-8-sig", newline="") as handle:
        days = {
            row["gameday"]
            for row in csv.DictReader(handle)
            if row.get("gameday") and (row.get("home_score") or not finished_only)
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

    def stats(self) -> dict[str, str]:
        return {}

    def parse(self, payload: Payload) -> ParsedPayload:
        if payload.endpoint == SHEET_ENDPOINT:
            return parse_sheet(payload, self.league)
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

    @cached_property
    def _sheet(self) -> dict[tuple[str, str], list[tuple[date, dict[str, str]]]]:
        """(home id, away id) -> [(sheet date, row)]; rows with unknown names are left for the parser."""
        index: dict[tuple[str, str], list[tuple[date, dict[str, str]]]] = defaultdict(list)
        if self.lines_file is None:
            return index
        if not self.lines_file.is_file():
            raise ReplayError(
                f"open/close sheet not found: {self.lines_file} (set SPREAD_EAGLE_LINES_FILE)"
            )
        with self.lines_file.open(encoding="utf-8-sig", newline="") as handle:  # BOM
            for row in csv.DictReader(handle):
                home, away = (
                    self.league.team_id(row.get("Home Team")),
                    self.league.team_id(row.get("Away Team")),
                )
                try:
                    day = date.fromisoformat((row.get("Date") or "").strip())
                except ValueError:
                    continue
                if home and away:
                    index[(home, away)].append((day, row))
        return index

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
        _, rows = self._table
        served = []
        for game in rows:
            if game.get("gameday") != run_date.isoformat():
                continue
            kickoff = self._kickoff_utc(game)
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
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer,
            fieldnames=REPLAY_COLUMNS + SHEET_HEADER,
            lineterminator="\n",
            extrasaction="ignore",
        )
        writer.writeheader()
        writer.writerows(served)
        return [
            Payload(
                source=SHEET_SOURCE,
                endpoint=SHEET_ENDPOINT,
                params={"file": self.lines_file.name, "date": run_date.isoformat()},
                body=buffer.getvalue(),
                content_type="text/csv",
                fetched_at=as_of,
            )
        ]

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
