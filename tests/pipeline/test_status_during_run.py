"""`status` while a DuckDB run holds the warehouse (found by the fault matrix's readers case: it
opened the file read-only and failed with "cannot open the DuckDB file", and a reader that opens
the file while a run reopens it can fail the run). It reads the runs snapshot the run rewrites at
its start and after every step, and never opens the file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.config import Settings
from spread_eagle.pipeline.runner import run_daily
from spread_eagle.publish.documents import reader_for
from spread_eagle.run import RunContext, StepOutcome, ledger
from spread_eagle.warehouse import WarehouseBusyError, connect, duckdb_path

DAY = date(2024, 11, 24)


def _ok(ctx: RunContext) -> StepOutcome:
    return StepOutcome(counts={"ok": 1})


def test_the_runs_snapshot_follows_the_run_step_by_step(duckdb_settings: Settings) -> None:
    seen: list[dict] = []

    def look(ctx: RunContext) -> StepOutcome:
        reader = reader_for(ctx.settings.database_url)
        try:
            seen.append(reader.runs()[0])
        finally:
            reader.close()
        return StepOutcome()

    report = run_daily(duckdb_settings, run_date=DAY, steps={"first": _ok, "second": look})
    assert report.ok, report.error
    run = seen[0]
    assert (run["run_id"], run["status"]) == (report.run_id, ledger.RUNNING)
    assert [(s["step"], s["status"]) for s in run["steps"]] == [
        ("first", ledger.SUCCEEDED),
        ("second", ledger.PENDING),
    ]


def test_status_reads_the_snapshot_while_a_run_holds_the_duckdb_file(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    assert run_daily(duckdb_settings, run_date=DAY, steps={"first": _ok}).ok
    url = duckdb_settings.database_url
    env = {"SPREAD_EAGLE_DATABASE_URL": url, "SPREAD_EAGLE_LOG_DIR": str(tmp_path / "status")}
    holder = connect(url)
    held = duckdb.connect(str(duckdb_path(url)))  # as a running pipeline holds it
    try:
        with holder.run_lock("nfl_2024-12-01"):
            shown = CliRunner().invoke(app, ["status", "--json"], env=env)
            text = CliRunner().invoke(app, ["status"], env=env)
    finally:
        held.close()
        holder.close()
    assert shown.exit_code == 0, shown.output
    assert "a run holds the warehouse (nfl_2024-12-01 (pid " in shown.stderr
    runs = json.loads(shown.stdout)
    assert runs[0]["status"] == ledger.SUCCEEDED and runs[0]["steps"][0]["step"] == "first"
    assert text.exit_code == 0 and "succeeded" in text.stdout, text.output

    # no run holding it: status reads the warehouse itself, as before
    again = CliRunner().invoke(app, ["status", "--json"], env=env)
    assert again.exit_code == 0 and "a run holds" not in again.stderr
    assert json.loads(again.stdout)[0]["run_id"] == runs[0]["run_id"]


def test_no_reader_opens_the_duckdb_file_while_a_run_holds_it(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    """Every other reading command says a run is writing and exits 1 without opening the file;
    slate reads the published files as ever."""
    assert run_daily(duckdb_settings, run_date=DAY, steps={"first": _ok}).ok
    url = duckdb_settings.database_url
    env = {"SPREAD_EAGLE_DATABASE_URL": url, "SPREAD_EAGLE_LOG_DIR": str(tmp_path / "readers")}
    holder = connect(url)
    try:
        with holder.run_lock("nfl_2024-12-01"):
            holder.close()  # between two dbt calls: the run holds its lock, not the file
            results = {
                name: CliRunner().invoke(app, args, env=env)
                for name, args in {
                    "validate": ["validate", "--date", DAY.isoformat()],
                    "quarantine": ["quarantine"],
                    "corrections": ["corrections"],
                }.items()
            }
            # models lists the configured versions it knows without the warehouse, and says why
            # it shows no stored ones
            models = CliRunner().invoke(app, ["models"], env=env)
            with pytest.raises(WarehouseBusyError, match="nfl_2024-12-01"):
                connect(url, read_only=True).query("select 1")
            # the file is free: a reader that had opened it would have taken it from the run
            probe = duckdb.connect(str(duckdb_path(url)))
            probe.close()
    finally:
        holder.close()
    assert models.exit_code == 0 and "a run is writing the DuckDB warehouse" in models.output
    for name, result in results.items():
        assert result.exit_code == 1, (name, result.output)
        lines = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(lines) == 1 and "a run is writing the DuckDB warehouse" in lines[0], name
        assert "nfl_2024-12-01" in lines[0] and "Traceback" not in result.output, name
