"""The NBA betting games CSV (`nba_games_2008_2024.csv`: Kaggle's NBA betting data), into the same
raw table as the nflverse games, `raw.nflverse_game`.

One row per game: `season` (the year the season ends), `date` (US local game date, no tip-off
time), lower-case team codes of today's franchises, the quarter scores, and one line per game:
`spread` is the favorite's margin as a positive number and `whos_favored` names the favorite;
`total` is the points total line; moneylines are American odds.

Mapped into nflverse's columns (the raw table's meaning, so staging converts it as for the NFL):
`game_id` `<YYYYMMDD>_<AWAY>_<HOME>`, `season` as sent, `game_type` REG / POST / OTHER (neither
flag: the play-in tournament, the 2023 In-Season Tournament final), `gameday` the date, `gametime`
blank (staging and the replay clock use the league's `default_kickoff_time`), `spread_line` in
nflverse's sign (positive = HOME favored: `+spread` when `whos_favored` is home, `-spread` when
away), `total_line`, moneylines as sent. The payload itself is stored verbatim in raw.payload.

Rows that cannot be used are quarantined with the reason, never dropped silently: unknown teams,
a missing or non-numeric value, no spread (3 rows), a moneyline favorite that is not the spread
favorite (about 70 rows), a date outside its season, a team twice on one date.
"""

from __future__ import annotations

from datetime import date

from spread_eagle.ingest.parsers.common import (
    MAX_ABS_SPREAD,
    csv_reader,
    csv_rows,
    row_numbers_problem,
    row_teams_problem,
)
from spread_eagle.ingest.parsers.nflverse_csv import COLUMNS
from spread_eagle.ingest.payload import ParsedPayload, Payload, QuarantinedRecord
from spread_eagle.leagues import League

HEADER = [
    "season",
    "date",
    "regular",
    "playoffs",
    "away",
    "home",
    "score_away",
    "score_home",
    "q1_away",
    "q2_away",
    "q3_away",
    "q4_away",
    "ot_away",
    "q1_home",
    "q2_home",
    "q3_home",
    "q4_home",
    "ot_home",
    "whos_favored",
    "spread",
    "total",
    "moneyline_away",
    "moneyline_home",
    "h2_spread",
    "h2_total",
    "id_spread",
    "id_total",
]
# The pre-game market columns (blank in a replay until the close) and the result columns (blank
# until final). The second-half line is set during the game: it is a result here.
LINE_COLUMNS = ("whos_favored", "spread", "total", "moneyline_away", "moneyline_home")
RESULT_COLUMNS = tuple(
    c for c in HEADER if c.startswith(("score_", "q1_", "q2_", "q3_", "q4_", "ot_", "h2_", "id_"))
)
REQUIRED = ["season", "date", "away", "home"]
NUMERIC = [
    "season",
    "score_away",
    "score_home",
    "spread",
    "total",
    "moneyline_away",
    "moneyline_home",
]


def spread_line(whos_favored: str, spread: str) -> float | None:
    """The file's (favorite, margin) -> nflverse's `spread_line` (positive = HOME favored)."""
    if not spread.strip():
        return None
    points = float(spread)
    return points if whos_favored.strip().lower() == "home" else -points


def game_type(row: dict[str, str]) -> str:
    if row.get("playoffs", "").strip().lower() == "true":
        return "POST"
    if row.get("regular", "").strip().lower() == "true":
        return "REG"
    return "OTHER"


def _number(row: dict[str, str], name: str) -> float | None:
    value = (row.get(name) or "").strip()
    return float(value) if value else None


def _row_problem(row: dict[str, str], league: League) -> str | None:
    if problem := row_teams_problem(row, league, REQUIRED, "home", "away"):
        return problem
    try:
        day = date.fromisoformat(row["date"].strip())
    except ValueError:
        return f"bad date {row.get('date')!r}"
    if problem := row_numbers_problem(row, NUMERIC):
        return problem
    season = int(float(row["season"]))
    if league.season_of(day) != season:
        return f"date {day} is not in season {season} (the league calendar puts it in {league.season_of(day)})"
    favored = (row.get("whos_favored") or "").strip().lower()
    spread = _number(row, "spread")
    other_lines = [n for n in ("total", "moneyline_home", "moneyline_away") if _number(row, n)]
    if spread is None and other_lines:
        return f"no spread (the row has {', '.join(other_lines)})"
    if spread is not None:
        if favored not in ("home", "away"):
            return f"whos_favored {row.get('whos_favored')!r} is neither home nor away"
        if spread < 0 or spread > MAX_ABS_SPREAD:
            return f"spread {spread:g} is not a favorite's margin in 0..{MAX_ABS_SPREAD:g}"
    for name in ("moneyline_home", "moneyline_away"):
        price = _number(row, name)
        if price is not None and -100 < price < 100:
            return f"{name} {price:g} is not valid American odds"
    home_ml, away_ml = _number(row, "moneyline_home"), _number(row, "moneyline_away")
    if spread and home_ml is not None and away_ml is not None and home_ml != away_ml:
        ml_favored = "home" if home_ml < away_ml else "away"
        if ml_favored != favored:
            return (
                f"the moneyline favors {ml_favored} ({home_ml:g} / {away_ml:g}) but the spread "
                f"favors {favored} by {spread:g}"
            )
    return None


def games_row(row: dict[str, str], league: League) -> list[str | None]:
    """A usable file row as a row of raw.nflverse_game (COLUMNS order; blanks are None)."""
    home, away = league.team_id(row["home"]), league.team_id(row["away"])
    day = row["date"].strip()
    line = spread_line(row.get("whos_favored") or "", row.get("spread") or "")
    score_home, score_away = (
        (row.get("score_home") or "").strip(),
        (row.get("score_away") or "").strip(),
    )
    values: dict[str, str | None] = {
        "game_id": _game_ref(row, league),
        "season": row["season"].strip(),
        "game_type": game_type(row),
        "gameday": day,
        "away_team": away,
        "home_team": home,
        "away_score": score_away or None,
        "home_score": score_home or None,
        "location": "Home",
        "result": str(int(score_home) - int(score_away)) if score_home and score_away else None,
        "total": str(int(score_home) + int(score_away)) if score_home and score_away else None,
        "overtime": (
            ("1" if int(row.get("ot_home") or 0) + int(row.get("ot_away") or 0) > 0 else "0")
            if score_home
            else None
        ),
        "spread_line": None if line is None else f"{line:g}",
        "total_line": (row.get("total") or "").strip() or None,
        "home_moneyline": (row.get("moneyline_home") or "").strip() or None,
        "away_moneyline": (row.get("moneyline_away") or "").strip() or None,
    }
    return [values.get(c) for c in COLUMNS]


def _game_ref(row: dict[str, str], league: League) -> str | None:
    """The game id a row would have (`<YYYYMMDD>_<AWAY>_<HOME>`), when its teams and date read."""
    home, away = league.team_id(row.get("home")), league.team_id(row.get("away"))
    day = (row.get("date") or "").strip()
    return f"{day.replace('-', '')}_{away}_{home}" if home and away and len(day) == 10 else None


def parse_nba_csv(payload: Payload, league: League) -> ParsedPayload:
    parsed = ParsedPayload(table="raw.nflverse_game", columns=list(COLUMNS))
    reader = csv_reader(
        payload, parsed, [*REQUIRED, "score_home", "score_away"], "an NBA games CSV"
    )
    if reader is None:
        return parsed
    seen: set[str] = set()
    team_days: set[tuple[str, str]] = set()
    for line_no, row, raw_line in csv_rows(reader, parsed, payload.source):
        problem = _row_problem(row, league)
        if problem is None:
            out = games_row(row, league)
            ref = str(out[0])
            day = row["date"].strip()
            home, away = str(out[COLUMNS.index("home_team")]), str(out[COLUMNS.index("away_team")])
            if ref in seen:
                problem = f"duplicate game {ref}"
            elif (home, day) in team_days or (away, day) in team_days:
                problem = f"a team plays twice on {day}"
        else:
            ref = _game_ref(row, league) or f"line {line_no}"
        if problem:
            parsed.quarantined.append(QuarantinedRecord(payload.source, problem, raw_line, ref))
            continue
        seen.add(ref)
        team_days.update({(home, day), (away, day)})
        parsed.rows.append(out)
    return parsed
