"""Known answers and guarantees of the models: vig removal, Kelly, key-number cover/push,
line-blind ratings, leakage of both models, deterministic versions."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from spread_eagle.config import BUNDLED_GAMES_FILE
from spread_eagle.leagues import load_league
from spread_eagle.odds import vig_free
from spread_eagle.predict.backtest.history import load_games
from spread_eagle.predict.betting import edge, kelly_fraction, stake
from spread_eagle.predict.distribution import KeyedDistribution
from spread_eagle.predict.engine import distribution_of
from spread_eagle.predict.registry import configured_versions, model_version, parse_models
from tests.predict.guarantees import assert_no_later_result_leaks, assert_ratings_never_read_a_line

NFL = load_league("nfl")


@pytest.fixture(scope="module")
def games():  # type: ignore[no-untyped-def]
    return [g for g in load_games(BUNDLED_GAMES_FILE, NFL) if 2021 <= g.game.season <= 2022]


def test_vig_removal_known_answers() -> None:
    assert vig_free(-110, -110) == pytest.approx((0.5, 0.5))
    home, away = vig_free(-200, 170)
    # implied 2/3 and 100/270; each over their sum
    assert home == pytest.approx((2 / 3) / (2 / 3 + 100 / 270))
    assert home + away == pytest.approx(1.0)


def test_kelly_known_answers() -> None:
    # even money, 55% to win, no push: f = (1 * .55 - .45) / 1 = 0.10
    assert kelly_fraction(0.55, 0.0, 2.0) == pytest.approx(0.10)
    # -110 (b = 10/11), 55%: (b p - q) / b = (0.5 - 0.45) / (10/11) = 0.055
    assert kelly_fraction(0.55, 0.0, 1 + 10 / 11) == pytest.approx(0.055)
    # a push is set aside: 50% win, 10% push, 40% loss at even money -> (0.5 - 0.4) / 0.9
    assert kelly_fraction(0.5, 0.1, 2.0) == pytest.approx(0.1 / 0.9)
    assert kelly_fraction(0.45, 0.0, 2.0) == 0.0
    assert stake(0.60, 0.0, 100, 0.25, 0.02) == 0.02  # quarter Kelly 0.05, capped at 2%
    assert edge(0.55, 0.0, -110) == pytest.approx(0.55 - 110 / 210)


def _pmf(mu: float, sd: float, weights: dict[int, float], k: int) -> float:
    total = sum(
        math.exp(-0.5 * ((j - mu) / sd) ** 2) * weights.get(abs(j), 1.0) for j in range(-80, 81)
    )
    return math.exp(-0.5 * ((k - mu) / sd) ** 2) * weights.get(abs(k), 1.0) / total


@pytest.mark.parametrize("line", [3.0, 3.5, 7.0, 10.0])
def test_cover_and_push_known_answers(line: float) -> None:
    weights = {3: 3.0, 7: 2.0, 10: 1.5}
    dist = KeyedDistribution(sd=13.5, weights=weights)
    mu = -2.5  # home is a 2.5-point underdog by the model; home gets +line
    o = dist.home_cover(mu, line)
    # home covers when margin + line > 0, pushes when margin == -line
    want_win = sum(_pmf(mu, 13.5, weights, k) for k in range(-80, 81) if k + line > 0)
    want_push = _pmf(mu, 13.5, weights, int(-line)) if line == int(line) else 0.0
    assert o.win == pytest.approx(want_win, abs=1e-12)
    assert o.push == pytest.approx(want_push, abs=1e-12)
    assert o.win + o.push + o.loss == pytest.approx(1.0)


def test_nfl_key_numbers_three_and_seven() -> None:
    """Fitted on 1999-2014: about 15% of games by exactly 3 and 9% by 7 around typical lines, and a
    half point across 3 is worth far more than one across 10."""
    dist = distribution_of(NFL)
    by3 = dist.probability(-3.0, 3) + dist.probability(-3.0, -3)
    assert dist.probability(-3.0, -3) > 0.08  # a 3-point favourite wins by exactly 3 often
    assert 0.10 < by3 < 0.20
    half_at_3 = dist.home_cover(0.0, 3.5).win - dist.home_cover(0.0, 3.0).win
    half_at_10 = dist.home_cover(0.0, 10.5).win - dist.home_cover(0.0, 10.0).win
    assert half_at_3 > 2 * half_at_10
    assert dist.home_cover(-3.0, 3.0).push > dist.home_cover(-3.0, 2.0).push * 2


def test_versions_are_deterministic_and_follow_parameters() -> None:
    assert model_version("ratings", NFL) == model_version("ratings", NFL)
    changed = replace(
        NFL, models={**NFL.models, "ratings": {**NFL.models["ratings"], "mov_cap": 20.0}}
    )
    assert model_version("ratings", changed) != model_version("ratings", NFL)
    assert set(configured_versions("ratings, market_blend", NFL)) == {"ratings", "market_blend"}
    assert parse_models("market_blend,ratings,ratings") == ["market_blend", "ratings"]


def test_ratings_never_read_a_line(games) -> None:  # type: ignore[no-untyped-def]
    assert_ratings_never_read_a_line(NFL, games, total_shift=-5)


@pytest.mark.parametrize("model", ["ratings", "market_blend"])
def test_no_result_after_a_date_reaches_its_predictions(games, model: str) -> None:  # type: ignore[no-untyped-def]
    day = sorted({g.game.game_date for g in games if g.game.season == 2022})[8]
    assert_no_later_result_leaks(NFL, games, model, day, score=(60, 0))
