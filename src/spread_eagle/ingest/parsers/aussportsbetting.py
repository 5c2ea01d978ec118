"""The aussportsbetting.com open/close sheet rows the replay provider serves, into
raw.aussportsbetting_line.

The sheet's own columns are landed as sent (DECIMAL odds, `Home Line` negative = home favored);
staging converts the odds to American and picks the open and close snapshots. The replay adds four
leading columns: the nflverse `game_id` the row matched, `is_home_swapped` (the sheet names home
and away the other way round from nflverse's designated home team: three Super Bowls), and the
capture times of the open and close.
"""

from __future__ import annotations

import re
from typing import Any

from spread_eagle.ingest.parsers.common import (
    MAX_ABS_SPREAD,
    csv_reader,
    number_problem,
    parse_time,
    parses,
    row_cells_problem,
)
from spread_eagle.ingest.payload import ParsedPayload, Payload, QuarantinedRecord
from spread_eagle.leagues import League

TABLE = "raw.aussportsbetting_line"
REPLAY_COLUMNS = ["game_id", "is_home_swapped", "open_captured_at", "close_captured_at"]
SHEET_HEADER = [
    "Date",
    "Home Team",
    "Away Team",
    "Home Score",
    "Away Score",
    "Overtime?",
    "Playoff Game?",
    "Neutral Venue?",
    *[
        f"{what} {stage}"
        for what in (
            "Home Odds",
            "Away Odds",
            "Home Line",
            "Away Line",
            "Home Line Odds",
            "Away Line Odds",
            "Total Score",
            "Total Score Over",
            "Total Score Under",
        )
        for stage in ("Open", "Min", "Max", "Close")
    ],
    "Notes",
]


def column_name(header: str) -> str:
    """`Home Line Odds Open` -> `home_line_odds_open`; `Date` -> `sheet_date`; `Overtime?` -> `overtime`."""
    if header == "Date":
        return "sheet_date"
    return re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")


SHEET_COLUMNS = [column_name(h) for h in SHEET_HEADER]
COLUMNS = REPLAY_COLUMNS + SHEET_COLUMNS
ODDS_COLUMNS = [h for h in SHEET_HEADER if "Odds" in h or "Over" in h.split()[-2:] or "Under" in h]
LINE_COLUMNS = [
    h for h in SHEET_HEADER if h.startswith(("Home Line ", "Away Line ")) and "Odds" not in h
]


def _problem(row: dict[str, str], league: League) -> str | None:
    for name in ("game_id", "Date", "Home Team", "Away Team"):
        if not (row.get(name) or "").strip():
            return f"missing {name}"
    for name in ("Home Team", "Away Team"):
        if league.team_id(row[name]) is None:
            return f"unknown team {row[name]!r} in {name}"
    problem = row_cells_problem(row, SHEET_HEADER[8:-1], _sheet_number_problem)
    return problem or row_cells_problem(
        row, ("open_captured_at", "close_captured_at"), _time_problem
    )


def _sheet_number_problem(name: str, value: str) -> str | None:
    if problem := number_problem(name, value):
        return problem
    number = float(value)
    if name in LINE_COLUMNS and abs(number) > MAX_ABS_SPREAD:
        return f"{name} {value} is outside +/-{MAX_ABS_SPREAD:g}"
    if name in ODDS_COLUMNS and number <= 1.0:
        return f"{name} {value} is not valid decimal odds"
    return None


def _time_problem(name: str, value: str) -> str | None:
    return None if parses(value, parse_time) else f"bad {name} {value!r}"


def parse_sheet(payload: Payload, league: League) -> ParsedPayload:
    parsed = ParsedPayload(table=TABLE, columns=list(COLUMNS))
    reader = csv_reader(payload, parsed, REPLAY_COLUMNS + SHEET_HEADER, "an open/close sheet")
    if reader is None:
        return parsed
    seen: set[str] = set()
    for line_no, row in enumerate(reader, start=2):
        problem = _problem(row, league)
        if problem is None and row["game_id"] in seen:
            problem = f"duplicate game {row['game_id']}"
        if problem:
            record = ",".join(row.get(c) or "" for c in (reader.fieldnames or []))
            parsed.quarantined.append(
                QuarantinedRecord(
                    payload.source, problem, record, row.get("game_id") or f"line {line_no}"
                )
            )
            continue
        seen.add(row["game_id"])
        values: list[Any] = [(row.get(c) or None) for c in REPLAY_COLUMNS + SHEET_HEADER]
        for i in (2, 3):  # capture times: typed UTC
            values[i] = parse_time(values[i]) if values[i] else None
        parsed.rows.append(values)
    return parsed
