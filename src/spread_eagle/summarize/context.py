"""The retrieval payload for one game: every fact a TL;DR may state, and nothing else."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from spread_eagle.leagues import League


def _side(f: dict[str, Any], side: str) -> dict[str, Any]:
    def num(name: str, digits: int = 1) -> float | None:
        value = f.get(f"{side}_{name}")
        return None if value is None else round(float(value), digits)

    return {
        "team": f[f"{side}_team_id"],
        "wins_season": f.get(f"{side}_wins_season"),
        "losses_season": f.get(f"{side}_losses_season"),
        "games_last_n": f.get(f"{side}_games_last_n"),
        "points_for_last_n": num("points_for_last_n"),
        "points_against_last_n": num("points_against_last_n"),
        "ats_cover_rate_last_n": num("ats_cover_rate_last_n", 2),
        "rest_days": f.get(f"{side}_rest_days"),
    }


def build_context(
    features: dict[str, Any], prediction: dict[str, Any], league: League
) -> dict[str, Any]:
    kickoff = features["kickoff_at"]
    return {
        "game": {
            "game_id": features["game_id"],
            "league": league.league,
            "home_team": features["home_team_id"],
            "away_team": features["away_team_id"],
            "kickoff_at": kickoff.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "kickoff_local": kickoff.astimezone(league.tz).strftime("%a %b %d %I:%M %p %Z"),
            "neutral_site": bool(features["is_neutral_site"]),
            "divisional": bool(features["is_divisional"]),
            "playoff": bool(features["is_playoff"]),
        },
        "market": {
            "spread_home": features.get("spread_home_close"),
            "total": features.get("total_close"),
            "moneyline_home": features.get("moneyline_home_close"),
            "moneyline_away": features.get("moneyline_away_close"),
            "p_home_vigfree": None
            if features.get("p_home_vigfree") is None
            else round(float(features["p_home_vigfree"]), 3),
            "books": features.get("books"),
        },
        "prediction": {
            k: prediction.get(k)
            for k in (
                "model_version",
                "margin_home",
                "total",
                "p_home_win",
                "p_home_cover",
                "p_over",
                "edge",
                "play",
            )
        },
        "form": {"home": _side(features, "home"), "away": _side(features, "away")},
    }


def context_json(context: dict[str, Any]) -> str:
    return json.dumps(context, sort_keys=True, separators=(",", ":"), default=str)


def context_hash(context: dict[str, Any]) -> str:
    return hashlib.sha256(context_json(context).encode()).hexdigest()
