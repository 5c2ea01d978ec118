"""The offline TL;DR is grounded in its context; a claim not in the context is caught."""

from __future__ import annotations

from datetime import UTC, datetime

from spread_eagle.leagues import load_league
from spread_eagle.summarize.context import build_context, context_hash
from spread_eagle.summarize.grounding import check_grounding
from spread_eagle.summarize.offline import write_tldr

NFL = load_league("nfl")


def _context() -> dict:
    features = {
        "game_id": "2024_12_KC_CAR",
        "home_team_id": "CAR",
        "away_team_id": "KC",
        "kickoff_at": datetime(2024, 11, 24, 18, 0, tzinfo=UTC),
        "is_neutral_site": False,
        "is_divisional": False,
        "is_playoff": False,
        "spread_home_close": 11.0,
        "total_close": 43.0,
        "moneyline_home_close": 500,
        "moneyline_away_close": -700,
        "p_home_vigfree": 0.16,
        "books": 1,
        "home_wins_season": 3,
        "home_losses_season": 7,
        "home_games_last_n": 5,
        "home_points_for_last_n": 20.4,
        "home_points_against_last_n": 27.6,
        "home_ats_cover_rate_last_n": 0.6,
        "home_rest_days": 7,
        "away_wins_season": 9,
        "away_losses_season": 1,
        "away_games_last_n": 5,
        "away_points_for_last_n": 24.2,
        "away_points_against_last_n": 18.0,
        "away_ats_cover_rate_last_n": 0.4,
        "away_rest_days": 7,
    }
    prediction = {
        "model_version": "ratings-1.0.0+nfl.x",
        "margin_home": -8.9,
        "total": 44.1,
        "p_home_win": 0.25,
        "p_home_cover": 0.55,
        "p_over": 0.52,
        "edge": 0.026,
        "play": "CAR +11",
    }
    return build_context(features, prediction, NFL)


def test_offline_tldr_is_grounded_and_deterministic() -> None:
    context = _context()
    text = write_tldr(context)
    assert text == write_tldr(_context())
    assert "KC (9-1) visit CAR (3-7)" in text and "CAR +11" in text and "KC by 8.9" in text
    result = check_grounding(text, context, NFL.teams)
    assert result.grounded, result.detail()
    assert result.claims >= 10
    assert context_hash(context) == context_hash(_context())


def test_invented_numbers_teams_and_wrong_signs_are_caught() -> None:
    context = _context()
    for bad, why in [
        ("KC won 14 straight.", "number 14"),
        ("PHI looms next week.", "team PHI"),
        ("The market has CAR -11.", "handicap CAR -11"),
        ("The model makes it CAR by 8.9.", "CAR by 8.9"),
    ]:
        result = check_grounding(bad, context, NFL.teams)
        assert not result.grounded, bad
        assert why in result.detail()
