"""The replay serves the open/close sheet per date as far as `as_of` has seen it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from spread_eagle.config import BUNDLED_GAMES_FILE, BUNDLED_LINES_FILE
from spread_eagle.ingest.providers.replay import ReplayProvider
from spread_eagle.leagues import load_league

SUNDAY = date(2024, 9, 22)  # 2024 week 3; NYG @ CLE kicked off 13:00 ET (17:00 UTC)


def _rows(as_of: datetime, day: date = SUNDAY) -> dict[str, dict[str, object]]:
    provider = ReplayProvider(load_league("nfl"), BUNDLED_GAMES_FILE, BUNDLED_LINES_FILE)
    payloads = provider.fetch_lines(day, as_of)
    if not payloads:
        return {}
    parsed = provider.parse(payloads[0])
    assert parsed.quarantined == [] and payloads[0].source == "aussportsbetting"
    return {str(r[0]): dict(zip(parsed.columns, r, strict=True)) for r in parsed.rows}


def test_open_only_before_the_close_then_both_after() -> None:
    assert (
        _rows(datetime(2024, 9, 15, 12, tzinfo=UTC)) == {}
    )  # more than 6 days out: nothing seen yet
    early = _rows(datetime(2024, 9, 20, 12, tzinfo=UTC))["2024_03_NYG_CLE"]
    assert early["home_line_open"] == "-6.5" and early["home_line_close"] is None
    assert early["open_captured_at"] == datetime(2024, 9, 16, 17, 0, tzinfo=UTC)  # kickoff - 6 days
    assert early["close_captured_at"] is None and early["home_score"] is None
    late = _rows(datetime(2024, 9, 23, 10, tzinfo=UTC))
    assert len(late) == 13
    game = late["2024_03_NYG_CLE"]
    assert game["home_team"] == "Cleveland Browns" and game["home_line_close"] == "-6.5"
    assert game["close_captured_at"] == datetime(
        2024, 9, 22, 16, 55, tzinfo=UTC
    )  # kickoff - 5 minutes
    assert (game["home_score"], game["away_score"]) == ("15", "21")
    assert game["home_odds_close"] == "1.33"  # decimal, as the sheet has it


def test_super_bowl_rows_swapped_against_nflverse_are_marked() -> None:
    rows = _rows(datetime(2012, 2, 6, 12, tzinfo=UTC), date(2012, 2, 5))
    game = rows["2011_21_NYG_NE"]
    assert game["is_home_swapped"] == "true" and game["home_team"] == "New York Giants"
    assert (
        game["open_captured_at"] is None and game["home_line_open"] == "3.0"
    )  # pre-2014: one line, a close


def test_opening_lines_are_true_openers_as_the_nflverse_home_handicap() -> None:
    provider = ReplayProvider(load_league("nfl"), BUNDLED_GAMES_FILE, BUNDLED_LINES_FILE)
    games = [
        {
            "game_id": "2020_01_HOU_KC",
            "home_team": "KC",
            "away_team": "HOU",
            "gameday": "2020-09-10",
        },
        {
            "game_id": "2024_03_NYG_CLE",
            "home_team": "CLE",
            "away_team": "NYG",
            "gameday": "2024-09-22",
        },
        # pre-2014: the sheet's one line is a close, not an opener
        {
            "game_id": "2011_21_NYG_NE",
            "home_team": "NE",
            "away_team": "NYG",
            "gameday": "2012-02-05",
        },
        # after the sheet's last row
        {
            "game_id": "2024_12_KC_CAR",
            "home_team": "CAR",
            "away_team": "KC",
            "gameday": "2024-11-24",
        },
    ]
    assert provider.opening_lines(games) == {"2020_01_HOU_KC": -10.0, "2024_03_NYG_CLE": -6.5}


def test_opening_lines_turn_a_swapped_row_to_the_nflverse_home(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "Date,Home Team,Away Team,Home Line Open,Home Line Close\n"
        "2025-02-09,Kansas City Chiefs,Philadelphia Eagles,-1.0,-1.5\n",
        encoding="utf-8",
    )
    provider = ReplayProvider(load_league("nfl"), BUNDLED_GAMES_FILE, sheet)
    game = {
        "game_id": "2024_22_KC_PHI",
        "home_team": "PHI",
        "away_team": "KC",
        "gameday": "2025-02-09",
    }
    assert provider.opening_lines([game]) == {"2024_22_KC_PHI": 1.0}  # KC -1 is PHI +1
