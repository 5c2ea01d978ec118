"""The NBA's models: its own constants and versions, a margin distribution learned from its history
(no key numbers, no ties), ratings with no quarterback terms that never read a line, and no result
after a date reaching that date's predictions (as tests/predict/test_models.py for the NFL)."""

from __future__ import annotations

from datetime import date

import pytest

from spread_eagle.config import DATA_DIR
from spread_eagle.leagues import load_league
from spread_eagle.predict.backtest.history import load_games
from spread_eagle.predict.engine import distribution_of
from spread_eagle.predict.ratings import RatingsState
from spread_eagle.predict.registry import model_version
from tests.predict.guarantees import assert_no_later_result_leaks, assert_ratings_never_read_a_line

NBA = load_league("nba")


@pytest.fixture(scope="module")
def games():  # type: ignore[no-untyped-def]
    """From February 2022 to the end of the 2023 season (about 1,900 games): the blend refits at
    each season's first date, on more than its 500 games there."""
    return [
        g
        for g in load_games(DATA_DIR / "nba_games_2008_2024.csv", NBA)
        if g.game.game_date >= date(2022, 2, 1) and g.game.season <= 2023
    ]


def test_own_constants_and_versions() -> None:
    nfl = load_league("nfl")
    for model in ("ratings", "market_blend"):
        assert model_version(model, NBA) != model_version(model, nfl)
        assert "+nba." in model_version(model, NBA)
    assert NBA.models["fitted_through"] == 2014


def test_the_margin_distribution_has_no_key_numbers_and_no_ties() -> None:
    dist = distribution_of(NBA)
    assert dist.probability(-3.0, 0) < 0.001  # a game cannot end tied
    # a half point across 3 is worth about what a half point across 4 is (the NFL's is ~3x)
    at3 = dist.home_cover(0.0, 3.5).win - dist.home_cover(0.0, 3.0).win
    at4 = dist.home_cover(0.0, 4.5).win - dist.home_cover(0.0, 4.0).win
    assert 0.7 < at3 / at4 < 1.3
    assert dist.home_cover(-6.0, 6.0).push == pytest.approx(dist.probability(-6.0, -6), abs=1e-12)


def test_ratings_have_no_quarterback_terms(games) -> None:  # type: ignore[no-untyped-def]
    state = RatingsState(NBA.models["ratings"], NBA.models["distribution"])
    for g in games[:200]:
        state.forecast(g.game)
        state.update(g.game, g.home_score or 0, g.away_score or 0)
    assert not state.has_qb and set(state.qb) == {""} and state.qb[""] == 0.0
    assert not state.last_qb


def test_ratings_never_read_a_line(games) -> None:  # type: ignore[no-untyped-def]
    assert_ratings_never_read_a_line(NBA, games, total_shift=-15)


@pytest.mark.parametrize("model", ["ratings", "market_blend"])
def test_no_result_after_a_date_reaches_its_predictions(games, model: str) -> None:  # type: ignore[no-untyped-def]
    day = sorted({g.game.game_date for g in games})[30]  # in 2022, before the blend's 2023 refit
    assert_no_later_result_leaks(NBA, games, model, day, score=(160, 80))
