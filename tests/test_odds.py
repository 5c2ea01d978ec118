"""Odds conventions, pinned with answers worked by hand."""

from __future__ import annotations

import pytest

from spread_eagle.odds import (
    BREAK_EVEN_AT_MINUS_110,
    WIN_AT_MINUS_110,
    american_to_decimal,
    decimal_to_american,
    format_line,
    implied_probability,
    vig_free,
)


def test_implied_probability_keeps_the_vig() -> None:
    assert implied_probability(-110) == pytest.approx(110 / 210)
    assert implied_probability(+500) == pytest.approx(100 / 600)
    assert implied_probability(-700) == pytest.approx(700 / 800)
    assert implied_probability(100) == implied_probability(-100) == 0.5


def test_vig_free_pairs_sum_to_one() -> None:
    assert vig_free(-110, -110) == pytest.approx((0.5, 0.5))
    # 2024_12_KC_CAR closed CAR +500 / KC -700: 1/6 and 7/8 carry a 4.2% overround.
    car, kc = vig_free(500, -700)
    assert car == pytest.approx((1 / 6) / (1 / 6 + 7 / 8))  # 0.16
    assert kc == pytest.approx((7 / 8) / (1 / 6 + 7 / 8))  # 0.84
    assert car + kc == pytest.approx(1.0)
    assert vig_free(-150, 130)[0] == pytest.approx(0.6 / (0.6 + 100 / 230))


def test_american_and_decimal() -> None:
    assert american_to_decimal(-110) == pytest.approx(1 + 100 / 110)
    assert american_to_decimal(150) == pytest.approx(2.5)
    assert american_to_decimal(100) == american_to_decimal(-100) == 2.0
    assert decimal_to_american(1.91) == -110
    assert decimal_to_american(2.5) == 150
    assert decimal_to_american(2.0) == 100
    assert decimal_to_american(1.33) == -303
    for price in (-700, -110, 120, 500):
        assert decimal_to_american(american_to_decimal(price)) == price


def test_decimal_to_american_agrees_with_staging() -> None:
    # the prices stg__aussportsbetting__line's unit test converts in SQL (2024_03_WAS_CIN, 2011_21_NYG_NE)
    sheet = {1.31: -323, 1.28: -357, 3.80: 280, 1.95: -105, 1.87: -115, 1.71: -141, 2.20: 120}
    assert {d: decimal_to_american(d) for d in sheet} == sheet


def test_invalid_prices_are_refused() -> None:
    with pytest.raises(ValueError, match="not American odds"):
        implied_probability(50)
    with pytest.raises(ValueError, match="not American odds"):
        american_to_decimal(0)
    with pytest.raises(ValueError, match="not decimal odds"):
        decimal_to_american(1.0)


def test_minus_110_arithmetic() -> None:
    assert round(BREAK_EVEN_AT_MINUS_110, 4) == 0.5238
    # at the break-even rate a -110 bettor's wins pay exactly for the losses
    p = BREAK_EVEN_AT_MINUS_110
    assert p * WIN_AT_MINUS_110 - (1 - p) == pytest.approx(0.0)


def test_format_line() -> None:
    assert [format_line(v) for v in (11.0, -3.5, 0.0, 1.5)] == ["+11", "-3.5", "pk", "+1.5"]
