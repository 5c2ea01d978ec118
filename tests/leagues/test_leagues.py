"""Leagues are data: the bundled NFL, and a made-up league from fixture files through the same code
and the same dbt project (tests/fixtures/leagues: 8 teams, 2 seasons, America/Chicago)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from spread_eagle.leagues import UnknownLeagueError, load_league
from spread_eagle.pipeline.runner import run_daily
from spread_eagle.publish.slate import read_slate
from spread_eagle.transform.dbt_runner import dbt_vars
from spread_eagle.warehouse import connect
from tests.conftest import make_settings

LEAGUES = Path(__file__).parents[1] / "fixtures" / "leagues"
LAST_DATE = date(2024, 5, 6)  # the made-up league's last date: 4 games at 19:00 Chicago time


def test_nfl_aliases_resolve_relocations_and_full_names() -> None:
    nfl = load_league("nfl")
    # relocations are kept as history: the Oakland Raiders stay OAK, the Las Vegas Raiders are LV
    assert nfl.team_id("Oakland Raiders") == "OAK" and nfl.team_id("Las Vegas Raiders") == "LV"
    assert nfl.team_id("kansas  city chiefs") == "KC"
    assert nfl.team_id("Springfield Atoms") is None  # unknown: quarantined, never guessed
    assert nfl.names["KC"] == "Kansas City Chiefs"


def test_a_league_folder_is_read_before_the_bundled_leagues() -> None:
    xfl = load_league("xfl", LEAGUES)
    assert xfl.timezone == "America/Chicago" and xfl.default_kickoff_time == "19:00"
    assert len(xfl.teams) == 8 and xfl.team_id("Boston Brawl") == "BRW"
    assert load_league("nfl", LEAGUES).league == "nfl"  # not in the folder: the bundled one


def test_unknown_league_names_the_known_ones() -> None:
    with pytest.raises(UnknownLeagueError, match=r"known leagues: .*nfl"):
        load_league("cfl")


def test_every_league_constant_sql_needs_goes_to_dbt_as_a_var() -> None:
    xfl = load_league("xfl", LEAGUES)
    found = dbt_vars(xfl, datetime(2024, 5, 7, 11, 0, tzinfo=UTC))
    assert found["league_id"] == "xfl" and found["league_timezone"] == "America/Chicago"
    assert found["default_kickoff_time"] == "19:00"
    assert found["nflverse_close_minutes_before_kickoff"] == 10
    assert found["as_of"] == "2024-05-07 11:00:00"


@pytest.mark.slow
def test_a_made_up_league_runs_end_to_end_through_the_same_project(
    warehouse_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        tmp_path,
        warehouse_url,
        league="xfl",
        leagues_dir=LEAGUES,
        games_file=LEAGUES / "xfl_games.csv",
    )
    report = run_daily(settings, run_date=LAST_DATE)
    assert report.ok, report.error
    with connect(warehouse_url) as wh:
        slate = read_slate(wh, "xfl", LAST_DATE)
        leagues = {
            r["league_id"] for r in wh.query("select distinct league_id from facts_xfl.fct__game")
        }
    assert leagues == {"xfl"}  # in its own schemas (schema_suffix defaults to _<league>)
    assert len(slate["games"]) == 4
    # 19:00 in Chicago (CDT, UTC-5) is 00:00 UTC the next day; game_date stays the local date
    assert {g["kickoff_at"] for g in slate["games"]} == {"2024-05-07T00:00:00Z"}
    assert all(g["tldr"]["grounded"] and g["predictions"] for g in slate["games"])
