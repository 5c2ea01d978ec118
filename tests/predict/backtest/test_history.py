"""The backtest's history: games from the bundled nflverse file, lines in our sign convention."""

from __future__ import annotations

from spread_eagle.config import BUNDLED_GAMES_FILE, BUNDLED_LINES_FILE
from spread_eagle.leagues import load_league
from spread_eagle.predict.backtest import load_games, with_opener, with_result

NFL = load_league("nfl")


def test_opening_spread_comes_from_the_sheet_with_our_sign() -> None:
    games = {g.game.game_id: g for g in load_games(BUNDLED_GAMES_FILE, NFL, BUNDLED_LINES_FILE)}
    assert games["2020_01_HOU_KC"].open_spread_home == -10.0  # KC opened -10, closed -9.5
    assert games["2020_01_HOU_KC"].spread_home == -9.5
    assert games["2023_01_DET_KC"].open_spread_home == -6.5
    assert games["2024_12_KC_CAR"].open_spread_home is None  # after the sheet's last row
    assert (
        games["2010_01_MIN_NO"].open_spread_home is None
    )  # before 2014 the sheet has no true opener
    assert (
        with_opener(games["2024_12_KC_CAR"]).open_spread_home == 11.0
    )  # ... so the close stands in


def test_spread_sign_is_converted_from_nflverse() -> None:
    games = {g.game.game_id: g for g in load_games(BUNDLED_GAMES_FILE, NFL)}
    assert games["2024_12_KC_CAR"].spread_home == 11.0  # CAR an 11-point home underdog
    assert games["2020_01_HOU_KC"].spread_home == -9.5  # KC -9.5 at home
    assert games["2024_22_KC_PHI"].spread_home == 1.5  # PHI designated home, KC favored by 1.5
    assert games["2024_22_KC_PHI"].game.is_neutral_site
    assert not games["2024_12_KC_CAR"].game.is_neutral_site


def test_with_result_changes_one_game_only() -> None:
    games = load_games(BUNDLED_GAMES_FILE, NFL)
    changed = with_result(games, "2019_10_DET_CHI", 60, 0)
    assert [
        (g.home_score, g.away_score) for g in changed if g.game.game_id == "2019_10_DET_CHI"
    ] == [(60, 0)]
    assert sum(a != b for a, b in zip(games, changed, strict=True)) == 1
