"""Walk-forward backtest: every game of seasons A..B predicted with only what was known before it,
scored against the closing market.

- `history`: the games, from the replay games file and open/close sheet (no warehouse);
- `walk_forward`: the date-by-date fit/predict loop;
- `metrics`: the metric definitions, pure functions over rows;
- `report`: the HTML page.

`run_backtest` is the entry point the CLI's `backtest` command calls; progress goes through a
callback, so nothing here draws or prints.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spread_eagle.config import Settings
from spread_eagle.leagues import load_league
from spread_eagle.predict.backtest.history import (
    BacktestError,
    load_games,
    with_opener,
    with_result,
)
from spread_eagle.predict.backtest.metrics import (
    calibration,
    market_metrics,
    model_metrics,
    season_rows,
)
from spread_eagle.predict.backtest.report import render_report
from spread_eagle.predict.backtest.walk_forward import walk_forward
from spread_eagle.predict.engine import MODEL_NAMES, Forecast, GameRecord, ProgressCallback
from spread_eagle.predict.registry import model_versions

__all__ = [
    "BacktestError",
    "Forecast",
    "ProgressCallback",
    "calibration",
    "evaluate",
    "load_games",
    "market_metrics",
    "model_metrics",
    "render_report",
    "run_backtest",
    "season_rows",
    "walk_forward",
    "with_opener",
    "with_result",
]


def evaluate(
    settings: Settings,
    start_season: int,
    end_season: int,
    progress: ProgressCallback | None = None,
    games: Sequence[GameRecord] | None = None,
) -> tuple[dict[str, Any], list[Forecast]]:
    """metrics.json's document and the forecasts behind it (games default to the replay file).

    `progress(done, total, date)` is called after each walk-forward date.
    """
    if end_season < start_season:
        raise BacktestError(f"--end-season {end_season} is before --start-season {start_season}")
    league = load_league(settings.league, settings.leagues_dir)
    if games is None:
        games = load_games(settings.games_file_for(league), league, settings.lines_file_for(league))
    evaluated = [g for g in games if start_season <= g.game.season <= end_season and g.is_final]
    if not evaluated:
        raise BacktestError(
            f"no finished games in seasons {start_season}-{end_season} of "
            f"{settings.games_file_for(league)}"
        )
    forecasts = walk_forward(league, games, start_season, end_season, progress)
    versions = model_versions(league)
    metrics = {
        "start_season": start_season,
        "end_season": end_season,
        "games": len(evaluated),
        "market": market_metrics(evaluated),
        "models": {name: model_metrics(forecasts, name, versions[name]) for name in MODEL_NAMES},
    }
    return metrics, forecasts


def run_backtest(
    settings: Settings,
    start_season: int,
    end_season: int,
    out_dir: Path,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Evaluate, then write DIR/metrics.json and DIR/report.html; returns the metrics document."""
    metrics, forecasts = evaluate(settings, start_season, end_season, progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    (out_dir / "report.html").write_text(
        render_report(
            metrics,
            forecasts,
            settings.games_file_for(load_league(settings.league, settings.leagues_dir)).name,
        ),
        encoding="utf-8",
    )
    return metrics
