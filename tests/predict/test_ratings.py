"""The ratings model on plain lists: no warehouse needed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from spread_eagle.leagues import load_league
from spread_eagle.predict.probability import normal_cdf
from spread_eagle.predict.ratings import FinishedGame, RatingsModel, model_version

NFL = load_league("nfl")


def _games() -> list[FinishedGame]:
    start = date(2024, 9, 8)
    games = []
    for week in range(8):  # KC beats everyone by 10, CAR loses to everyone by 10
        day = start + timedelta(days=7 * week)
        games.append(
            FinishedGame(day, "KC", f"T{week}", False, 27 + int(NFL.home_field_points), 17)
        )
        games.append(FinishedGame(day, f"U{week}", "CAR", False, 27, 17))
    return games


def _features(**overrides: object) -> dict:
    row = {
        "game_id": "2024_12_KC_CAR",
        "home_team_id": "CAR",
        "away_team_id": "KC",
        "is_neutral_site": False,
        "spread_home_current": 11.0,
        "total_current": 43.0,
    }
    row.update(overrides)
    return row


def test_strong_team_is_rated_above_weak_team() -> None:
    model = RatingsModel(NFL)
    fitted = model.fit(_games(), date(2024, 11, 24))
    assert fitted.margin["KC"] > 3 > -3 > fitted.margin["CAR"]
    [prediction] = model.predict(fitted, [_features(spread_home_current=None, total_current=None)])
    assert prediction.margin_home < -5 and prediction.p_home_win < 0.35
    assert prediction.p_home_cover is None and prediction.play is None


def test_fit_ignores_games_on_or_after_the_date() -> None:
    model = RatingsModel(NFL)
    games = _games()
    later = [FinishedGame(date(2024, 12, 1), "CAR", "KC", False, 60, 0)]
    assert model.fit(games, date(2024, 11, 24)) == model.fit(games + later, date(2024, 11, 24))


def test_probabilities_follow_the_spread_sign_convention() -> None:
    model = RatingsModel(NFL)
    fitted = model.fit(_games(), date(2024, 11, 24))
    [p] = model.predict(fitted, [_features()])
    # home covers when margin_home + spread_home > 0
    assert p.p_home_cover == pytest.approx(
        round(normal_cdf((p.margin_home + 11.0) / NFL.margin_sd), 3)
    )
    assert 0 <= p.p_home_win <= 1 and 0 <= (p.p_over or 0) <= 1
    if p.play:
        assert p.play in {"CAR +11", "KC -11"}
        assert p.edge is not None and p.edge > 0


def test_predictions_are_deterministic() -> None:
    model = RatingsModel(NFL)
    a = model.predict(model.fit(_games(), date(2024, 11, 24)), [_features()])
    b = model.predict(model.fit(list(reversed(_games())), date(2024, 11, 24)), [_features()])
    assert a == b


def test_version_changes_with_the_league_constants() -> None:
    assert model_version(NFL).startswith("ratings-1.0.0+nfl.")
    changed = replace(NFL, home_field_points=NFL.home_field_points + 1)
    assert model_version(changed) != model_version(NFL)
