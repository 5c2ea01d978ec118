"""The formats a replay games file can be in, and what the replay provider and the backtest need to
know of each: which column holds the date and the season, which columns a clock hides (the
pre-game lines until the close, the scores until final), when a row's game starts, and its parser.

A league names its format in its config (`games_format`); every format's parser lands the same raw
table (`raw.nflverse_game`, nflverse's columns), so everything after ingestion is shared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from spread_eagle.ingest.parsers import nba_csv, nflverse_csv
from spread_eagle.ingest.payload import ParsedPayload, Payload
from spread_eagle.leagues import League


@dataclass(frozen=True)
class GamesFormat:
    name: str
    date_column: str
    season_column: str
    time_column: str | None  # None: the source gives a date only (the league's default time)
    home_score_column: str
    line_columns: tuple[str, ...]
    result_columns: tuple[str, ...]
    parse: Callable[[Payload, League], ParsedPayload]

    def kickoff_local(self, row: dict[str, str], league: League) -> datetime:
        """The row's start in league-local time (naive); ValueError/KeyError when it has none."""
        clock = (row.get(self.time_column) or "") if self.time_column else ""
        return datetime.fromisoformat(
            f"{row[self.date_column].strip()}T{clock.strip() or league.default_kickoff_time}"
        )


FORMATS = {
    "nflverse": GamesFormat(
        name="nflverse",
        date_column="gameday",
        season_column="season",
        time_column="gametime",
        home_score_column="home_score",
        line_columns=nflverse_csv.LINE_COLUMNS,
        result_columns=("away_score", "home_score", "result", "total", "overtime"),
        parse=nflverse_csv.parse_games_csv,
    ),
    "nba": GamesFormat(
        name="nba",
        date_column="date",
        season_column="season",
        time_column=None,
        home_score_column="score_home",
        line_columns=nba_csv.LINE_COLUMNS,
        result_columns=nba_csv.RESULT_COLUMNS,
        parse=nba_csv.parse_nba_csv,
    ),
}


class UnknownGamesFormatError(ValueError):
    pass


def games_format(league: League) -> GamesFormat:
    try:
        return FORMATS[league.games_format]
    except KeyError:
        raise UnknownGamesFormatError(
            f"league {league.league!r}: unknown games_format {league.games_format!r} "
            f"(known: {', '.join(sorted(FORMATS))})"
        ) from None
