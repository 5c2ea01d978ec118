"""The predict step: walk every configured model over the league's history before the date, then
forecast each game of the date, and write one row per game and model under the run's own id (they
become the date's only when the run validates). The walk is the backtest's engine, so what the
daily run publishes is what the backtest measured; same rows in, same rows out.

A daily run walks the history once for its date. A backfill batch hands every date's predict step
one `HistoryWalk`: the batch's warehouse does not change between its predict steps, so the history
is walked once, oldest first, and each date is forecast from a fork of the engine as it stands at
that date, which gives the same forecasts as a walk from scratch (tests/predict/test_history_walk.py).
"""

from __future__ import annotations

import bisect
import json
import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from spread_eagle.leagues import League
from spread_eagle.predict.engine import Engine, Forecast, GameRecord, ModelForecast
from spread_eagle.predict.ratings import GameInput
from spread_eagle.predict.registry import configured_versions, register
from spread_eagle.run import RunContext, StepOutcome
from spread_eagle.warehouse import Warehouse
from spread_eagle.warehouse.relations import best_prices, game_features, model_history

log = logging.getLogger(__name__)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _game(row: dict[str, Any], season: int | None = None) -> GameInput:
    return GameInput(
        game_id=str(row["game_id"]),
        season=int(row["season"] if season is None else season),
        game_date=row["game_date"],
        home_team_id=str(row["home_team_id"]),
        away_team_id=str(row["away_team_id"]),
        is_neutral_site=bool(row["is_neutral_site"]),
        home_rest_days=_int(row.get("home_rest_days")),
        away_rest_days=_int(row.get("away_rest_days")),
        home_qb_id=row.get("home_qb_id"),
        away_qb_id=row.get("away_qb_id"),
    )


def history_record(row: dict[str, Any]) -> GameRecord:
    return GameRecord(
        game=_game(row),
        spread_home=_float(row["spread_home"]),
        total_line=_float(row["total_line"]),
        moneyline_home=_int(row["moneyline_home"]),
        moneyline_away=_int(row["moneyline_away"]),
        open_spread_home=_float(row["spread_home_open"]),
        home_score=_int(row["home_score"]),
        away_score=_int(row["away_score"]),
    )


def today_record(row: dict[str, Any], prices: dict[str, Any] | None) -> GameRecord:
    prices = prices or {}
    return GameRecord(
        game=_game(row),
        spread_home=_float(row["spread_home_current"]),
        total_line=_float(row["total_current"]),
        moneyline_home=_int(row["moneyline_home_current"]),
        moneyline_away=_int(row["moneyline_away_current"]),
        open_spread_home=_float(row["spread_home_open"]),
        open_total=_float(row["total_open"]),
        spread_home_best=_float(row["spread_home_best"]),
        spread_home_best_price=_int(prices.get("spread_home_best_price")),
        spread_away_best=_float(row["spread_away_best"]),
        spread_away_best_price=_int(prices.get("spread_away_best_price")),
    )


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def prediction_row(m: ModelForecast, version: str) -> dict[str, Any]:
    """The stored numbers, rounded once here (margin and total to 0.1, probabilities to 0.001)."""
    return {
        "model": m.model,
        "model_version": version,
        "margin_home": round(m.margin_home, 1),
        "total": round(m.total, 1),
        "p_home_win": round(m.p_home_win, 3),
        "p_home_cover": _r(m.p_home_cover, 3),
        "p_push": _r(m.p_push, 3),
        "p_over": _r(m.p_over, 3),
        "spread_home": m.spread_home,
        "total_line": m.total_line,
        "edge": _r(m.edge, 3),
        "play": m.pick,
        "side": m.side,
        "price_american": m.price,
        "fair_american": m.fair_american,
        "stake": round(m.stake, 4),
        "rule_json": json.dumps(m.rule, sort_keys=True),
    }


class HistoryWalk:
    """The engine walked forward over a fixed history (every final game before `last`, oldest
    first), forecasting dates up to `last` in ascending order, each from a fork of the engine as
    it stands before that date."""

    def __init__(self, league: League, history: Sequence[GameRecord], last: date) -> None:
        self.last = last
        self._engine = Engine(league)
        self._history = list(history)
        self._dates = [r.game.game_date for r in self._history]
        self._walked = 0  # records of the history the engine has learned from

    @classmethod
    def read(cls, wh: Warehouse, league: League, last: date) -> HistoryWalk:
        rows = model_history(wh, league, last)
        return cls(league, [history_record(r) for r in rows], last)

    def forecast(self, day: date, today: Sequence[GameRecord]) -> tuple[list[Forecast], int]:
        """The forecasts of `day`'s games, and how many earlier games they were walked from."""
        end = bisect.bisect_left(self._dates, day)
        if day > self.last or end < self._walked:
            raise ValueError(f"a walk forecasts dates oldest first, up to {self.last}: not {day}")
        self._engine.walk(self._history[self._walked : end], keep=lambda _: False)
        self._walked = end
        return self._engine.fork().walk(today), end


def predict(ctx: RunContext, walk: HistoryWalk | None = None) -> StepOutcome:
    """Forecast the date's games; `walk` is a backfill batch's shared walk (else one is read)."""
    wh, league = ctx.warehouse, ctx.league.league
    versions = configured_versions(ctx.settings.models, ctx.league)
    features = game_features(wh, ctx.league, ctx.run_date)
    prices = {r["game_id"]: r for r in best_prices(wh, ctx.league, ctx.run_date)}
    today = [today_record(r, prices.get(r["game_id"])) for r in features]
    walk = walk or HistoryWalk.read(wh, ctx.league, ctx.run_date)
    forecasts, history = walk.forecast(ctx.run_date, today)
    register(wh, ctx.league, list(versions))
    now = datetime.now(UTC)
    rows = [
        {
            "run_id": ctx.run_id,
            "league": league,
            "run_date": ctx.run_date,
            "game_id": f.record.game.game_id,
            **prediction_row(f.models[name], version),
            "predicted_at": now,
        }
        for f in forecasts
        for name, version in versions.items()
    ]
    with wh.transaction():
        for name in versions:
            wh.replace(
                "outputs.game_prediction",
                {"run_id": ctx.run_id, "model": name},
                [r for r in rows if r["model"] == name],
            )
    log.info(
        "%s predicted %d games (walked %d earlier games)",
        ", ".join(versions.values()),
        len(forecasts),
        history,
    )
    return StepOutcome(
        counts={"predictions": len(rows), "history_games": history},
        model_version=",".join(versions.values()),
    )
