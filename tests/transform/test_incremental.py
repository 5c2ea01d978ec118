"""Incremental models: a sequence of daily builds gives exactly the rows of a full refresh."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from spread_eagle.config import Settings
from spread_eagle.warehouse import connect
from tests.transform.helpers import MODELS, dbt, differences, land, rows, seasons, write_games

pytestmark = pytest.mark.slow

INCREMENTAL = ["facts.fct__market_snapshot", "features.feat__team_form", "features.feat__game"]
# Thursday, Sunday, Monday of week 12, then a gap of a week (the next Sunday): a 2-day lookback
# makes each build re-write only the newest games, so the windows are really exercised.
DATES = [date(2024, 11, 21), date(2024, 11, 24), date(2024, 11, 25), date(2024, 12, 1)]


def test_daily_incremental_builds_equal_a_full_refresh(settings: Settings, tmp_path: Path) -> None:
    games = write_games(tmp_path / "games.csv", seasons(2023, 2024))
    settings = settings.model_copy(update={"games_file": games})
    for day in DATES:
        land(settings, day).warehouse.close()
        dbt(settings, MODELS, incremental_lookback_days=2)
    incremental = {relation: rows(settings, relation) for relation in INCREMENTAL}
    assert len(incremental["features.feat__game"]) == len(rows(settings, "facts.fct__game"))

    # Proof the daily path is incremental: mark a game outside the window and one inside it, build
    # again; only the one inside is re-written.
    mark = "update features.feat__game set books = -1 where game_id in ('2023_01_DET_KC', '2024_13_TB_CAR')"
    with connect(settings.database_url) as wh:
        wh.execute(mark)
    dbt(settings, MODELS, incremental_lookback_days=2)
    with connect(settings.database_url) as wh:
        marked = wh.query("select game_id from features.feat__game where books = -1")
    assert marked == [{"game_id": "2023_01_DET_KC"}]
    with connect(settings.database_url) as wh:
        wh.execute("update features.feat__game set books = 1 where game_id = '2023_01_DET_KC'")

    dbt(settings, [*MODELS, "--full-refresh"], incremental_lookback_days=2)
    for relation in INCREMENTAL:
        full = rows(settings, relation)
        assert len(full) == len(incremental[relation]), relation
        assert differences(incremental[relation], full) == [], relation

    # The newest date's games are there, with their form from the earlier, un-rewritten games.
    with connect(settings.database_url) as wh:
        kc = wh.query(
            "select home_games_season, away_games_season, home_games_all_time from features.feat__game"
            " where game_id = '2024_13_LV_KC'"
        )
    assert kc == [{"home_games_season": 11, "away_games_season": 11, "home_games_all_time": 32}]


def test_transform_step_records_every_dbt_node_in_the_ledger(
    settings: Settings, tmp_path: Path
) -> None:
    from spread_eagle.transform.step import transform

    games = write_games(tmp_path / "games.csv", seasons(2024, 2024))
    ctx = land(settings.model_copy(update={"games_file": games}), date(2024, 11, 24))
    try:
        outcome = transform(ctx)
        recorded = ctx.warehouse.query(
            "select unique_id, resource_type, status, rows_affected from ops.dbt_node_result"
            " where run_id = ? and step = 'transform'",
            (ctx.run_id,),
        )
    finally:
        ctx.warehouse.close()
    assert outcome.dbt_status == "success" and outcome.counts["success"] >= 13
    by_id = {r["unique_id"]: r for r in recorded}
    assert by_id["model.spread_eagle.feat__game"]["status"] == "success"
    assert len(recorded) == outcome.counts["dbt_nodes"]
    tests = [r for r in recorded if r["resource_type"] == "test"]
    # one `every_row_holds` a relation (its keys included) and the relationships to a game
    assert len(tests) > 20 and all(r["status"] == "pass" for r in tests)
    # every staging, fact and feature relation built is held to its row rules (one test each)
    built = [r["unique_id"].split(".")[2] for r in recorded if r["resource_type"] == "model"]
    held = {r["unique_id"].split(".")[2] for r in tests}
    layered = [m for m in built if m.startswith(("stg__", "fct__", "feat__"))]
    assert len(layered) >= 14 and {f"{m}_rows_hold" for m in layered} <= held
    assert any("every_game_has_a_market_snapshot" in r["unique_id"] for r in tests)
    assert not any(r["resource_type"] == "unit_test" for r in recorded)  # those run in CI
