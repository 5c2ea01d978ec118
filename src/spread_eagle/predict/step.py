"""The predict step: fit the configured model on history before the date, predict every game."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from spread_eagle.pipeline.context import RunContext, StepOutcome
from spread_eagle.predict.ratings import FinishedGame, RatingsModel

log = logging.getLogger(__name__)

MODELS = {"ratings": RatingsModel}


class PredictError(RuntimeError):
    pass


def build_model(ctx: RunContext) -> RatingsModel:
    try:
        return MODELS[ctx.settings.model_name](ctx.league)
    except KeyError:
        raise PredictError(
            f"unknown model {ctx.settings.model_name!r}; known: {', '.join(MODELS)}"
        ) from None


def load_history(ctx: RunContext, seasons: int) -> list[FinishedGame]:
    rows = ctx.warehouse.query(
        "select game_date, home_team_id, away_team_id, is_neutral_site, home_score, away_score"
        " from facts.fct__game where league_id = ? and status = 'final' and game_date < ?"
        " and season >= (select coalesce(max(season), 0) from facts.fct__game where game_date <= ?) - ?"
        " order by kickoff_at, game_id",
        (ctx.league.league, ctx.run_date, ctx.run_date, seasons),
    )
    return [FinishedGame(**r) for r in rows]


def slate_features(ctx: RunContext) -> list[dict]:
    return ctx.warehouse.query(
        "select * from features.feat__game where league_id = ? and game_date = ? order by kickoff_at, game_id",
        (ctx.league.league, ctx.run_date),
    )


def predict(ctx: RunContext) -> StepOutcome:
    model = build_model(ctx)
    features = slate_features(ctx)
    history = load_history(ctx, int(model.params["seasons_of_history"]))
    fitted = model.fit(history, ctx.run_date)
    predictions = model.predict(fitted, features)
    wh = ctx.warehouse
    now = datetime.now(UTC)
    with wh.transaction():
        wh.execute(
            "delete from outputs.game_prediction where league = ? and run_date = ? and model = ?",
            (ctx.league.league, ctx.run_date, model.name),
        )
        wh.insert_rows(
            "outputs.game_prediction",
            [
                "run_id",
                "league",
                "run_date",
                "game_id",
                "model",
                "model_version",
                "margin_home",
                "total",
                "p_home_win",
                "p_home_cover",
                "p_over",
                "spread_home",
                "total_line",
                "edge",
                "play",
                "predicted_at",
            ],
            [
                [
                    ctx.run_id,
                    ctx.league.league,
                    ctx.run_date,
                    p.game_id,
                    model.name,
                    model.version,
                    p.margin_home,
                    p.total,
                    p.p_home_win,
                    p.p_home_cover,
                    p.p_over,
                    p.spread_home,
                    p.total_line,
                    p.edge,
                    p.play,
                    now,
                ]
                for p in predictions
            ],
        )
    log.info(
        "%s predicted %d games (fitted on %d games)", model.version, len(predictions), fitted.games
    )
    return StepOutcome(
        counts={"predictions": len(predictions), "history_games": fitted.games},
        model_version=model.version,
    )
