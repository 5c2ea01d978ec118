"""Fit a league's model constants on its training seasons and print them as YAML for its config.

    .venv/bin/python scripts/fit_constants.py [LEAGUE] [--tune]

NFL (default): key-number weights and residual spreads on the 1999-2014 closing lines; with --tune
the ratings' constants are searched (coordinate descent on spread MAE, scoring 2002-2014 after
three seasons of burn-in). NBA: the same on 2008-2014 (scored from 2010), plus the league's own
constants (home edge, margin and total spread, typical total). The 2015-2024 seasons the backtest
reports are never read.
"""

from __future__ import annotations

import sys

import numpy as np
import yaml

from spread_eagle.config import Settings
from spread_eagle.leagues import load_league
from spread_eagle.predict.backtest.history import load_games
from spread_eagle.predict.fit import coordinate_descent, key_weights, ratings_errors, residual_sd

LAST_TRAINING_SEASON = 2014
# league -> (first season scored after burn-in, the totals' key numbers, the totals' range)
LEAGUE_FIT = {
    "nfl": (2002, tuple(range(27, 62)), (0, 140)),
    "nba": (2010, (), (100, 340)),
}
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
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    league = load_league(args[0] if args else "nfl")
    first_scored, total_keys, total_range = LEAGUE_FIT[league.league]
    games_file = Settings().games_file_for(league)
    records = [g for g in load_games(games_file, league) if g.game.season <= LAST_TRAINING_SEASON]
    margin_sd, total_sd = residual_sd(records)
    distribution = key_weights(records, margin_sd, total_sd, total_keys, total_range)
    params = dict(league.models["ratings"])
    tuned = [name for name in TUNED if name in params]
    if "--tune" in sys.argv:

        def score(p: dict) -> float:
            e = ratings_errors(p, distribution, records, first_scored)
            return e["spread_mae"] + 0.25 * e["total_mae"]

        params = coordinate_descent(params, tuned, score)
    errors = ratings_errors(params, distribution, records, first_scored)
    params["margin_sd"], params["total_sd"] = (
        round(errors["margin_sd"], 2),
        round(errors["total_sd"], 2),
    )
    finals = [r for r in records if r.is_final]
    print(
        yaml.safe_dump(
            {
                "league": {
                    "home_field_points": round(
                        float(np.mean([r.margin for r in finals if not r.game.is_neutral_site])), 2
                    ),
                    "margin_sd": round(margin_sd, 2),
                    "total_sd": round(total_sd, 2),
                    "typical_total": round(float(np.mean([r.points for r in finals])), 1),
                },
                "residual_sd_close": [round(margin_sd, 3), round(total_sd, 3)],
                f"training_errors_{first_scored}_{LAST_TRAINING_SEASON}": {
                    k: round(v, 4) for k, v in errors.items()
                },
                "ratings": params,
                "distribution": distribution,
            },
            sort_keys=False,
        )
    )


if __name__ == "__main__":
    main()
