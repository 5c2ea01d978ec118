"""Walk-forward: every game of seasons A..B predicted with only what was known before it.

The one engine of the daily predict step (`spread_eagle.predict.engine`) walks the whole history
in date order: each date's games are forecast by every model before any result of that date is
seen, then the date's results update the ratings, the blend's calibration rows (refitted at each
season's first date) and the play rules' records. The forecasts of seasons A..B are kept; every
earlier season only warms the models up.
"""

from __future__ import annotations

from collections.abc import Sequence

from spread_eagle.leagues import League
from spread_eagle.predict.backtest.history import with_opener
from spread_eagle.predict.engine import Engine, Forecast, GameRecord, ProgressCallback


def walk_forward(
    league: League,
    games: Sequence[GameRecord],
    start_season: int,
    end_season: int,
    progress: ProgressCallback | None = None,
) -> list[Forecast]:
    """Forecast every game of seasons start..end by every model, each from earlier dates only.

    `games` must be sorted by date (load_games does). The engine walks them with the close standing
    in for a missing opener (`with_opener`); each forecast carries its game as loaded, so a metric
    can still tell a true opener from none. After each evaluated date,
    `progress(done_dates, total_dates, date)` is called, the last call with done == total.
    """
    by_id = {g.game.game_id: g for g in games}
    forecasts = Engine(league).walk(
        [with_opener(g) for g in games],
        keep=lambda r: start_season <= r.game.season <= end_season,
        progress=progress,
    )
    return [Forecast(by_id[f.record.game.game_id], f.models) for f in forecasts]
