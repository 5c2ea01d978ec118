"""The published slate document (DESIGN.md contract): what `slate --json`, the API and the UI serve."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from spread_eagle.warehouse import Warehouse

# Fields that differ between two runs of the same inputs; excluded from the content hash.
VOLATILE = frozenset({"run_id", "published_at", "captured_at_run", "generated_at"})


class SlateNotFoundError(LookupError):
    pass


def iso_z(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _headline(predictions: list[dict[str, Any]], model: str) -> dict[str, Any] | None:
    """The slate's headline play: the headline model's ("no play" when its rule has not earned
    one)."""
    for p in predictions:
        if p["model_name"] == model:
            return {"model": model, "play": p["play"] or "no play"}
    return None


def build_card(
    card: dict[str, Any], predictions: list[dict[str, Any]], headline: str
) -> dict[str, Any]:
    """One game of the slate from a ui__game_card row and its ui__game_prediction rows;
    `headline` is the configured headline model (`Settings.headline_model`), whose play heads it
    and whose numbers the TL;DR quotes."""
    result = None
    if card["status"] == "final" and card["home_score"] is not None:
        result = {
            "home_score": int(card["home_score"]),
            "away_score": int(card["away_score"]),
            "home_covered": card["home_covered"],
        }
    return {
        "game_id": card["game_id"],
        "kickoff_at": iso_z(card["kickoff_at"]),
        "home_team": card["home_team_id"],
        "away_team": card["away_team_id"],
        "status": card["status"],
        "neutral_site": bool(card["is_neutral_site"]),
        "market": {
            "spread_home": _num(card["spread_home"]),
            "total": _num(card["total"]),
            "moneyline_home": _int(card["moneyline_home"]),
            "moneyline_away": _int(card["moneyline_away"]),
            "open_spread_home": _num(card["open_spread_home"]),
            "open_total": _num(card["open_total"]),
            "books": int(card["books"] or 0),
            "captured_at": iso_z(card["captured_at"]),
        },
        "predictions": [
            {
                "model": p["model_name"],
                "model_version": p["model_version"],
                "margin_home": _num(p["margin_home"]),
                "total": _num(p["total_points"]),
                "p_home_win": _num(p["p_home_win"]),
                "p_home_cover": _num(p["p_home_cover"]),
                "p_over": _num(p["p_over"]),
                "edge": _num(p["edge"]),
                "play": p["play"],
                # Added by issue 9: the bet behind `play` and the record of the rule that allows it.
                "p_push": _num(p.get("p_push")),
                "side": p.get("side"),
                "price": _int(p.get("price_american")),
                "fair_odds": _int(p.get("fair_american")),
                "stake": _num(p.get("stake")),
                "rule": json.loads(p["rule_json"]) if p.get("rule_json") else None,
            }
            for p in sorted(predictions, key=lambda p: p["model_name"])
        ],
        "headline_play": _headline(predictions, headline),
        "tldr": {
            "text": card["tldr_text"],
            "provider": card["llm_provider"],
            "model": card["llm_model"],
            "grounded": bool(card["is_grounded"]),
        },
        "result": result,
    }


def strip_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [strip_volatile(v) for v in value]
    return value


def document_hash(document: dict[str, Any]) -> str:
    canonical = json.dumps(strip_volatile(document), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def read_slate(wh: Warehouse, league: str, run_date: date) -> dict[str, Any]:
    """The published slate of a date, exactly as the UI and API serve it."""
    header = wh.query(
        "select run_id, published_at, games from publish.slate where league = ? and run_date = ?",
        (league, run_date),
    )
    if not header:
        raise SlateNotFoundError(
            f"no slate is published for {league} {run_date}; run `spread-eagle run-daily --date {run_date}` first"
        )
    cards = wh.query(
        "select card_json from publish.slate_game where league = ? and run_date = ? order by ordinal",
        (league, run_date),
    )
    return {
        "date": run_date.isoformat(),
        "league": league,
        "run_id": header[0]["run_id"],
        "published_at": iso_z(header[0]["published_at"]),
        "games": [json.loads(c["card_json"]) for c in cards],
    }


def published_dates(
    wh: Warehouse, league: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    where = "where league = ?" if league else ""
    return wh.query(
        f"select league, run_date, run_id, games, published_at from publish.slate {where}"
        f" order by run_date desc limit {int(limit)}",
        (league,) if league else (),
    )
