"""Backfill: raw, then dbt, then models, then content, batched; same slates as daily runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from spread_eagle.config import Settings
from spread_eagle.pipeline.backfill import backfill, dates_to_fill
from spread_eagle.publish.documents import reader_for
from spread_eagle.publish.slate import read_slate, strip_volatile
from spread_eagle.run import ledger
from spread_eagle.warehouse import connect
from tests.transform.helpers import seasons, write_games

WEEK_12 = (date(2024, 11, 21), date(2024, 11, 25))


def test_only_dates_with_games_are_filled(duckdb_settings: Settings) -> None:
    assert dates_to_fill(duckdb_settings, *WEEK_12) == [
        date(2024, 11, 21),
        date(2024, 11, 24),
        date(2024, 11, 25),
    ]


@pytest.mark.slow
def test_backfill_publishes_every_date_like_daily_runs(
    settings: Settings, published_url: str
) -> None:
    result = backfill(settings, *WEEK_12)
    assert (result.dates, result.published, result.failed) == (3, 3, [])
    with connect(settings.database_url) as wh:
        slates = {d: read_slate(wh, "nfl", d) for d in dates_to_fill(settings, *WEEK_12)}
        runs = ledger.recent_runs(wh, limit=10)
    assert [len(s["games"]) for s in slates.values()] == [1, 11, 1]
    assert len(runs) == 3 and all(
        r["status"] == "succeeded" and r["command"] == "backfill" for r in runs
    )
    assert all(s["status"] == "succeeded" for r in runs for s in r["steps"])
    # what `status` and `serve` read (on DuckDB a snapshot file) ends with every run finished
    seen = reader_for(settings.database_url).runs()
    assert {r["run_id"]: r["status"] for r in seen} == {r["run_id"]: "succeeded" for r in runs}
    shared = [
        s
        for r in runs
        for s in r["steps"]
        if s["step"] == "transform" and "batch" in (s["detail"] or "")
    ]
    assert len(shared) == 2  # one dbt build, recorded on every run of the batch

    with connect(published_url) as wh:  # the daily run of 2024-11-24 alone, on a fresh warehouse
        alone = read_slate(wh, "nfl", date(2024, 11, 24))
    assert strip_volatile(alone) == strip_volatile(slates[date(2024, 11, 24)])


@pytest.mark.slow
def test_backfill_stops_at_a_failing_date_and_publishes_nothing(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    source = Path(__file__).parents[2] / "src/spread_eagle/data/nflverse_games.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    spread = lines[0].split(",").index("spread_line")
    kept = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if cells[0] == "2024_12_KC_CAR":
            cells[spread] = ""  # no line for one Sunday game: that date cannot validate
        if cells[0].startswith(("2023_", "2024_")):
            kept.append(",".join(cells))
    games = tmp_path / "games.csv"
    games.write_text("\n".join(kept) + "\n", encoding="utf-8")
    broken = duckdb_settings.model_copy(update={"games_file": games})
    result = backfill(broken, *WEEK_12)
    assert result.published == 0
    assert [day for day, _ in result.failed] == [date(2024, 11, 24)]
    assert "market_snapshot_per_game" in result.failed[0][1] or "features" in result.failed[0][1]
    with connect(broken.database_url) as wh:
        runs = {r["run_date"]: r for r in ledger.recent_runs(wh, limit=10)}
        assert wh.scalar("select count(*) from publish.slate") == 0
    assert runs[date(2024, 11, 24)]["status"] == "invalid"
    assert (
        runs[date(2024, 11, 21)]["status"] == "failed"
        and "backfill stopped" in runs[date(2024, 11, 21)]["error"]
    )


def test_a_quarantined_game_stops_a_backfill_unless_accepted(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    def broken(row: dict[str, str]) -> dict[str, str] | None:
        kept = seasons(2023, 2024)(row)
        if kept and kept["game_id"] == "2024_12_KC_CAR":
            kept["home_team"] = "XYZ"  # quarantined: an unknown team
        return kept

    settings = duckdb_settings.model_copy(
        update={"games_file": write_games(tmp_path / "games.csv", broken)}
    )
    stopped = backfill(settings, *WEEK_12)
    assert [day for day, _ in stopped.failed] == [date(2024, 11, 24)]
    assert (
        "2024_12_KC_CAR" in stopped.failed[0][1] and "--accept-quarantined" in stopped.failed[0][1]
    )

    accepted = backfill(settings, *WEEK_12, accept_quarantined=True)
    assert not accepted.failed and accepted.published == accepted.dates == 3
    with connect(settings.database_url) as wh:
        sunday = read_slate(wh, "nfl", date(2024, 11, 24))
        newest = ledger.recent_runs(wh, limit=3)
    assert len(sunday["games"]) == 10  # the quarantined game left out, on the record
    assert all(r["accept_quarantined"] and r["status"] == "succeeded" for r in newest)
