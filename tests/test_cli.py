"""The CLI: every command has help; `ingest` and `quarantine` work through the library."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from tests.ingest.conftest import season_games_file

runner = CliRunner()
COMMANDS = ["demo", "run-daily", "backfill", "backtest", "slate", "status", "validate", "doctor", "serve", "ingest",
            "quarantine"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and "--help" in result.output


def test_ingest_then_quarantine_lists_what_was_kept_aside_and_why(tmp_path: Path) -> None:
    games = season_games_file(tmp_path, 2024)
    lines = games.read_text(encoding="utf-8").splitlines()
    broken = [line.replace(",KC,", ",Kansas City Chefs,", 1) if line.startswith("2024_12_KC_CAR") else line
              for line in lines]
    games.write_text("\n".join(broken) + "\n", encoding="utf-8")
    env = {"SPREAD_EAGLE_DATABASE_URL": f"duckdb:///{tmp_path / 'w.duckdb'}", "SPREAD_EAGLE_GAMES_FILE": str(games),
           "SPREAD_EAGLE_LOG_DIR": str(tmp_path / "logs")}
    result = runner.invoke(app, ["ingest", "--date", "2024-11-24", "--source", "replay"], env=env)
    assert result.exit_code == 0, result.output
    assert "games_scheduled=10" in result.output  # 11 on the date, one quarantined
    listed = runner.invoke(app, ["quarantine", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "unknown team 'Kansas City Chefs' in away_team" in listed.output and "2024_12_KC_CAR" in listed.output
    bad = runner.invoke(app, ["ingest", "--date", "2024-11-24", "--source", "bogus"], env=env)
    assert bad.exit_code == 1 and "not available" in bad.output
