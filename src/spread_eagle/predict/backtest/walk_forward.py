"""Walk-forward: every game of seasons A..B predicted with only what was known before it.

The games are grouped by `game_date` (the league-local date). For each date, the model is fitted
on finished games strictly before that date (and, as in the daily predict step, only the current
season and the `seasons_of_history` before it), then predicts that date's games from their
closing lines, and again from their opening lines. No game's own result, nor any later game's,
reaches its prediction.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from spread_eagle.predict.backtest.history import HistoricalGame
from spread_eagle.predict.ratings import Prediction, RatingsModel

# (done, total, label): called after each game date; the caller decides how to show it.
ProgressCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Forecast:
    game: HistoricalGame
    prediction: Prediction  # made with the closing lines
    at_open: Prediction  # the same fitted model given the opening lines (the close where none)


def walk_forward(
    model: RatingsModel,
    games: Sequence[HistoricalGame],
    start_season: int,
    end_season: int,
    progress: ProgressCallback | None = None,
) -> list[Forecast]:
    """Predict every game of seasons start..end, each date fitted on finished games strictly before it.

    `games` must be sorted by date (load_games does). After each date, `progress(done_dates,
    total_dates, date)` is called, the last call with done == total.
    """
    history_seasons = int(model.params["seasons_of_history"])
    days = [g.game_date for g in games]
    seasons = [g.season for g in games]
    finished = [g.finished() if g.is_final else None for g in games]
    by_date: dict[date, list[HistoricalGame]] = defaultdict(list)
    for game in games:
        if start_season <= game.season <= end_season:
            by_date[game.game_date].append(game)
    forecasts: list[Forecast] = []
    dates = sorted(by_date)
    for done, day in enumerate(dates, start=1):
        todays = by_date[day]
        season = max(g.season for g in todays)
        cutoff = bisect.bisect_left(days, day)  # games[:cutoff] are strictly before `day`
        first = bisect.bisect_left(seasons, season - history_seasons, hi=cutoff)
        history = [
            f
            for f, s in zip(finished[first:cutoff], seasons[first:cutoff], strict=True)
            if f is not None and s >= season - history_seasons
        ]
        fitted = model.fit(history, day)
        at_close = model.predict(fitted, [g.features() for g in todays])
        at_open = model.predict(fitted, [g.features(opening=True) for g in todays])
        forecasts.extend(
            Forecast(g, c, o) for g, c, o in zip(todays, at_close, at_open, strict=True)
        )
        if progress is not None:
            progress(done, len(dates), day.isoformat())
    return forecasts
