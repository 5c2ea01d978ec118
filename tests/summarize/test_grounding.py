"""The grounding gate: a TL;DR states only its payload's values of what it names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spread_eagle.leagues import load_league
from spread_eagle.summarize.grounding import MAX_WORDS, check_grounding

NFL = load_league("nfl")
PAYLOAD = json.loads((Path(__file__).parent / "fixtures/payload.dal_was.json").read_text())


@pytest.mark.parametrize(
    "text",
    [
        "DAL (2-3) visit WAS (5-2).",
        "WAS are 11-point favorites with a total of 45.",
        "The market has WAS -11 and DAL +11; the line opened at WAS -10.5.",
        "Books make WAS -11, total 45. The model projects WAS by 8.6, total 44.1.",
        "It likes DAL +11 at 54% to cover.",
        "The model gives WAS a 74% chance to win and DAL a 0.54 chance to cover.",
        "DAL stand 1-3-1 ATS this season.",
        "WAS scored 23.4 and allowed 21.8 a game over its last 5.",
        "The Commanders host the Cowboys at Northwest Stadium, 51 degrees with 7 mph wind.",
        "WAS come off 10 days of rest.",
        "DAL are 11½-point underdogs at the best price.",
        "DAL won the last meeting 38-10.",
    ],
)
def test_supported_claims_pass(text: str) -> None:
    result = check_grounding(text, PAYLOAD, NFL)
    assert result.grounded, result.detail()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("DAL are 45 point favorites.", "number 45 is not the payload's spread for DAL"),
        ("WAS will win 100% guaranteed.", "forbidden claim 'guaranteed'"),
        ("WAS will win 100% guaranteed.", "number 100% is not the payload's p_win for WAS"),
        ("Mahomes is out injured.", "name Mahomes is not in this game's payload"),
        ("Mahomes is out injured.", "injury news 'injured'"),
        ("WAS are 3.5-point favorites.", "spread for WAS"),
        ("DAL are 11-point favorites.", "spread for DAL"),
        ("The model makes it DAL by 8.6.", "margin for DAL"),
        ("WAS have 45 wins.", "number 45: cannot tell"),
        ("KC lurk. The Eagles are next.", "team KC is not in this game"),
        ("KC lurk. The Eagles are next.", "team Eagles is not in this game"),
        ("WAS are a lock, a sure thing.", "forbidden claim 'lock'"),
        ("WAS scored 30.1 a game over its last 5.", "number 30.1"),
        ("WAS (6-1) host DAL.", "number 6-1"),
        ("", "empty"),
        ("WAS " * (MAX_WORDS + 1), f"more than {MAX_WORDS}"),
    ],
)
def test_unsupported_claims_are_rejected_with_the_reason(text: str, why: str) -> None:
    result = check_grounding(text, PAYLOAD, NFL)
    assert not result.grounded, text
    assert why in result.detail(), result.detail()
