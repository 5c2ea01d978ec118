"""A backfill walks history once for its batch, yet publishes what separate daily runs of its dates
publish, across a season's turn; and running it again changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from spread_eagle.config import Settings
from spread_eagle.pipeline.backfill import backfill, dates_to_fill
from spread_eagle.pipeline.runner import run_daily
from spread_eagle.publish.slate import read_slate, strip_volatile
from spread_eagle.warehouse import Warehouse, connect
from tests.conftest import make_settings

# The 2023 season's Super Bowl, then the 2024 opener and the Friday game in Brazil.
SEASON_TURN = (date(2024, 2, 11), date(2024, 9, 6))
RAW_TABLES = (
    "raw.payload",
    "raw.payload_sighting",
    "raw.nflverse_game",
    "raw.aussportsbetting_line",
    "raw.quarantine",
)


def _predictions(wh: Warehouse, day: date) -> list[dict[str, Any]]:
    """The date's published predictions, less what names the run."""
    rows = wh.query(
        "select p.* from outputs.game_prediction p join publish.slate s on s.run_id = p.run_id"
        " where s.run_date = ? order by p.game_id, p.model",
        (day,),
    )
    return [{k: v for k, v in r.items() if k not in ("run_id", "predicted_at")} for r in rows]


def _published(url: str, days: list[date]) -> dict[date, Any]:
    with connect(url) as wh:
        return {d: (strip_volatile(read_slate(wh, "nfl", d)), _predictions(wh, d)) for d in days}


def _raw_counts(url: str) -> dict[str, int]:
    with connect(url) as wh:
        return {t: int(wh.scalar(f"select count(*) from {t}")) for t in RAW_TABLES}


@pytest.fixture(scope="module")
def daily_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[date], dict[date, Any]]:
    """The dates and what one person's daily runs of them publish, one date after the other (on
    DuckDB, once for both engines' backfills)."""
    tmp = tmp_path_factory.mktemp("daily_runs")
    daily = make_settings(tmp, f"duckdb:///{tmp / 'daily.duckdb'}")
    days = dates_to_fill(daily, *SEASON_TURN)
    for day in days:
        report = run_daily(daily, run_date=day)
        assert report.ok, report.error
    return days, _published(daily.database_url, days)


@pytest.mark.slow
def test_backfill_publishes_what_daily_runs_publish_and_a_rerun_changes_nothing(
    settings: Settings, daily_runs: tuple[list[date], dict[date, Any]]
) -> None:
    days, expected = daily_runs
    assert days == [date(2024, 2, 11), date(2024, 9, 5), date(2024, 9, 6)]
    assert all(games for _, games in expected.values())

    result = backfill(settings, *SEASON_TURN)
    assert (result.published, result.failed) == (3, [])
    assert _published(settings.database_url, days) == expected
    raw = _raw_counts(settings.database_url)

    again = backfill(settings, *SEASON_TURN)
    assert (again.published, again.failed) == (3, [])
    assert _published(settings.database_url, days) == expected
    assert _raw_counts(settings.database_url) == raw
