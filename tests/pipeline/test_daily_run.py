"""The daily run end to end on real data (the bundled nflverse file), on every engine."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from spread_eagle.config import Settings
from spread_eagle.pipeline.runner import run_daily
from spread_eagle.pipeline.steps import STEP_NAMES, STEPS
from spread_eagle.publish.slate import read_slate, strip_volatile
from spread_eagle.run import ledger
from spread_eagle.warehouse import connect

SUNDAY = date(2024, 11, 24)
# nflverse has 11 games on Sunday 2024-11-24 (league-local date): week 12's other two were on
# Thursday (PIT@CLE) and Monday (BAL@LAC).
SUNDAY_GAMES = 11

pytestmark = pytest.mark.slow


def _slate(settings: Settings, day: date = SUNDAY) -> dict:
    with connect(settings.database_url) as wh:
        return read_slate(wh, "nfl", day)


def _table_counts(settings: Settings) -> dict[str, int]:
    tables = [
        "raw.payload",
        "raw.nflverse_game",
        "raw.quarantine",
        "staging.stg__outputs__game_prediction",  # the date's visible (validated) outputs
        "staging.stg__outputs__game_tldr",
        "publish.slate",
        "publish.slate_game",
        "facts.fct__game",
        "facts.fct__market_snapshot",
        "features.feat__game",
        "ui.ui__game_card",
    ]
    with connect(settings.database_url) as wh:
        return {t: wh.scalar(f"select count(*) from {t}") for t in tables}


def test_run_daily_publishes_every_game_with_lines_prediction_and_tldr(
    published_settings: Settings,
) -> None:
    # The shared warehouse is this run: SUNDAY's run-daily from empty, default settings, asserted
    # ok where it was built (tests/conftest.py); what it published and recorded is checked here.
    settings = published_settings
    slate = _slate(settings)
    assert len(slate["games"]) == SUNDAY_GAMES
    for game in slate["games"]:
        assert isinstance(game["market"]["spread_home"], float)
        assert [p["model"] for p in game["predictions"]] == ["market_blend", "ratings"]
        assert all(p["model_version"].startswith(p["model"] + "-") for p in game["predictions"])
        assert game["headline_play"]["model"] == "market_blend"
        assert all("rule" in p and "stake" in p for p in game["predictions"])
        assert game["tldr"]["text"].strip() and game["tldr"]["grounded"] is True
    kc_car = next(g for g in slate["games"] if g["game_id"] == "2024_12_KC_CAR")
    assert kc_car["market"]["spread_home"] == 11.0  # CAR an 11-point home underdog
    assert kc_car["result"] == {"home_score": 27, "away_score": 30, "home_covered": True}
    # games are ordered by kickoff then game_id; SNF (01:20 UTC next day) stays on this date
    keys = [(g["kickoff_at"], g["game_id"]) for g in slate["games"]]
    assert keys == sorted(keys) and keys[-1][1] == "2024_12_PHI_LA"

    with connect(settings.database_url) as wh:
        runs = ledger.recent_runs(wh, limit=1)
    steps = runs[0]["steps"]
    assert [s["step"] for s in steps] == STEP_NAMES
    assert all(s["status"] == "succeeded" for s in steps)
    counts = {s["step"]: s["row_counts"] for s in steps}
    assert counts["ingest_slate"]["games_scheduled"] == SUNDAY_GAMES
    assert counts["predict"]["predictions"] == 2 * SUNDAY_GAMES  # ratings and market_blend
    assert counts["publish"]["games_published"] == SUNDAY_GAMES


def test_rerun_is_idempotent(published_settings: Settings) -> None:
    settings = published_settings  # the first run of SUNDAY published here, from empty
    first, counts = _slate(settings), _table_counts(settings)
    assert run_daily(settings, run_date=SUNDAY).ok
    second = _slate(settings)
    assert first["run_id"] != second["run_id"]
    assert strip_volatile(first) == strip_volatile(second)
    assert json.dumps(first["games"], sort_keys=True) == json.dumps(second["games"], sort_keys=True)
    assert _table_counts(settings) == counts

    if settings.database_url.startswith("duckdb"):
        # the run released the DuckDB file: another process can write to it now
        path = settings.database_url.removeprefix("duckdb:///")
        code = f"import duckdb; duckdb.connect({path!r}).execute('create table ops.other_writer (x int)')"
        assert (
            subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60).returncode
            == 0
        )


def test_failed_step_keeps_previous_slate_and_from_step_completes(
    published_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = published_settings  # SUNDAY published here already
    published = _slate(settings)

    def broken_predict(ctx: object) -> None:
        raise RuntimeError("model store unavailable")

    monkeypatch.setitem(STEPS, "predict", broken_predict)
    report = run_daily(settings, run_date=SUNDAY)
    assert not report.ok and report.failed_step == "predict"
    assert "model store unavailable" in (report.error or "")
    with connect(settings.database_url) as wh:
        run = ledger.recent_runs(wh, limit=1)[0]
    assert run["status"] == "failed" and "predict" in run["error"]
    statuses = {s["step"]: s["status"] for s in run["steps"]}
    assert statuses["predict"] == "failed" and statuses["publish"] == "skipped"
    assert statuses["transform"] == "succeeded"
    assert _slate(settings) == published  # unchanged, same run id and publication time

    monkeypatch.undo()
    resumed = run_daily(settings, run_date=SUNDAY, from_step="predict")
    assert resumed.ok, resumed.error
    with connect(settings.database_url) as wh:
        run = ledger.recent_runs(wh, limit=1)[0]
    statuses = {s["step"]: s["status"] for s in run["steps"]}
    assert statuses["ingest_slate"] == "reused" and statuses["publish"] == "succeeded"
    assert _slate(settings)["run_id"] == resumed.run_id


def test_date_without_games_publishes_an_empty_slate(published_settings: Settings) -> None:
    settings = published_settings
    tuesday = date(2024, 11, 26)
    report = run_daily(settings, run_date=tuesday)
    assert report.ok, report.error
    assert _slate(settings, tuesday)["games"] == []


def test_invalid_run_does_not_publish(settings: Settings, tmp_path: Path) -> None:
    # A games file whose only game of the date has no line: validation must fail, nothing published.
    source = Path(__file__).parents[2] / "src/spread_eagle/data/nflverse_games.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    spread = header.index("spread_line")
    kept = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if cells[0] == "2024_12_BAL_LAC":
            cells[spread] = ""
        if cells[0].startswith(("2023_", "2024_")):
            kept.append(",".join(cells))
    games = tmp_path / "games.csv"
    games.write_text("\n".join(kept) + "\n", encoding="utf-8")
    broken = settings.model_copy(update={"games_file": games})
    report = run_daily(broken, run_date=date(2024, 11, 25))
    assert report.status == "invalid" and report.failed_step == "validate"
    assert "market" in (report.error or "") or "features" in (report.error or "")
    with connect(settings.database_url) as wh, pytest.raises(LookupError):
        read_slate(wh, "nfl", date(2024, 11, 25))


def test_an_older_date_run_after_a_newer_one_is_not_left_behind_the_incremental_window(
    published_duckdb_settings: Settings,
) -> None:
    # 2024-09-22 has a second book (the open/close sheet) besides nflverse's close; its snapshots
    # arrive after 2024-11-24 was built (from empty, in the shared published warehouse), far behind
    # that build's high-water mark.
    duckdb_settings = published_duckdb_settings
    assert run_daily(duckdb_settings, run_date=date(2024, 9, 22)).ok
    games = _slate(duckdb_settings, date(2024, 9, 22))["games"]
    assert len(games) == 13
    assert all(g["market"]["books"] == 2 for g in games)
    assert all(g["market"]["open_spread_home"] is not None for g in games)
