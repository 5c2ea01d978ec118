"""The runbook's core promises, each as it was once broken (issue: integrity), on every engine:
validation cannot pass on nothing, publish only what validated, a run's clock decides what it sees,
dbt by hand reaches the configured database, and a failing run leaves the date's outputs alone."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.pipeline.runner import run_daily
from spread_eagle.pipeline.steps import STEPS
from spread_eagle.publish.slate import read_slate, strip_volatile
from spread_eagle.run import ledger
from spread_eagle.transform.dbt_runner import DBT_PROJECT_DIR
from spread_eagle.warehouse import connect
from tests.conftest import make_settings
from tests.transform.helpers import seasons, write_games

SUNDAY = date(2024, 11, 24)
MONDAY = date(2024, 11, 25)  # BAL @ LAC, 8:15 pm ET: kickoff 2024-11-26 01:15Z, close at 01:10Z
MONDAY_BEFORE_KICKOFF = datetime(2024, 11, 26, 1, 12, tzinfo=UTC)

pytestmark = pytest.mark.slow


def _cli(url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {"SPREAD_EAGLE_DATABASE_URL": url, "SPREAD_EAGLE_LOG_DIR": str(tmp_path / "cli-logs")}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def _visible_outputs(url: str) -> dict[str, set[str]]:
    """Run ids of the outputs dbt and the UI read for SUNDAY (the validated run's)."""
    with connect(url) as wh:
        return {
            table: {
                r["run_id"]
                for r in wh.query(
                    f"select distinct run_id from staging.{table} where run_date = ?", (SUNDAY,)
                )
            }
            for table in ("stg__outputs__game_prediction", "stg__outputs__game_tldr")
        }


def test_validate_fails_for_a_date_never_run(published_url: str, tmp_path: Path) -> None:
    code, output = _cli(published_url, tmp_path, "validate", "--date", MONDAY.isoformat())
    assert code == 1
    assert "no schedule of nfl 2024-11-25 is stored" in output
    assert "run-daily --date 2024-11-25" in output
    code, output = _cli(published_url, tmp_path, "validate", "--date", SUNDAY.isoformat())
    assert code == 0, output
    assert "11 scheduled games" in output


def test_from_step_on_a_date_never_ingested_says_what_to_run_first(
    published_url: str, tmp_path: Path
) -> None:
    code, output = _cli(
        published_url, tmp_path, "run-daily", "--date", "2024-12-01", "--from-step", "predict"
    )
    assert code == 1
    assert "cannot resume nfl 2024-12-01 at predict" in output
    assert "spread-eagle run-daily --date 2024-12-01" in output
    with connect(published_url) as wh:
        assert (
            wh.scalar("select count(*) from publish.slate where run_date = ?", (date(2024, 12, 1),))
            == 0
        )


def test_from_step_publish_revalidates_and_never_publishes_an_ungrounded_tldr(
    published_url: str, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, published_url)
    with connect(published_url) as wh:
        before = read_slate(wh, "nfl", SUNDAY)
        wh.execute(
            "update outputs.game_tldr set is_grounded = false where game_id = '2024_12_KC_CAR'"
        )
    report = run_daily(settings, run_date=SUNDAY, from_step="publish")
    assert report.status == "invalid" and report.failed_step == "publish"
    assert "2024_12_KC_CAR" in (report.error or "")
    with connect(published_url) as wh:
        assert read_slate(wh, "nfl", SUNDAY) == before
        run = ledger.recent_runs(wh, limit=1)[0]
    statuses = {s["step"]: s["status"] for s in run["steps"]}
    assert statuses["validate"] == "reused" and statuses["publish"] == "failed"
    assert run["resumed_from"] == before["run_id"]


def test_a_failing_run_leaves_the_dates_outputs_as_they_were(
    published_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path, published_url)
    visible = _visible_outputs(published_url)

    def broken_summarize(ctx: object) -> None:
        raise RuntimeError("LLM down")

    monkeypatch.setitem(STEPS, "summarize", broken_summarize)
    report = run_daily(settings, run_date=SUNDAY, from_step="predict")
    assert not report.ok and report.failed_step == "summarize"
    with connect(published_url) as wh:
        written = wh.scalar(
            "select count(*) from outputs.game_prediction where run_id = ?", (report.run_id,)
        )
    models = len(settings.model_list)
    assert written == 11 * models  # the failed run's predictions are kept, traceable to it...
    assert _visible_outputs(published_url) == visible  # ...but the date still shows the old ones


def test_an_early_clock_on_a_warm_warehouse_sees_what_a_fresh_one_does(
    published_url: str, warehouse_url: str, tmp_path: Path
) -> None:
    warm = make_settings(tmp_path / "warm", published_url)
    assert run_daily(warm, run_date=MONDAY).ok  # default clock: BAL @ LAC final
    assert run_daily(warm, run_date=MONDAY, as_of=MONDAY_BEFORE_KICKOFF).ok
    fresh = make_settings(tmp_path / "fresh", warehouse_url)
    assert run_daily(fresh, run_date=MONDAY, as_of=MONDAY_BEFORE_KICKOFF).ok
    with connect(published_url) as wh:
        warm_slate = read_slate(wh, "nfl", MONDAY)
    with connect(warehouse_url) as wh:
        fresh_slate = read_slate(wh, "nfl", MONDAY)
    (game,) = warm_slate["games"]
    assert game["status"] == "scheduled" and game["result"] is None
    assert game["market"]["captured_at"] <= "2024-11-26T01:12:00Z"
    assert strip_volatile(warm_slate) == strip_volatile(fresh_slate)


def test_quarantined_schedule_records_fail_the_run_unless_accepted(
    warehouse_url: str, tmp_path: Path
) -> None:
    def broken(row: dict[str, str]) -> dict[str, str] | None:
        kept = seasons(2023, 2024)(row)
        if kept and kept["game_id"] == "2024_12_KC_CAR":
            kept["home_team"] = "XYZ"
        if kept and kept["game_id"] == "2024_12_TB_NYG":
            kept["spread_line"] = "95"
        return kept

    games = write_games(tmp_path / "games.csv", broken)
    settings = make_settings(tmp_path, warehouse_url, games_file=games)
    report = run_daily(settings, run_date=SUNDAY)
    assert report.status == "invalid" and report.failed_step == "validate"
    error = report.error or ""
    assert "2 scheduled games were quarantined" in error
    assert "2024_12_KC_CAR" in error and "unknown team 'XYZ'" in error
    assert "2024_12_TB_NYG" in error and "spread_line 95" in error
    with connect(warehouse_url) as wh:
        assert not wh.scalar("select count(*) from publish.slate")

    accepted = run_daily(settings, run_date=SUNDAY, accept_quarantined=True)
    assert accepted.ok, accepted.error
    with connect(warehouse_url) as wh:
        assert len(read_slate(wh, "nfl", SUNDAY)["games"]) == 9
        run = ledger.recent_runs(wh, limit=1)[0]
        check = wh.scalar(
            "select detail from ops.validation where run_id = ? and check_name = 'schedule_records_usable'",
            (accepted.run_id,),
        )
    assert run["accept_quarantined"] is True
    assert "2 quarantined schedule records accepted" in check


def test_dbt_by_hand_reaches_the_configured_database(published_url: str, tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SPREAD_EAGLE_DBT", "SPREAD_EAGLE_PG_", "SPREAD_EAGLE_DUCKDB"))
    }
    # dbt's log goes to the test's folder, not dbt/logs in the checkout.
    env.update(
        DO_NOT_TRACK="1", SPREAD_EAGLE_DATABASE_URL=published_url, DBT_LOG_PATH=str(tmp_path)
    )
    dbt = Path(sys.executable).parent / "dbt"
    done = subprocess.run(
        [str(dbt), "debug", "--profiles-dir", "."],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    if published_url.startswith("duckdb"):
        assert f"path: {published_url.removeprefix('duckdb:///')}" in done.stdout
    else:
        assert f"database: {published_url.rpartition('/')[2]}" in done.stdout
    assert "Connection test: [OK connection ok]" in done.stdout.replace("\x1b[32m", "").replace(
        "\x1b[0m", ""
    )
