"""The nflverse games CSV (also what the replay provider serves), into raw.nflverse_game.

Values are landed as the text the source sent; staging casts and converts them (including the
spread sign). Here we only decide whether a row is usable at all, and keep the one Python copy of
the spread sign conversion (`spread_home`) for readers that skip the warehouse.
"""

from __future__ import annotations

from datetime import date, datetime

from spread_eagle.ingest.parsers.common import (
    MAX_ABS_SPREAD,
    csv_reader,
    csv_rows,
    row_numbers_problem,
    row_teams_problem,
)
from spread_eagle.ingest.payload import ExpectedGame, ParsedPayload, Payload, QuarantinedRecord
from spread_eagle.leagues import League

# The pre-game market columns (nflverse's closing line): blank in a replay until the close.
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
COLUMNS = [
    "game_id",
    "season",
    "game_type",
    "week",
    "gameday",
    "weekday",
    "gametime",
    "away_team",
    "away_score",
    "home_team",
    "home_score",
    "location",
    "result",
    "total",
    "overtime",
    "old_game_id",
    "gsis",
    "nfl_detail_id",
    "pfr",
    "pff",
    "espn",
    "ftn",
    "away_rest",
    "home_rest",
    *LINE_COLUMNS,
    "div_game",
    "roof",
    "surface",
    "temp",
    "wind",
    "away_qb_id",
    "home_qb_id",
    "away_qb_name",
    "home_qb_name",
    "away_coach",
    "home_coach",
    "referee",
    "stadium_id",
    "stadium",
]
REQUIRED = ["game_id", "season", "game_type", "week", "gameday", "away_team", "home_team"]
NUMERIC = [
    "season",
    "week",
    "away_score",
    "home_score",
    "away_moneyline",
    "home_moneyline",
    "spread_line",
    "total_line",
    "away_spread_odds",
    "home_spread_odds",
    "under_odds",
    "over_odds",
    "temp",
    "wind",
]


def spread_home(spread_line: float | None) -> float | None:
    """nflverse `spread_line` -> our `spread_home`.

    nflverse prints the line positive when the HOME team is favored; `spread_home` is the home
    handicap as a book prints it (negative = home favored). Mirrors staging's
    stg__nflverse__game, which converts for the warehouse; this is the only Python copy, for
    readers of the CSV that skip the warehouse (the backtest).
    """
    return None if spread_line is None else -spread_line


def kickoff_local(row: dict[str, str], default_time: str) -> datetime:
    """nflverse gives the US-Eastern date and 24h time (no time at all for 1999: the league's
    `default_kickoff_time`)."""
    return datetime.fromisoformat(f"{row['gameday']}T{row.get('gametime') or default_time}")


def _row_problem(row: dict[str, str], league: League) -> str | None:
    if problem := row_teams_problem(row, league, REQUIRED, "home_team", "away_team"):
        return problem
    try:
        date.fromisoformat(row["gameday"])
        kickoff_local(row, league.default_kickoff_time)
    except ValueError:
        return f"bad gameday/gametime {row.get('gameday')!r} {row.get('gametime')!r}"
    if problem := row_numbers_problem(row, NUMERIC):
        return problem
    spread = (row.get("spread_line") or "").strip()
    if spread and abs(float(spread)) > MAX_ABS_SPREAD:
        return f"spread_line {spread} is outside +/-{MAX_ABS_SPREAD:g}"
    for name in ("home_moneyline", "away_moneyline"):
        value = (row.get(name) or "").strip()
        if value and -100 < float(value) < 100:
            return f"{name} {value} is not valid American odds"
    return None


def parse_games_csv(payload: Payload, league: League) -> ParsedPayload:
    parsed = ParsedPayload(table="raw.nflverse_game", columns=list(COLUMNS))
    reader = csv_reader(payload, parsed, REQUIRED, "an nflverse games CSV")
    if reader is None:
        return parsed
    seen: set[str] = set()
    for line_no, row, raw_line in csv_rows(reader, parsed, payload.source):
        problem = _row_problem(row, league)
        game_id = row.get("game_id") or f"line {line_no}"
        if problem is None and game_id in seen:
            problem = f"duplicate game_id {game_id}"
        if problem:
            parsed.quarantined.append(QuarantinedRecord(payload.source, problem, raw_line, game_id))
            continue
        seen.add(game_id)
        parsed.rows.append([(row.get(c) or None) for c in COLUMNS])
    return parsed


def expected_games(parsed: ParsedPayload, league: League, source: str) -> list[ExpectedGame]:
    index = {c: i for i, c in enumerate(parsed.columns)}
    out = []
    for row in parsed.rows:
        local = kickoff_local(
            {"gameday": row[index["gameday"]], "gametime": row[index["gametime"]] or ""},
            league.default_kickoff_time,
        )
        out.append(
            ExpectedGame(
                source=source,
                home_team=league.team_id(row[index["home_team"]]) or row[index["home_team"]],
                away_team=league.team_id(row[index["away_team"]]) or row[index["away_team"]],
                kickoff_at=local.replace(tzinfo=league.tz),
            )
        )
    return out
