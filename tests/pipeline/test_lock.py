"""A second run of the same league and date cannot interleave with the first."""

from __future__ import annotations

from datetime import date

from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.config import Settings
from spread_eagle.warehouse import connect


def test_second_run_of_the_same_date_is_refused(duckdb_settings: Settings, monkeypatch) -> None:
    monkeypatch.setenv("SPREAD_EAGLE_DATABASE_URL", duckdb_settings.database_url)
    monkeypatch.setenv("SPREAD_EAGLE_LOG_DIR", str(duckdb_settings.log_dir))
    holder = connect(duckdb_settings.database_url)
    try:
        with holder.run_lock(f"nfl_{date(2024, 11, 24).isoformat()}"):
            result = CliRunner().invoke(app, ["run-daily", "--date", "2024-11-24"])
        assert result.exit_code == 1
        assert "already in progress" in result.output and "wait for it" in result.output
    finally:
        holder.close()
