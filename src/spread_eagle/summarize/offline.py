"""The default TL;DR writer: deterministic sentences from the context payload. No key, no network."""

from __future__ import annotations

from typing import Any

from spread_eagle.odds import format_line

PROVIDER = "offline"


def _record(side: dict[str, Any]) -> str:
    return f"{side['team']} ({side['wins_season']}-{side['losses_season']})"


def write_tldr(context: dict[str, Any]) -> str:
    game, market, pred, form = (
        context["game"],
        context["market"],
        context["prediction"],
        context["form"],
    )
    home, away = form["home"], form["away"]
    verb = "meet" if game["neutral_site"] else "visit"
    opener = (
        f"{_record(away)} and {_record(home)} meet at a neutral site."
        if game["neutral_site"]
        else f"{_record(away)} {verb} {_record(home)}."
    )
    sentences = [opener]
    spread, total = market["spread_home"], market["total"]
    if spread is not None:
        favorite, line = (
            (game["home_team"], spread) if spread <= 0 else (game["away_team"], -spread)
        )
        market_text = f"The market has {favorite} {format_line(line)}"
        market_text += f" with a total of {total:g}." if total is not None else "."
        sentences.append(market_text)
    margin = pred["margin_home"]
    leader, by = (game["home_team"], margin) if margin >= 0 else (game["away_team"], -margin)
    model_text = f"The model makes it {leader} by {by:.1f} with {pred['total']:.1f} points"
    if pred.get("play"):
        cover = (
            pred["p_home_cover"]
            if pred["play"].startswith(game["home_team"])
            else 1 - pred["p_home_cover"]
        )
        model_text += f", a lean to {pred['play']} ({round(cover * 100)}% to cover)."
    else:
        model_text += ", no edge against the spread."
    sentences.append(model_text)
    for side in (away, home):
        if side["games_last_n"]:
            sentences.append(
                f"{side['team']} scored {side['points_for_last_n']:.1f} and allowed "
                f"{side['points_against_last_n']:.1f} a game over its last {side['games_last_n']}."
            )
    return " ".join(sentences)
