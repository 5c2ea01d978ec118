"""RatingsModel.fit accumulates its normal equations game by game; they must be the ridge solution."""

from __future__ import annotations

from datetime import date

import numpy as np

from spread_eagle.config import BUNDLED_GAMES_FILE
from spread_eagle.leagues import load_league
from spread_eagle.predict.backtest import load_games
from spread_eagle.predict.ratings import RatingsModel

NFL = load_league("nfl")


def test_fit_equals_the_dense_weighted_ridge_solution() -> None:
    as_of = date(2024, 11, 24)
    games = [
        g.finished() for g in load_games(BUNDLED_GAMES_FILE, NFL) if g.is_final and g.season >= 2021
    ]
    model = RatingsModel(NFL)
    fitted = model.fit(games, as_of)

    usable = [g for g in games if g.game_date < as_of]
    teams = sorted({g.home_team_id for g in usable} | {g.away_team_id for g in usable})
    col = {team: i for i, team in enumerate(teams)}
    diff, both = np.zeros((len(usable), len(teams))), np.zeros((len(usable), len(teams)))
    for row, g in enumerate(usable):
        diff[row, col[g.home_team_id]], diff[row, col[g.away_team_id]] = 1.0, -1.0
        both[row, col[g.home_team_id]], both[row, col[g.away_team_id]] = 1.0, 1.0
    hfa = np.array([0.0 if g.is_neutral_site else NFL.home_field_points for g in usable])
    margin = np.array([g.home_score - g.away_score for g in usable]) - hfa
    total = np.array([g.home_score + g.away_score for g in usable], dtype=float)
    half_life = float(NFL.ratings["half_life_days"])
    w = np.array([0.5 ** ((as_of - g.game_date).days / half_life) for g in usable])
    ridge = float(NFL.ratings["ridge"]) * np.eye(len(teams))
    mean_total = float(np.average(total, weights=w))
    expected_margin = np.linalg.solve(diff.T @ (w[:, None] * diff) + ridge, diff.T @ (w * margin))
    expected_scoring = np.linalg.solve(
        both.T @ (w[:, None] * both) + ridge, both.T @ (w * (total - mean_total))
    )

    assert fitted.games == len(usable) and fitted.mean_total == mean_total
    assert np.allclose([fitted.margin[t] for t in teams], expected_margin, atol=1e-10)
    assert np.allclose([fitted.scoring[t] for t in teams], expected_scoring, atol=1e-10)
