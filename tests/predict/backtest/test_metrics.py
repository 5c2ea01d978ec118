"""Backtest metrics on hand-made in-memory rows, every figure worked by hand."""

from __future__ import annotations

import math
from datetime import date

import pytest

from spread_eagle.odds import vig_free
from spread_eagle.predict.backtest import (
    Forecast,
    HistoricalGame,
    calibration,
    market_metrics,
    model_metrics,
    season_rows,
)
from spread_eagle.predict.ratings import Prediction


def _game(
    game_id: str,
    home: int,
    away: int,
    spread: float | None,
    total: float | None = 44.0,
    ml: tuple[int, int] | None = (-150, 130),
) -> HistoricalGame:
    return HistoricalGame(
        game_id=game_id,
        season=2024,
        game_type="REG",
        game_date=date(2024, 9, 8),
        home_team_id="KC",
        away_team_id="BAL",
        is_neutral_site=False,
        home_score=home,
        away_score=away,
        spread_home=spread,
        total_line=total,
        moneyline_home=None if ml is None else ml[0],
        moneyline_away=None if ml is None else ml[1],
    )


def _prediction(game_id: str, margin: float, p_cover: float, play: str | None) -> Prediction:
    return Prediction(
        game_id=game_id,
        margin_home=margin,
        total=44.0,
        p_home_win=0.6,
        p_home_cover=p_cover,
        p_over=0.5,
        spread_home=-3.0,
        total_line=44.0,
        edge=0.05 if play else -0.01,
        play=play,
    )


def test_market_metrics_by_hand() -> None:
    assert vig_free(-110, -110)[0] == pytest.approx(0.5)
    assert vig_free(-150, 130)[0] == pytest.approx(0.6 / (0.6 + 100 / 230))
    games = [
        _game("a", 27, 20, -3.0),  # favourite wins: miss |7 - 3| = 4, total miss |47 - 44| = 3
        _game("b", 17, 20, -3.0),  # favourite loses: miss 6, total miss 7
        _game("c", 20, 20, -3.0),  # tie: no SU, no Brier
        _game("d", 10, 13, 0.0, ml=None),  # pick'em: no favourite; no moneylines
    ]
    m = market_metrics(games)
    assert m["spread_mae"] == pytest.approx((4 + 6 + 3 + 3) / 4)
    assert m["total_mae"] == pytest.approx((3 + 7 + 4 + 21) / 4)
    p = vig_free(-150, 130)[0]
    assert m["win_brier"] == pytest.approx(((p - 1) ** 2 + p**2) / 2, abs=1e-6)
    assert m["su_accuracy"] == 0.5


def test_ats_and_roi_by_hand() -> None:
    games = [
        _game("w", 27, 20, -3.0),
        _game("l", 21, 20, -3.0),
        _game("p", 23, 20, -3.0),
        _game("n", 30, 0, -3.0),
    ]
    forecasts = []
    for g, p in zip(
        games,
        [
            _prediction("w", 5.0, 0.6, "KC -3"),
            _prediction("l", 5.0, 0.6, "KC -3"),
            _prediction("p", 5.0, 0.6, "KC -3"),
            _prediction("n", 1.0, 0.45, None),
        ],
        strict=True,
    ):
        forecasts.append(Forecast(g, p, p))
    m = model_metrics(forecasts, "test")
    assert m["ats_vs_close"] == {"wins": 1, "losses": 1, "pushes": 1, "pct": 0.5}
    assert m["roi_at_minus110"] == pytest.approx((100 / 110 - 1) / 3, abs=1e-6)
    assert m["su_accuracy"] == 1.0 and m["clv_mean_points"] == 0.0


def _forecast(
    home: int,
    away: int,
    close: float,
    total: float,
    opener: float | None,
    at_close: tuple[float, float, float, float, str | None],
    at_open: tuple[float, str | None],
) -> Forecast:
    """at_close: (margin, total, p_home_win, p_home_cover, play); at_open: (p_home_cover, play)."""
    game = HistoricalGame(
        game_id=f"g{home}-{away}",
        season=2023,
        game_type="REG",
        game_date=date(2023, 10, 1),
        home_team_id="KC",
        away_team_id="BAL",
        is_neutral_site=False,
        home_score=home,
        away_score=away,
        spread_home=close,
        total_line=total,
        moneyline_home=-150,
        moneyline_away=130,
        open_spread_home=opener,
    )
    margin, points, p_win, p_cover, play = at_close
    prediction = Prediction(
        game.game_id, margin, points, p_win, p_cover, 0.5, close, total, 0.05, play
    )
    p_open, play_open = at_open
    opened = Prediction(
        game.game_id, margin, points, p_win, p_open, 0.5, opener, total, 0.05, play_open
    )
    return Forecast(game, prediction, opened)


# A: home wins 24-17 at -3 (covers by 4); the model leaned home at the close and at the -2.5 open.
# B: home loses 20-23 at -1; the model leaned home at the close, away (+2) at the -2 open.
# C: a 21-21 tie at -3, no play either way, no opener (the close stands in).
ROWS = [
    _forecast(24, 17, -3.0, 44.0, -2.5, (5.0, 45.0, 0.7, 0.6, "KC -3"), (0.58, "KC -2.5")),
    _forecast(20, 23, -1.0, 42.0, -2.0, (2.0, 40.0, 0.6, 0.55, "KC -1"), (0.45, "BAL +2")),
    _forecast(21, 21, -3.0, 45.0, None, (3.0, 46.0, 0.65, 0.5, None), (0.5, None)),
]


def test_model_errors_and_probability_scores_by_hand() -> None:
    m = model_metrics(ROWS, "v1")
    assert m["model_version"] == "v1"
    assert m["spread_mae"] == pytest.approx((2 + 5 + 3) / 3, abs=1e-6)  # |7-5|, |-3-2|, |0-3|
    assert m["total_mae"] == pytest.approx((4 + 3 + 4) / 3, abs=1e-6)  # |41-45|, |43-40|, |42-46|
    # decided games only (the tie is out): A won at p 0.7, B lost at p 0.6
    assert m["win_brier"] == pytest.approx((0.3**2 + 0.6**2) / 2, abs=1e-6)
    assert m["win_logloss"] == pytest.approx(-(math.log(0.7) + math.log(0.4)) / 2, abs=1e-6)
    assert m["su_accuracy"] == 0.5  # A right, B wrong
    # A covered (p 0.6), B and C did not (p 0.55, 0.5): no pushes to leave out
    assert m["cover_brier"] == pytest.approx((0.4**2 + 0.55**2 + 0.5**2) / 3, abs=1e-6)
    # one game in the 0.7 bin (won: |0.7 - 1|), one in the 0.6 bin (lost: |0.6 - 0|)
    assert m["calibration_ece"] == pytest.approx(0.5 * 0.3 + 0.5 * 0.6, abs=1e-6)


def test_ats_roi_and_clv_by_hand() -> None:
    m = model_metrics(ROWS, "v1")
    assert m["ats_vs_close"] == {"wins": 1, "losses": 1, "pushes": 0, "pct": 0.5}
    assert m["roi_at_minus110"] == pytest.approx((100 / 110 - 1) / 2, abs=1e-6)
    # at the open: A home -2.5 wins by 4.5, B away +2 wins by 5
    assert m["ats_vs_open"] == {"wins": 2, "losses": 0, "pushes": 0, "pct": 1.0}
    # A: home bet at -2.5 closed -3 (+0.5); B: away bet at home -2 closed -1 (+1.0)
    assert m["clv_mean_points"] == pytest.approx(0.75, abs=1e-6)
    assert m["open_lines"] == 2


def test_market_by_hand_on_the_same_rows() -> None:
    m = market_metrics([f.game for f in ROWS])
    assert m["spread_mae"] == pytest.approx((4 + 4 + 3) / 3, abs=1e-6)  # |7-3|, |-3-1|, |0-3|
    assert m["total_mae"] == pytest.approx((3 + 1 + 3) / 3, abs=1e-6)  # |41-44|, |43-42|, |42-45|
    p = 0.6 / (0.6 + 100 / 230)  # -150 / +130 without the vig
    assert m["win_brier"] == pytest.approx(((1 - p) ** 2 + p**2) / 2, abs=1e-6)
    assert m["win_logloss"] == pytest.approx(-(math.log(p) + math.log(1 - p)) / 2, abs=1e-6)
    assert m["su_accuracy"] == 0.5


def test_calibration_bins_and_season_rows() -> None:
    assert calibration([(0.7, 1.0), (0.6, 0.0), (0.65, 1.0), (1.0, 1.0)]) == [
        {"low": 0.6, "high": 0.7, "games": 2, "mean_p": pytest.approx(0.625), "win_rate": 0.5},
        {"low": 0.7, "high": 0.8, "games": 1, "mean_p": 0.7, "win_rate": 1.0},
        {"low": 0.9, "high": 1.0, "games": 1, "mean_p": 1.0, "win_rate": 1.0},  # 1.0: top bin
    ]
    [row] = season_rows(ROWS)
    assert (row["season"], row["games"]) == (2023, 3)
    assert row["market_spread_mae"] == pytest.approx(11 / 3)
    assert row["model_spread_mae"] == pytest.approx(10 / 3)
    assert row["ats"] == {"wins": 1, "losses": 1, "pushes": 0, "pct": 0.5}


def test_nothing_to_measure() -> None:
    assert set(market_metrics([]).values()) == {None}
    m = model_metrics([], "v1")
    assert m["spread_mae"] is None and m["calibration_ece"] == 0.0
    assert m["ats_vs_close"] == {"wins": 0, "losses": 0, "pushes": 0, "pct": 0.0}
    assert (m["roi_at_minus110"], m["clv_mean_points"], m["open_lines"]) == (0.0, 0.0, 0)
