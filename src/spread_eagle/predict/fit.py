"""Fitting the league constants the models read from config, on training seasons only.

`scripts/fit_constants.py` runs this on the NFL's 1999-2014 seasons and prints the values that go
into `leagues/nfl.yaml` (models.distribution, models.ratings). Nothing here runs in the daily
pipeline or the backtest: constants are fitted once, by a person, on seasons the backtest's
evaluation years (2015 on) never touch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from spread_eagle.predict.distribution import fit_weights
from spread_eagle.predict.engine import GameRecord
from spread_eagle.predict.ratings import RatingsState

MARGIN_KEYS = tuple(range(0, 22))
TOTAL_KEYS = tuple(range(27, 62))


def key_weights(
    records: Sequence[GameRecord],
    margin_sd: float,
    total_sd: float,
    total_keys: Sequence[int] = TOTAL_KEYS,
    total_range: tuple[int, int] = (0, 140),
) -> dict[str, Any]:
    """Margin and total key-number weights around the closing line of finished games (the margin's
    over 0..21 in every league: a league without key numbers gets weights near 1, and 0 for a
    margin that never happens, an NBA tie)."""
    lined = [r for r in records if r.is_final and r.spread_home is not None]
    margins = [r.margin for r in lined]
    margin_w = fit_weights(
        [-(r.spread_home or 0.0) for r in lined], margins, margin_sd, MARGIN_KEYS, symmetric=True
    )
    totals = [r for r in records if r.is_final and r.total_line is not None]
    total_w = fit_weights(
        [r.total_line or 0.0 for r in totals],
        [r.points for r in totals],
        total_sd,
        total_keys,
        symmetric=False,
        low=total_range[0],
        high=total_range[1],
    )
    out: dict[str, Any] = {"margin_key_weights": margin_w, "total_key_weights": total_w}
    if total_range != (0, 140):
        out["total_range"] = list(total_range)
    return out


def residual_sd(records: Sequence[GameRecord]) -> tuple[float, float]:
    """sd of (margin - (-spread)) and of (points - total line) over finished games."""
    m = [
        r.margin + (r.spread_home or 0.0)
        for r in records
        if r.is_final and r.spread_home is not None
    ]
    t = [
        r.points - (r.total_line or 0.0) for r in records if r.is_final and r.total_line is not None
    ]
    return float(np.std(m)), float(np.std(t))


def ratings_errors(
    params: Mapping[str, Any],
    distribution: Mapping[str, Any],
    records: Sequence[GameRecord],
    first_scored_season: int,
) -> dict[str, float]:
    """Walk the ratings over `records` (date order) and score seasons from `first_scored_season`."""
    state = RatingsState(params, distribution)
    abs_margin: list[float] = []
    abs_total: list[float] = []
    margin_res: list[float] = []
    total_res: list[float] = []
    i = 0
    while i < len(records):
        day = records[i].game.game_date
        j = i
        while j < len(records) and records[j].game.game_date == day:
            j += 1
        todays = records[i:j]
        forecasts = [state.forecast(r.game) for r in todays]
        for r, f in zip(todays, forecasts, strict=True):
            if r.is_final and r.game.season >= first_scored_season:
                margin, points = r.margin, r.points
                abs_margin.append(abs(margin - f.margin_home))
                abs_total.append(abs(points - f.total))
                margin_res.append(margin - f.margin_home)
                total_res.append(points - f.total)
        for r in todays:
            if r.is_final:
                state.update(r.game, r.home_score or 0, r.away_score or 0)
        i = j
    return {
        "spread_mae": float(np.mean(abs_margin)),
        "total_mae": float(np.mean(abs_total)),
        "margin_sd": float(np.std(margin_res)),
        "total_sd": float(np.std(total_res)),
    }


def coordinate_descent(
    params: dict[str, Any],
    names: Sequence[str],
    score: Callable[[dict[str, Any]], float],
    rounds: int = 3,
    step: float = 0.3,
) -> dict[str, Any]:
    """Greedy one-parameter-at-a-time search (relative steps, halved each round)."""
    best = score(params)
    steps = {n: (abs(float(params[n])) * step or 0.1) for n in names}
    for _ in range(rounds):
        for name in names:
            for direction in (1.0, -1.0):
                while True:
                    trial = dict(params)
                    trial[name] = round(float(params[name]) + direction * steps[name], 6)
                    if trial[name] < 0 and name != "qb_new":
                        break
                    value = score(trial)
                    if value < best - 1e-5 and math.isfinite(value):
                        best, params = value, trial
                    else:
                        break
        steps = {n: s / 2 for n, s in steps.items()}
    return params
