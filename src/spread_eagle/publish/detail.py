"""Per-game detail documents (publish.game_detail): what the web layer's game page shows.

Built from the run's own rows while the slate is switched, and written in that same transaction,
so a game's detail always belongs to the slate that is published beside it. The line history
stops at the run's as-of clock: the page shows what the run knew, never a later line.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from spread_eagle.publish.slate import iso_z
from spread_eagle.run import RunContext
from spread_eagle.warehouse import Warehouse

DETAIL_COLUMNS = ["league", "run_date", "game_id", "run_id", "detail_json"]


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def build_game_details(
    wh: Warehouse, ctx: RunContext, games: list[dict[str, Any]]
) -> list[list[Any]]:
    """One publish.game_detail row per published card."""
    league, run_date = ctx.league.league, ctx.run_date
    ids = [g["game_id"] for g in games]
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in wh.query(
        "select game_id, book_id, market_id, side, captured_at, source_id, line, price_american"
        f" from {ctx.league.schema('facts')}.fct__market_snapshot"
        f" where game_id in ({marks}) and captured_at <= ?"
        " order by game_id, book_id, market_id, side, captured_at",
        [*ids, ctx.as_of],
    ):
        history[s["game_id"]].append(
            {
                "book": s["book_id"],
                "source": s["source_id"],
                "market": s["market_id"],
                "side": s["side"],
                "captured_at": iso_z(s["captured_at"]),
                "line": _num(s["line"]),
                "price": None if s["price_american"] is None else int(s["price_american"]),
            }
        )
    contexts = {
        r["game_id"]: r
        for r in wh.query(
            "select game_id, context_json, context_hash, grounding_detail from outputs.game_tldr"
            " where run_id = ?",
            (ctx.run_id,),
        )
    }
    predictions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in wh.query(
        "select game_id, model, model_version, margin_home, total, p_home_win, p_home_cover, p_over,"
        " spread_home, total_line, edge, play, run_id, predicted_at from outputs.game_prediction"
        " where run_id = ? order by game_id, model",
        (ctx.run_id,),
    ):
        game_id = p.pop("game_id")
        p["predicted_at"] = iso_z(p["predicted_at"])
        predictions[game_id].append(p)
    rows = []
    for card in games:
        game_id = card["game_id"]
        tldr = contexts.get(game_id)
        detail = {
            "game_id": game_id,
            "league": league,
            "date": run_date.isoformat(),
            "run_id": ctx.run_id,
            "as_of": iso_z(ctx.as_of),
            "card": card,
            "line_history": history.get(game_id, []),
            "tldr_context": None if tldr is None else json.loads(tldr["context_json"]),
            "tldr_context_hash": None if tldr is None else tldr["context_hash"],
            "grounding": None if tldr is None else tldr["grounding_detail"],
            "predictions": predictions.get(game_id, []),
        }
        rows.append([league, run_date, game_id, ctx.run_id, json.dumps(detail)])
    return rows


def write_game_details(wh: Warehouse, ctx: RunContext, games: list[dict[str, Any]]) -> int:
    """Replace the date's detail documents; call inside the publish transaction."""
    rows = build_game_details(wh, ctx, games)
    wh.execute(
        "delete from publish.game_detail where league = ? and run_date = ?",
        (ctx.league.league, ctx.run_date),
    )
    return wh.insert_rows("publish.game_detail", DETAIL_COLUMNS, rows)
