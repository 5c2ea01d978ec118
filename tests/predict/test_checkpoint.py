"""A walk resumed from a saved state forecasts exactly as a walk from scratch, and a state is never
resumed when the history it learned from, the models' constants or their code have changed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest

from spread_eagle.config import BUNDLED_GAMES_FILE
from spread_eagle.leagues import League, load_league
from spread_eagle.predict import checkpoint
from spread_eagle.predict.backtest.history import load_games
from spread_eagle.predict.engine import Engine, Forecast, GameRecord
from spread_eagle.predict.step import HistoryWalk
from spread_eagle.warehouse import Warehouse, connect

NFL = load_league("nfl")
SAVED = date(2023, 1, 22)  # a playoff Sunday; the next season starts between it and LATER
LATER = date(2023, 9, 10)


@pytest.fixture(scope="module")
def records() -> list[GameRecord]:
    games = load_games(BUNDLED_GAMES_FILE, NFL)
    return [g for g in games if 2021 <= g.game.season <= 2023 and g.is_final]


@pytest.fixture
def wh(warehouse_url: str) -> Iterator[Warehouse]:
    with connect(warehouse_url) as warehouse:
        warehouse.migrate()
        yield warehouse


def _before(records: list[GameRecord], day: date) -> list[GameRecord]:
    return [r for r in records if r.game.game_date < day]


def _today(records: list[GameRecord], day: date) -> list[GameRecord]:
    return [
        replace(r, home_score=None, away_score=None) for r in records if r.game.game_date == day
    ]


def _from_scratch(league: League, records: list[GameRecord], day: date) -> list[Forecast]:
    return Engine(league).walk(
        [*_before(records, day), *_today(records, day)], keep=lambda r: not r.is_final
    )


def _forecast(
    wh: Warehouse, league: League, records: list[GameRecord], day: date
) -> tuple[date | None, list[Forecast]]:
    """A daily run's predict: the history before `day`, resumed where a saved state allows, its
    state saved for later dates; the date the walk resumed at, and the forecasts."""
    history = _before(records, day)
    walk = HistoryWalk(league, history, day, checkpoint.resume(wh, league, history, day))
    forecasts, _ = walk.forecast(day, _today(records, day))
    walk.save(wh, f"run-{day}")
    return walk.resumed_at, forecasts


def test_a_resumed_walk_forecasts_as_a_walk_from_scratch(
    wh: Warehouse, records: list[GameRecord]
) -> None:
    resumed_at, _ = _forecast(wh, NFL, records, SAVED)
    assert resumed_at is None  # nothing saved yet: from scratch
    resumed_at, later = _forecast(wh, NFL, records, LATER)
    assert resumed_at == SAVED
    assert later == _from_scratch(NFL, records, LATER)
    resumed_at, again = _forecast(wh, NFL, records, LATER)  # a re-run resumes its own state
    assert resumed_at == LATER
    assert again == later


def test_a_changed_result_before_the_saved_date_walks_from_scratch(
    wh: Warehouse, records: list[GameRecord]
) -> None:
    _forecast(wh, NFL, records, SAVED)
    i = next(i for i, r in enumerate(records) if r.game.game_date < SAVED and r.home_score)
    corrected = [*records]
    corrected[i] = replace(records[i], home_score=(records[i].home_score or 0) + 30)
    resumed_at, forecasts = _forecast(wh, NFL, corrected, LATER)
    assert resumed_at is None
    assert forecasts == _from_scratch(NFL, corrected, LATER)
    assert forecasts != _from_scratch(NFL, records, LATER)


def test_a_game_added_before_the_saved_date_walks_from_scratch(
    wh: Warehouse, records: list[GameRecord]
) -> None:
    late = next(i for i, r in enumerate(records) if r.game.game_date == date(2023, 1, 15))
    without = records[:late] + records[late + 1 :]
    _forecast(wh, NFL, without, SAVED)  # saved before that game's score arrived
    assert _forecast(wh, NFL, records, LATER)[0] is None


def test_other_constants_never_resume_a_state(wh: Warehouse, records: list[GameRecord]) -> None:
    _forecast(wh, NFL, records, SAVED)
    tuned = replace(NFL, models={**NFL.models, "fitted_through": "tuned elsewhere"})
    assert checkpoint.state_key(tuned) != checkpoint.state_key(NFL)
    assert _forecast(wh, tuned, records, LATER)[0] is None


def test_only_the_newest_states_are_kept(wh: Warehouse, records: list[GameRecord]) -> None:
    days = sorted({r.game.game_date for r in records if r.game.season == 2022})[-5:]
    for day in days:
        _forecast(wh, NFL, records, day)
    kept = wh.query(
        "select walked_before, run_id from ops.model_state where league = 'nfl'"
        " order by walked_before"
    )
    assert [r["walked_before"] for r in kept] == days[-checkpoint.KEEP :]
    assert [r["run_id"] for r in kept] == [f"run-{d}" for d in days[-checkpoint.KEEP :]]
