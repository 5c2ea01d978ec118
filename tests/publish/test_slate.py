"""The slate document from in-memory rows: the DESIGN contract's shapes, the result once final,
the headline play, and a content hash that ignores what differs between two runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from spread_eagle.config import Settings
from spread_eagle.publish.slate import build_card, document_hash, strip_volatile

HEADLINE = Settings(_env_file=None).headline_model  # type: ignore[call-arg]  # the default's

CARD: dict[str, Any] = {
    "game_id": "2024_12_KC_CAR",
    "kickoff_at": datetime(2024, 11, 24, 18, 0, tzinfo=UTC),
    "home_team_id": "CAR",
    "away_team_id": "KC",
    "status": "final",
    "is_neutral_site": False,
    "spread_home": 11,
    "total": 43,
    "moneyline_home": 500.0,
    "moneyline_away": -700.0,
    "open_spread_home": 10.5,
    "open_total": None,
    "books": 1,
    "captured_at": datetime(2024, 11, 24, 17, 55, tzinfo=UTC),
    "home_score": 27,
    "away_score": 30,
    "home_covered": True,
    "tldr_text": "KC visit CAR.",
    "llm_provider": "offline",
    "llm_model": None,
    "is_grounded": True,
}


def _prediction(model: str, play: str | None) -> dict[str, Any]:
    return {
        "model_name": model,
        "model_version": f"{model}-1",
        "margin_home": -8.9,
        "total_points": 44.1,
        "p_home_win": 0.24,
        "p_home_cover": 0.55,
        "p_over": 0.52,
        "edge": 0.03,
        "play": play,
    }


def test_a_final_game_in_the_contract_shape() -> None:
    predictions = [_prediction("ratings", "CAR +11"), _prediction("market_blend", None)]
    card = build_card(CARD, predictions, HEADLINE)
    assert card["kickoff_at"] == "2024-11-24T18:00:00Z" and card["status"] == "final"
    assert card["market"]["spread_home"] == 11.0 and isinstance(
        card["market"]["spread_home"], float
    )
    assert card["market"]["moneyline_home"] == 500 and isinstance(
        card["market"]["moneyline_home"], int
    )
    assert card["result"] == {"home_score": 27, "away_score": 30, "home_covered": True}
    assert [p["model"] for p in card["predictions"]] == ["market_blend", "ratings"]  # stable order
    assert card["headline_play"] == {"model": "market_blend", "play": "no play"}
    assert card["tldr"] == {
        "text": "KC visit CAR.",
        "provider": "offline",
        "model": None,
        "grounded": True,
    }


def test_the_headline_play_is_the_configured_headline_models() -> None:
    predictions = [_prediction("ratings", "CAR +11"), _prediction("market_blend", None)]
    card = build_card(CARD, predictions, headline="ratings")
    assert card["headline_play"] == {"model": "ratings", "play": "CAR +11"}
    assert build_card(CARD, predictions[:1], HEADLINE)["headline_play"] is None


def test_no_result_before_the_game_is_final() -> None:
    card = build_card({**CARD, "status": "scheduled", "home_score": None}, [], HEADLINE)
    assert card["result"] is None and card["predictions"] == [] and card["headline_play"] is None


def test_a_push_has_no_cover() -> None:
    pushed = build_card(
        {**CARD, "home_score": 19, "away_score": 30, "home_covered": None}, [], HEADLINE
    )
    assert pushed["result"] == {"home_score": 19, "away_score": 30, "home_covered": None}


def test_the_document_hash_ignores_run_id_and_publication_time() -> None:
    game = build_card(CARD, [_prediction("ratings", "CAR +11")], HEADLINE)
    first = {"date": "2024-11-24", "run_id": "a", "published_at": "x", "games": [game]}
    second = {"date": "2024-11-24", "run_id": "b", "published_at": "y", "games": [game]}
    assert document_hash(first) == document_hash(second)
    assert strip_volatile(first) == {"date": "2024-11-24", "games": [game]}
    changed = {**second, "games": [{**game, "status": "scheduled"}]}
    assert document_hash(changed) != document_hash(first)
