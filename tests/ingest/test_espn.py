"""ESPN scoreboard provider against a local server replaying the real mid-Sunday 2022 week 8 capture:
the date's games are the slate, only finals become results, statuses are kept."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from spread_eagle.leagues import load_league
from spread_eagle.pipeline.runner import run_ingest
from spread_eagle.transform.dbt_runner import run_dbt
from spread_eagle.warehouse import connect
from tests.conftest import make_settings
from tests.ingest.conftest import Reply, Scripted, fixture_text, season_games_file

SCOREBOARD = "/apis/site/v2/sports/football/nfl/scoreboard"


def test_finals_become_results_in_progress_and_scheduled_do_not(
    tmp_path: Path, warehouse_url: str, http_server: Scripted
) -> None:
    http_server.route(
        SCOREBOARD, Reply(body=fixture_text("scoreboard.nfl_2022w8_mixed_status.json"))
    )
    settings = make_settings(
        tmp_path,
        warehouse_url,
        schedule_provider="espn",
        results_provider="espn",
        espn_base_url=http_server.url,
        games_file=season_games_file(tmp_path, 2022),
    )
    report = run_ingest(
        settings, run_date=date(2022, 10, 30), as_of=datetime(2022, 10, 30, 21, 0, tzinfo=UTC)
    )
    assert report.ok, report.error
    assert (
        report.counts["ingest_slate"]["games_scheduled"] == 13
    )  # 10-30 local, incl. GB@BUF at 00:20 UTC
    assert all("dates=20221030" in q for p, q, _ in http_server.requests if p == SCOREBOARD)
    with connect(settings.database_url) as wh:
        assert wh.scalar("select count(*) from raw.espn_event") == 15
        assert (
            wh.scalar("select count(*) from raw.payload where source = 'espn'") == 1
        )  # one scoreboard, stored once
        outcome = run_dbt(  # the league's vars, as a run passes them (and its parse is kept)
            wh,
            ["build", "--select", "+int__game__conformed"],
            league=load_league("nfl"),
            work_dir=tmp_path / "dbt",
        )
        assert outcome.success, [n.message for n in outcome.failures()]
    with connect(settings.database_url) as wh:
        games = {
            r["game_id"]: r
            for r in wh.query(
                "select game_id, status, home_score, away_score from intermediate.int__game__conformed"
            )
        }
    statuses = sorted(r["status"] for r in games.values())
    assert (
        statuses.count("final") == 9
        and statuses.count("in_progress") == 4
        and statuses.count("scheduled") == 2
    )
    assert games["2022_08_CAR_ATL"] == {
        "game_id": "2022_08_CAR_ATL",
        "status": "final",
        "home_score": 37,
        "away_score": 34,
    }
    # in progress (HOU 3 - TEN 7 at the half) and scheduled games carry no result
    assert (
        games["2022_08_TEN_HOU"]["status"] == "in_progress"
        and games["2022_08_TEN_HOU"]["home_score"] is None
    )
    assert (
        games["2022_08_GB_BUF"]["status"] == "scheduled"
        and games["2022_08_GB_BUF"]["home_score"] is None
    )
    assert all((r["home_score"] is not None) == (r["status"] == "final") for r in games.values())
