"""The replay serves the open/close sheet per date as far as `as_of` has seen it."""

from __future__ import annotations

from datetime import UTC, date, datetime

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
