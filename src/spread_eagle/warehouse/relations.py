"""Named reads of the relations the steps share, so a step reads, computes and writes rows without
building SQL by hand. Each returns plain dict rows in a stable order (determinism)."""

from __future__ import annotations

from datetime import date

from spread_eagle.warehouse.base import Row, Warehouse


def game_features(wh: Warehouse, league: str, day: date) -> list[Row]:
    """feat__game rows of a league's date, by kickoff then game id."""
    return wh.query(
        "select * from features.feat__game where league_id = ? and game_date = ?"
        " order by kickoff_at, game_id",
        (league, day),
    )


def finished_games(wh: Warehouse, league: str, before: date, seasons: int) -> list[Row]:
    """Final games before a date, from the current season and `seasons` before it."""
    return wh.query(
        "select game_date, home_team_id, away_team_id, is_neutral_site, home_score, away_score"
        " from facts.fct__game where league_id = ? and status = 'final' and game_date < ?"
        " and season >= (select coalesce(max(season), 0) from facts.fct__game"
        "  where league_id = ? and game_date <= ?) - ?"
        " order by kickoff_at, game_id",
        (league, before, league, before, seasons),
    )


def run_predictions(wh: Warehouse, run_id: str, model: str | None = None) -> list[Row]:
    """The predictions a run wrote (of one model, or all), by game."""
    where, params = ("run_id = ?", [run_id])
    if model is not None:
        where += " and model = ?"
        params.append(model)
    return wh.query(
        f"select * from outputs.game_prediction where {where} order by game_id, model", params
    )
