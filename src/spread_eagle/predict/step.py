"""The predict step: walk every configured model over the league's history before the date, then
forecast each game of the date, and write one row per game and model under the run's own id (they
become the date's only when the run validates). The walk is the backtest's engine, so what the
daily run publishes is what the backtest measured; same rows in, same rows out.

A daily run walks the history once for its date, resuming from the newest walked state an earlier
run saved before its date when the history it learned from is unchanged (`checkpoint`), and saves
its own for the next. A backfill batch hands every date's predict step one `HistoryWalk`: the
batch's warehouse does not change between its predict steps, so the history is walked once, oldest
first, and each date is forecast from a fork of the engine as it stands at that date, which gives
the same forecasts as a walk from scratch (tests/predict/test_history_walk.py,
tests/predict/test_checkpoint.py).
"""

from __future__ import annotations

import bisect
import json
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from spread_eagle.leagues import League
from spread_eagle.logging import log_context
from spread_eagle.predict import checkpoint
from spread_eagle.predict.engine import Engine, Forecast, GameRecord, ModelForecast
from spread_eagle.predict.ratings import GameInput
from spread_eagle.predict.registry import configured_versions, register
from spread_eagle.run import RunContext, StepOutcome
from spread_eagle.run.step import until_failure
from spread_eagle.warehouse import Warehouse, marks
from spread_eagle.warehouse.relations import best_prices_on, game_features_on, model_history

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


# Where each of GameRecord's market and score fields is read from: history rows carry the closing
# lines and the score under the record's own names (`model_history`); a date's feat__game rows carry
# the current lines, and never a score, whatever the row holds.
_HISTORY_FIELDS = (
    "spread_home",
    "total_line",
    "moneyline_home",
    "moneyline_away",
    "open_spread_home",
    "home_score",
    "away_score",
)
_HISTORY_COLUMNS = {f: f for f in _HISTORY_FIELDS}
_TODAY_COLUMNS = {
    "spread_home": "spread_home_current",
    "total_line": "total_current",
    "moneyline_home": "moneyline_home_current",
    "moneyline_away": "moneyline_away_current",
    "open_spread_home": "spread_home_open",
    "open_total": "total_open",
    "spread_home_best": "spread_home_best",
    "spread_home_best_price": "spread_home_best_price",
    "spread_away_best": "spread_away_best",
    "spread_away_best_price": "spread_away_best_price",
}
_INT_FIELDS = frozenset(
    {
        "moneyline_home",
        "moneyline_away",
        "home_score",
        "away_score",
        "spread_home_best_price",
        "spread_away_best_price",
    }
)


def _record(row: dict[str, Any], columns: dict[str, str]) -> GameRecord:
    values: dict[str, Any] = {
        f: (_int if f in _INT_FIELDS else _float)(row.get(c)) for f, c in columns.items()
    }
    return GameRecord(game=_game(row), **values)


def history_record(row: dict[str, Any]) -> GameRecord:
    return _record(row, _HISTORY_COLUMNS)


def today_record(row: dict[str, Any], prices: dict[str, Any] | None) -> GameRecord:
    return _record({**row, **(prices or {})}, _TODAY_COLUMNS)


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
    it stands before that date. It starts from a saved state (`checkpoint.resume`) when given one,
    and `save` keeps where it stands for the runs of later dates."""

    def __init__(
        self,
        league: League,
        history: Sequence[GameRecord],
        last: date,
        start: checkpoint.Resumed | None = None,
    ) -> None:
        self.last = last
        self.league = league
        self._history = list(history)
        self._dates = [r.game.game_date for r in self._history]
        self._engine = start.engine if start else Engine(league)
        self._walked = start.walked if start else 0  # records the engine has learned from
        self._digest = start.digest if start else checkpoint.digest_of([])
        self.resumed_at = start.walked_before if start else None
        self._at: date | None = self.resumed_at  # the date the engine stands before

    @classmethod
    def read(
        cls, wh: Warehouse, league: League, last: date, first: date | None = None
    ) -> HistoryWalk:
        """The history before `last`, resumed from the newest saved state usable for `first` (the
        first date to forecast; default `last`)."""
        history = [history_record(r) for r in model_history(wh, league, last)]
        return cls(league, history, last, checkpoint.resume(wh, league, history, first or last))

    def forecast(self, day: date, today: Sequence[GameRecord]) -> tuple[list[Forecast], int]:
        """The forecasts of `day`'s games, and how many earlier games they were walked from."""
        end = bisect.bisect_left(self._dates, day)
        if day > self.last or end < self._walked:
            raise ValueError(f"a walk forecasts dates oldest first, up to {self.last}: not {day}")
        chunk = self._history[self._walked : end]
        self._engine.walk(chunk, keep=lambda _: False)
        checkpoint.digest_of(chunk, self._digest)
        self._walked, self._at = end, day
        return self._engine.fork().walk(today), end

    def save(self, wh: Warehouse, run_id: str) -> None:
        """Keep the engine as it stands (before the last date forecast) for later runs."""
        if self._at is not None and self._at != self.resumed_at:
            checkpoint.save(
                wh, self.league, self._engine, self._at, self._walked, self._digest, run_id
            )


def predict(ctx: RunContext) -> StepOutcome:
    """Forecast the date's games from a walk of the history before it."""
    return next(predict_runs([ctx], HistoryWalk.read(ctx.warehouse, ctx.league, ctx.run_date)))


def predict_runs(ctxs: list[RunContext], walk: HistoryWalk) -> Iterator[StepOutcome]:
    """Forecast the dates of many runs (oldest first; a backfill's batch) from one walk: one read
    of their features and prices, one transaction for their rows. Yields each run's outcome; raises
    for the first run whose date cannot be forecast (the runs after it are not)."""
    wh, league = ctxs[0].warehouse, ctxs[0].league.league
    versions = configured_versions(ctxs[0].settings.models, ctxs[0].league)
    days = [c.run_date for c in ctxs]
    features = game_features_on(wh, ctxs[0].league, days)
    prices = {
        day: {r["game_id"]: r for r in rows}
        for day, rows in best_prices_on(wh, ctxs[0].league, days).items()
    }

    def one(ctx: RunContext) -> tuple[list[dict[str, Any]], int, int]:
        day_prices = prices.get(ctx.run_date, {})
        today = [
            today_record(r, day_prices.get(r["game_id"])) for r in features.get(ctx.run_date, [])
        ]
        forecasts, history = walk.forecast(ctx.run_date, today)
        now = datetime.now(UTC)
        rows = [  # by model, then game: each model's rows as a run of its own writes them
            {
                "run_id": ctx.run_id,
                "league": league,
                "run_date": ctx.run_date,
                "game_id": f.record.game.game_id,
                **prediction_row(f.models[name], version),
                "predicted_at": now,
            }
            for name, version in versions.items()
            for f in forecasts
        ]
        return rows, len(forecasts), history

    done, failure = until_failure(ctxs, one)
    register(wh, ctxs[0].league, list(versions))
    runs = [c.run_id for c in ctxs[: len(done)]]
    if runs:
        with wh.transaction():
            wh.execute(
                f"delete from outputs.game_prediction where run_id in ({marks(runs)})"
                f" and model in ({marks(list(versions))})",
                (*runs, *versions),
            )
            wh.insert_all("outputs.game_prediction", [r for rows, _, _ in done for r in rows])
        walk.save(wh, runs[-1])
    for ctx, (rows, games, history) in zip(ctxs, done, strict=False):
        with log_context(run_id=ctx.run_id):
            log.info(
                "%s predicted %d games (walked %d earlier games%s)",
                ", ".join(versions.values()),
                games,
                history,
                f", resumed from the state saved for {walk.resumed_at}" if walk.resumed_at else "",
            )
        yield StepOutcome(
            counts={"predictions": len(rows), "history_games": history},
            model_version=",".join(versions.values()),
        )
    if failure is not None:
        raise failure
