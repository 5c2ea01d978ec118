"""The stored payload names each side's starting quarterback and coach and carries every
configured model's numbers, and is as of its run's clock; `spread-eagle summarize` writes a date's
TL;DRs again as a run."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spread_eagle import cli
from spread_eagle.cli import app
from spread_eagle.config import Settings
from spread_eagle.ingest.steps import ingest_results, ingest_slate
from spread_eagle.leagues import load_league
from spread_eagle.predict.step import predict
from spread_eagle.run import RunContext, ledger
from spread_eagle.summarize.context import stored_payload
from spread_eagle.summarize.step import summarize
from spread_eagle.transform.step import transform
from spread_eagle.warehouse import connect
from tests.conftest import make_settings
from tests.ingest.conftest import season_games_file

pytestmark = pytest.mark.slow

# A Sunday the bundled open/close sheet covers (it ends 2024-09-23), so its games have an opener
# (captured 6 days before kickoff) before the close (5 minutes before) arrives.
WEEK_3 = date(2024, 9, 22)
WEEK_3_NOON = datetime(2024, 9, 22, 16, 0, tzinfo=UTC)  # noon in New York, before any kickoff


def test_the_payload_names_quarterbacks_coaches_and_every_model(published_url: str) -> None:
    with connect(published_url) as wh:
        (row,) = stored_payload(wh, "2024_12_KC_CAR")
    payload = json.loads(row["context_json"])
    assert payload["teams"]["away"]["quarterback"] == "Patrick Mahomes"
    assert payload["teams"]["home"]["quarterback"] == "Andy Dalton"
    assert (payload["teams"]["away"]["coach"], payload["teams"]["home"]["coach"]) == (
        "Andy Reid",
        "Dave Canales",
    )
    assert {m["name"] for m in payload["models"]} == {"ratings", "market_blend"}
    assert all(m["model_version"] for m in payload["models"])


def test_summarize_command_rewrites_a_dates_tldrs_as_a_run(
    published_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"SPREAD_EAGLE_DATABASE_URL": published_url, "SPREAD_EAGLE_LOG_DIR": str(tmp_path)}
    bad = CliRunner().invoke(
        app, ["summarize", "--date", "2024-11-24", "--provider", "gpt"], env=env
    )
    assert bad.exit_code == 1 and "offline, openai, anthropic, ollama" in bad.output
    done = CliRunner().invoke(
        app, ["summarize", "--date", "2024-11-24", "--provider", "offline"], env=env
    )
    assert done.exit_code == 0, done.output
    with connect(published_url) as wh:
        run = ledger.recent_runs(wh, limit=1)[0]
    steps = {s["step"]: s["status"] for s in run["steps"]}
    assert run["command"].startswith("summarize") and run["resumed_from"]
    assert steps["predict"] == "reused" and steps["summarize"] == "succeeded"
    assert steps["publish"] == "succeeded"
    # `status` shows the run's LLM totals: the published run's TL;DRs came from the cache
    totals = "offline tldr_v1: 11/11 grounded, 0 calls, 11 cached"
    listed = json.loads(CliRunner().invoke(app, ["status", "--json"], env=env).output)
    summarize_step = next(s for s in listed[0]["steps"] if s["step"] == "summarize")
    assert summarize_step["llm_status"].startswith(totals)
    # the table wraps its cells to the console's width, which rich fixes when the CLI is imported
    monkeypatch.setattr(cli.out, "width", 300)
    shown = CliRunner().invoke(app, ["status"], env=env)
    assert totals in shown.output


def _run_payloads(settings: Settings, as_of: datetime | None) -> dict[str, dict]:
    """The payloads a run of WEEK_3 at `as_of` (default: the morning after) stores beside its
    TL;DRs, through the daily run's own steps up to summarize."""
    with connect(settings.database_url) as wh:
        wh.migrate()
        ctx = RunContext.new(settings, wh, load_league("nfl"), WEEK_3, as_of)
        for step in (ingest_slate, ingest_results, transform, predict, summarize):
            step(ctx)
        rows = wh.query(
            "select game_id, context_json from outputs.game_tldr where run_id = ?", (ctx.run_id,)
        )
    return {r["game_id"]: json.loads(r["context_json"]) for r in rows}


def test_a_run_before_kickoff_sees_no_result_and_no_later_line(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
        games_file=season_games_file(tmp_path, 2024),
    )
    early = _run_payloads(settings, WEEK_3_NOON)
    with connect(settings.database_url) as wh:
        seen = wh.query(
            "select g.status, g.home_score, f.spread_home_close, f.total_close"
            " from facts.fct__game g join features.feat__game f on f.game_id = g.game_id"
            " where g.game_date = ?",
            (WEEK_3,),
        )
    later = _run_payloads(settings, None)  # the closing lines and results have arrived
    assert len(seen) == len(early) == 13 and early.keys() == later.keys()
    assert all(s["status"] == "scheduled" and s["home_score"] is None for s in seen)
    assert all(s["spread_home_close"] is None and s["total_close"] is None for s in seen)
    for game, payload in early.items():
        spread, total = payload["market"]["spread"], payload["market"]["total"]
        assert spread["current"] == spread["open"] and total["current"] == total["open"], game
        # week 3, no byes yet: each side's season is its two earlier games, never this one
        for run in (payload, later[game]):
            assert [t["season"]["games"] for t in run["teams"].values()] == [2, 2], game
    # the morning after, the closing lines that arrived since are the current ones
    moved = later["2024_03_MIA_SEA"]["market"]["spread"]
    assert (early["2024_03_MIA_SEA"]["market"]["spread"]["current"], moved["current"]) == (
        1.0,
        -4.0,
    )
