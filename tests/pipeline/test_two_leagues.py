"""Two leagues side by side in one warehouse, on every engine: the NBA's and the NFL's daily runs of
the same day (2024-01-15: 11 NBA games and two NFL wild-card games), each validated and published,
each league's slate unchanged by the other's run, each league's relations in its own schemas.

One warehouse per engine is built once for the module (NBA, then NFL, then the NBA again)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spread_eagle.leagues import load_league
from spread_eagle.pipeline.runner import run_daily
from spread_eagle.publish.slate import read_slate, strip_volatile
from spread_eagle.warehouse import connect
from spread_eagle.web.app import create_app
from tests.conftest import (
    FIXTURES,
    _pg_base,
    drop_postgres_database,
    fresh_postgres_database,
    make_settings,
)
from tests.ingest.conftest import season_games_file

DAY = date(2024, 1, 15)
NBA_FILE = FIXTURES / "leagues" / "nba_games_2024-01-10_15.csv"


def _slate(url: str, league: str) -> dict[str, Any]:
    with connect(url) as wh:
        return read_slate(wh, league, DAY)


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def two_leagues(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    base = _pg_base(request.config)
    if request.param == "postgres" and not base:
        pytest.skip("PostgreSQL: run with --postgres or SPREAD_EAGLE_TEST_POSTGRES_URL")
    tmp = tmp_path_factory.mktemp(f"two_leagues_{request.param}")
    url = (
        f"duckdb:///{tmp / 'warehouse.duckdb'}"
        if request.param == "duckdb"
        else fresh_postgres_database(str(base))
    )
    nba = make_settings(tmp, url, league="nba", games_file=NBA_FILE)
    nfl = make_settings(tmp, url, games_file=season_games_file(tmp, 2023))
    try:
        built: dict[str, Any] = {"url": url, "reports": {}, "settings": nfl}
        first = run_daily(nba, run_date=DAY)
        built["nba_first"] = _slate(url, "nba")
        second = run_daily(nfl, run_date=DAY)
        built["nba_after_nfl"], built["nfl_first"] = _slate(url, "nba"), _slate(url, "nfl")
        third = run_daily(nba, run_date=DAY)
        built["nfl_after_nba"], built["nba_again"] = _slate(url, "nfl"), _slate(url, "nba")
        built["reports"] = {"nba": first, "nfl": second, "nba_again": third}
        yield built
    finally:
        if request.param == "postgres":
            drop_postgres_database(url)


@pytest.mark.slow
def test_both_leagues_validate_and_publish_the_same_day(two_leagues: dict[str, Any]) -> None:
    for name, report in two_leagues["reports"].items():
        assert report.ok, (name, report.error)
    nba, nfl = two_leagues["nba_first"], two_leagues["nfl_first"]
    assert nba["league"] == "nba" and len(nba["games"]) == 11
    assert nfl["league"] == "nfl" and [g["game_id"] for g in nfl["games"]] == [
        "2023_19_PIT_BUF",
        "2023_19_PHI_TB",
    ]
    tor = next(g for g in nba["games"] if g["home_team"] == "TOR")
    # the file's favorite and margin as the home handicap; tip-off at the league's default time
    assert tor["game_id"] == "20240115_BOS_TOR" and tor["market"]["spread_home"] == 6.5
    assert tor["kickoff_at"] == "2024-01-16T00:30:00Z"
    assert tor["result"] == {"home_score": 96, "away_score": 105, "home_covered": False}
    versions = {p["model_version"] for g in nba["games"] for p in g["predictions"]}
    assert versions and all("+nba." in v for v in versions)
    assert all(g["tldr"]["grounded"] for g in nba["games"] + nfl["games"])


@pytest.mark.slow
def test_each_leagues_slate_is_unchanged_by_the_others_run(two_leagues: dict[str, Any]) -> None:
    assert (
        two_leagues["nba_after_nfl"] == two_leagues["nba_first"]
    )  # byte for byte: not re-published
    assert two_leagues["nfl_after_nba"] == two_leagues["nfl_first"]
    # re-running the NBA date publishes the same slate (only the run and its time differ)
    assert strip_volatile(two_leagues["nba_again"]) == strip_volatile(two_leagues["nba_first"])


@pytest.mark.slow
def test_each_league_builds_its_own_relations_from_its_own_payloads(
    two_leagues: dict[str, Any],
) -> None:
    with connect(two_leagues["url"]) as wh:
        nfl = {r["league_id"] for r in wh.query("select distinct league_id from facts.fct__game")}
        nba = {
            r["league_id"] for r in wh.query("select distinct league_id from facts_nba.fct__game")
        }
        leagues = {
            r["league"] for r in wh.query("select distinct league from raw.payload_sighting")
        }
        games = wh.query("select home_team_id, away_team_id from facts_nba.fct__game")
    assert (nfl, nba, leagues) == ({"nfl"}, {"nba"}, {"nfl", "nba"})
    teams = {r["home_team_id"] for r in games} | {r["away_team_id"] for r in games}
    assert len(games) == 49 and teams == load_league("nba").teams  # the file's 6 dates


@pytest.mark.slow
def test_the_api_and_ui_serve_each_league(two_leagues: dict[str, Any]) -> None:
    with TestClient(create_app(two_leagues["settings"])) as client:
        for league in ("nba", "nfl"):
            doc = client.get(f"/api/slates/2024-01-15?league={league}").json()
            assert doc == two_leagues[f"{league}_first" if league == "nfl" else "nba_again"]
        page = client.get("/?league=nba")
        assert page.status_code == 200 and "NBA" in page.text and "20240115_BOS_TOR" in page.text
        # the league switch: a link per league, the page's own marked
        assert 'href="/?league=nba" class="on"' in page.text and 'href="/?league=nfl"' in page.text
        assert 'href="/?league=nfl" class="on"' in client.get("/").text
        assert client.get("/api/slates?league=nba").json()[0]["league"] == "nba"
        assert client.get("/?league=cfl").status_code == 400
