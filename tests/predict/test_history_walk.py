"""One walk over history for a batch of dates gives each date the forecasts of a walk from scratch,
and a date's forecasts never change the state the next date starts from (`Engine.fork`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from spread_eagle.config import BUNDLED_GAMES_FILE
from spread_eagle.leagues import load_league
from spread_eagle.predict.backtest.history import load_games
from spread_eagle.predict.engine import Engine, Forecast, GameRecord
from spread_eagle.predict.step import HistoryWalk

NFL = load_league("nfl")
# The 2022 playoffs, the 2023 opener and its first Sunday: a season starts between the dates.
DATES = [
    date(2023, 1, 22),
    date(2023, 1, 29),
    date(2023, 2, 12),
    date(2023, 9, 7),
    date(2023, 9, 10),
]
LISTED = "00-listed-never-started"  # a starter named before kickoff who did not start


@pytest.fixture(scope="module")
def records() -> list[GameRecord]:
    games = load_games(BUNDLED_GAMES_FILE, NFL)
    return [g for g in games if 2021 <= g.game.season <= 2023 and g.is_final]


def _today(records: list[GameRecord], day: date) -> list[GameRecord]:
    """The date's games as predict sees them: no score; the first names a starter never seen."""
    games = [
        replace(r, home_score=None, away_score=None) for r in records if r.game.game_date == day
    ]
    games[0] = replace(games[0], game=replace(games[0].game, home_qb_id=LISTED))
    return games


def _from_scratch(records: list[GameRecord], day: date) -> list[Forecast]:
    history = [r for r in records if r.game.game_date < day]
    return Engine(NFL).walk([*history, *_today(records, day)], keep=lambda r: not r.is_final)


def _state(engine: Engine) -> dict[str, Any]:
    r = engine.ratings
    return {
        "ratings": (r.team, r.team_var, r.qb, r.qb_var, r.last_qb, r.offence, r.defence),
        "scalars": (r.home_field, r.points, r.season, engine.season),
        "rows": list(engine.rows),
        "calibration": engine.blend.calibration,
        "rules": {name: rule.snapshot() for name, rule in engine.rules.items()},
    }


def test_one_walk_gives_each_date_the_forecasts_of_a_walk_from_scratch(
    records: list[GameRecord],
) -> None:
    walk = HistoryWalk(NFL, [r for r in records if r.game.game_date < DATES[-1]], DATES[-1])
    for day in DATES:
        forecasts, walked = walk.forecast(day, _today(records, day))
        assert forecasts == _from_scratch(records, day), day
        assert walked == sum(1 for r in records if r.game.game_date < day)


def test_forecasting_a_date_leaves_the_walked_state_as_it_was(records: list[GameRecord]) -> None:
    """Without the fork, forecasting the 2023 opener would start the season (regressing every
    rating) and register the listed starter in the state the next date is walked from."""
    walk = HistoryWalk(NFL, [r for r in records if r.game.game_date < DATES[-1]], DATES[-1])
    for day in DATES:
        walk.forecast(day, _today(records, day))
        plain = Engine(NFL)
        plain.walk([r for r in records if r.game.game_date < day])
        assert _state(walk._engine) == _state(plain), day


def test_dates_go_oldest_first_up_to_the_last(records: list[GameRecord]) -> None:
    walk = HistoryWalk(NFL, records, DATES[2])
    walk.forecast(DATES[1], _today(records, DATES[1]))
    with pytest.raises(ValueError, match="oldest first"):
        walk.forecast(DATES[0], _today(records, DATES[0]))
    with pytest.raises(ValueError, match="oldest first"):
        walk.forecast(DATES[3], _today(records, DATES[3]))
