"""The predict step: fit the configured model on history before the date, predict every game, and
write the predictions under the run's own id (they become the date's only when the run validates)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from spread_eagle.predict.ratings import FinishedGame
from spread_eagle.predict.registry import build_model
from spread_eagle.run import RunContext, StepOutcome
from spread_eagle.warehouse.relations import finished_games, game_features

log = logging.getLogger(__name__)


def predict(ctx: RunContext) -> StepOutcome:
    wh, league = ctx.warehouse, ctx.league.league
    model = build_model(ctx.settings.model_name, ctx.league)
    features = game_features(wh, league, ctx.run_date)
    history = [
        FinishedGame(**r)
        for r in finished_games(wh, league, ctx.run_date, int(model.params["seasons_of_history"]))
    ]
    fitted = model.fit(history, ctx.run_date)
    predictions = model.predict(fitted, features)
    now = datetime.now(UTC)
    wh.replace(
        "outputs.game_prediction",
        {"run_id": ctx.run_id, "model": model.name},
        [
            {
                "run_id": ctx.run_id,
                "league": league,
                "run_date": ctx.run_date,
                "game_id": p.game_id,
                "model": model.name,
                "model_version": model.version,
                "margin_home": p.margin_home,
                "total": p.total,
                "p_home_win": p.p_home_win,
                "p_home_cover": p.p_home_cover,
                "p_over": p.p_over,
                "spread_home": p.spread_home,
                "total_line": p.total_line,
                "edge": p.edge,
                "play": p.play,
                "predicted_at": now,
            }
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
