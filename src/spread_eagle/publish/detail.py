"""Per-game detail documents (publish.game_detail): what the web layer's game page shows.

Built from the run's own rows while the slate is switched, and written in that same transaction,
so a game's detail always belongs to the slate that is published beside it. The line history
stops at the run's as-of clock: the page shows what the run knew, never a later line.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from spread_eagle.publish.slate import iso_z
from spread_eagle.run import RunContext
from spread_eagle.warehouse import Warehouse, marks

DETAIL_COLUMNS = ["league", "run_date", "game_id", "run_id", "detail_json"]


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def build_game_details(
    wh: Warehouse, slates: Sequence[tuple[RunContext, list[dict[str, Any]]]]
) -> list[list[Any]]:
    """One publish.game_detail row per published card of each (run, its date's cards), read for
    them all at once (a backfill's chunk; one date otherwise)."""
    ids = [g["game_id"] for _, games in slates for g in games]
    if not ids:
        return []
    runs = [ctx.run_id for ctx, _ in slates]
    clock = {g["game_id"]: ctx.as_of for ctx, games in slates for g in games}
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in wh.query(
        "select game_id, book_id, market_id, side, captured_at, source_id, line, price_american"
        f" from {slates[0][0].league.schema('facts')}.fct__market_snapshot"
        f" where game_id in ({marks(ids)}) and captured_at <= ?"
        " order by game_id, book_id, market_id, side, captured_at",
        [*ids, max(clock.values())],
    ):
        if s["captured_at"] > clock[s["game_id"]]:
            continue  # after this run's clock (a later date's clock read it)
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
        (r["run_id"], r["game_id"]): r
        for r in wh.query(
            "select run_id, game_id, context_json, context_hash, grounding_detail"
            f" from outputs.game_tldr where run_id in ({marks(runs)})",
            runs,
        )
    }
    predictions: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for p in wh.query(
        "select game_id, model, model_version, margin_home, total, p_home_win, p_home_cover, p_over,"
        " spread_home, total_line, edge, play, run_id, predicted_at from outputs.game_prediction"
        f" where run_id in ({marks(runs)}) order by run_id, game_id, model",
        runs,
    ):
        game_id = p.pop("game_id")
        p["predicted_at"] = iso_z(p["predicted_at"])
        predictions[(p["run_id"], game_id)].append(p)
    rows = []
    for ctx, games in slates:
        league, run_date = ctx.league.league, ctx.run_date
        for card in games:
            game_id = card["game_id"]
            tldr = contexts.get((ctx.run_id, game_id))
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
                "predictions": predictions.get((ctx.run_id, game_id), []),
            }
            rows.append([league, run_date, game_id, ctx.run_id, json.dumps(detail)])
    return rows


def write_game_details(wh: Warehouse, league: str, days: list[date], rows: list[list[Any]]) -> int:
    """Replace the dates' detail documents; call inside the publish transaction."""
    wh.execute(
        f"delete from publish.game_detail where league = ? and run_date in ({marks(days)})",
        (league, *days),
    )
    return wh.insert_rows("publish.game_detail", DETAIL_COLUMNS, rows)
