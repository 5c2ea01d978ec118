"""Fit the NFL model constants on the 1999-2014 seasons and print them as YAML for leagues/nfl.yaml.

    .venv/bin/python scripts/fit_constants.py [--tune]

Key-number weights and the residual spreads are measured on 1999-2014 closing lines; with --tune
the ratings' constants are searched (coordinate descent on spread MAE, scoring 2002-2014 after
three seasons of burn-in). The 2015-2024 seasons the backtest reports are never read.
"""

from __future__ import annotations

import sys

import yaml

from spread_eagle.config import BUNDLED_GAMES_FILE
from spread_eagle.leagues import load_league
from spread_eagle.predict.backtest.history import load_games
from spread_eagle.predict.fit import coordinate_descent, key_weights, ratings_errors, residual_sd

LAST_TRAINING_SEASON = 2014
TUNED = (
    "home_field",
    "home_field_rate",
    "season_regression",
    "season_variance",
    "game_variance",
    "qb_new",
    "qb_prior_variance",
    "qb_season_regression",
    "qb_game_variance",
    "rest_points_per_day",
    "mov_cap",
    "game_noise_variance",
    "points_rate",
    "points_level_rate",
    "points_season_regression",
)


def main() -> None:
    league = load_league("nfl")
    games = [g for g in load_games(BUNDLED_GAMES_FILE, league) if g.season <= LAST_TRAINING_SEASON]
    records = [g.record() for g in games]
    margin_sd, total_sd = residual_sd(records)
    distribution = key_weights(records, margin_sd, total_sd)
    params = dict(league.models["ratings"])
    if "--tune" in sys.argv:

        def score(p: dict) -> float:
            e = ratings_errors(p, distribution, records, 2002)
            return e["spread_mae"] + 0.25 * e["total_mae"]

        params = coordinate_descent(params, TUNED, score)
    errors = ratings_errors(params, distribution, records, 2002)
    params["margin_sd"], params["total_sd"] = (
        round(errors["margin_sd"], 2),
        round(errors["total_sd"], 2),
    )
    print(
        yaml.safe_dump(
            {
                "residual_sd_close": [round(margin_sd, 3), round(total_sd, 3)],
                "training_errors_2002_2014": {k: round(v, 4) for k, v in errors.items()},
                "ratings": params,
                "distribution": distribution,
            },
            sort_keys=False,
        )
    )


if __name__ == "__main__":
    main()
