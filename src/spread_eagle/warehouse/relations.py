"""Named reads of the relations the steps share, so a step reads, computes and writes rows without
building SQL by hand. Each returns plain dict rows in a stable order (determinism). dbt's relations
of a league live in its own schemas (`League.schema`: facts, facts_nba...)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from spread_eagle.leagues import League
from spread_eagle.warehouse.base import Row, Warehouse, grouped, marks


def game_features(wh: Warehouse, league: League, day: date) -> list[Row]:
    """feat__game rows of a league's date, by kickoff then game id."""
    return game_features_on(wh, league, [day]).get(day, [])


def game_features_on(wh: Warehouse, league: League, days: Sequence[date]) -> dict[date, list[Row]]:
    """feat__game rows of a league's dates (a batch's, in one read), each date's by kickoff then
    game id."""
    return grouped(
        wh.query(
            f"select * from {league.schema('features')}.feat__game where league_id = ?"
            f" and game_date in ({marks(days)}) order by game_date, kickoff_at, game_id",
            (league.league, *days),
        ),
        "game_date",
    )


def finished_games(wh: Warehouse, league: League, before: date, seasons: int) -> list[Row]:
    """Final games before a date, from the current season and `seasons` before it."""
    facts = league.schema("facts")
    return wh.query(
        "select game_date, home_team_id, away_team_id, is_neutral_site, home_score, away_score"
        f" from {facts}.fct__game where league_id = ? and status = 'final' and game_date < ?"
        f" and season >= (select coalesce(max(season), 0) from {facts}.fct__game"
        "  where league_id = ? and game_date <= ?) - ?"
        " order by kickoff_at, game_id",
        (league.league, before, league.league, before, seasons),
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


def runs_predictions(wh: Warehouse, run_ids: Sequence[str]) -> dict[str, list[Row]]:
    """The predictions many runs wrote (a batch's, in one read), each run's by game."""
    by_run: dict[str, list[Row]] = {run_id: [] for run_id in run_ids}
    for row in wh.query(
        f"select * from outputs.game_prediction where run_id in ({marks(run_ids)})"
        " order by run_id, game_id, model",
        run_ids,
    ):
        by_run[row["run_id"]].append(row)
    return by_run


def model_history(wh: Warehouse, league: League, before: date) -> list[Row]:
    """Every final game before a date with what the models learn from: teams, venue, rest, the
    score, and the market's closing numbers (for the blend's calibration), oldest first."""
    return wh.query(
        "select g.game_id, g.season, g.game_date, g.home_team_id, g.away_team_id,"
        " g.is_neutral_site, g.home_score, g.away_score, f.home_rest_days, f.away_rest_days,"
        " coalesce(f.spread_home_close, f.spread_home_current) as spread_home,"
        " coalesce(f.total_close, f.total_current) as total_line,"
        " coalesce(f.moneyline_home_close, f.moneyline_home_current) as moneyline_home,"
        " coalesce(f.moneyline_away_close, f.moneyline_away_current) as moneyline_away,"
        " f.spread_home_open as open_spread_home"
        f" from {league.schema('facts')}.fct__game g"
        f" left join {league.schema('features')}.feat__game f on f.game_id = g.game_id"
        " where g.league_id = ? and g.status = 'final' and g.game_date < ?"
        " order by g.game_date, g.game_id",
        (league.league, before),
    )


def best_prices(wh: Warehouse, league: League, day: date) -> list[Row]:
    """The price of the best available spread line of each side, per game of a date."""
    return best_prices_on(wh, league, [day]).get(day, [])


def best_prices_on(wh: Warehouse, league: League, days: Sequence[date]) -> dict[date, list[Row]]:
    """`best_prices` of many dates (a batch's, in one read), each date's by game."""
    return grouped(
        wh.query(
            "select g.game_date, l.game_id, l.spread_home_best_price, l.spread_away_best_price"
            f" from {league.schema('facts')}.fct__game_line l"
            f" join {league.schema('facts')}.fct__game g on g.game_id = l.game_id"
            f" where g.league_id = ? and g.game_date in ({marks(days)})"
            " order by g.game_date, l.game_id",
            (league.league, *days),
        ),
        "game_date",
        drop=True,
    )
