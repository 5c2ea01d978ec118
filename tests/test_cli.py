"""The CLI: every command has help; the commands a person types first work and explain themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from spread_eagle.cli import app
from tests.ingest.conftest import season_games_file

COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_the_contract_commands_exist() -> None:
    assert {
        "demo",
        "run-daily",
        "backfill",
        "backtest",
        "slate",
        "status",
        "validate",
        "doctor",
        "serve",
        "ingest",
        "quarantine",
    } <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and len(result.output.splitlines()) > 3


def test_top_level_help_lists_the_steps() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "ingest_slate -> ingest_results" in result.output


@pytest.fixture
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPREAD_EAGLE_DATABASE_URL", raising=False)
    return tmp_path


def test_slate_of_unpublished_date_says_what_to_do(in_tmp: Path) -> None:
    result = CliRunner().invoke(app, ["slate", "--date", "2024-11-24", "--json"])
    assert result.exit_code == 1
    assert "run-daily --date 2024-11-24" in result.output


def test_bad_date_is_a_usage_error(in_tmp: Path) -> None:
    result = CliRunner().invoke(app, ["slate", "--date", "24/11/2024"])
    assert result.exit_code == 2 and "2024-11-24" in result.output


def test_unknown_step_and_league_are_clear_errors(in_tmp: Path) -> None:
    result = CliRunner().invoke(
        app, ["run-daily", "--date", "2024-11-24", "--from-step", "predcit"]
    )
    assert result.exit_code == 1 and "ingest_slate" in result.output
    result = CliRunner().invoke(app, ["run-daily", "--date", "2024-11-24", "--league", "xfl"])
    assert result.exit_code == 1 and "unknown league 'xfl'" in result.output
    for command in (["demo"], ["backtest", "--start-season", "2015", "--end-season", "2016"]):
        extra = ["--out", str(in_tmp / "bt")] if command[0] == "backtest" else []
        result = CliRunner().invoke(app, [*command, *extra, "--league", "xfl"])
        assert result.exit_code == 1 and "known leagues: nba, nfl" in result.output


def test_status_on_a_fresh_checkout(in_tmp: Path) -> None:
    """The default warehouse not created yet is a fresh checkout: no runs, what to run, and
    nothing created (a mistyped path is an error: test_readers_on_a_mistyped_warehouse_path...)."""
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 0 and "spread-eagle demo" in result.output
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0 and json.loads(result.output) == []
    assert not (in_tmp / "data").exists()


@pytest.mark.slow
def test_demo_then_slate_status_validate_doctor(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the demo as a new user runs it: the whole bundled history, not the tests' cut of it
    monkeypatch.delenv("SPREAD_EAGLE_GAMES_FILE")
    monkeypatch.delenv("SPREAD_EAGLE_LINES_FILE")
    runner = CliRunner()
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "2025-02-09" in result.output and "KC @ PHI" in result.output
    assert "spread-eagle serve" in result.output
    assert (in_tmp / "data" / "spread_eagle.duckdb").is_file()

    slate = json.loads(runner.invoke(app, ["slate", "--date", "2025-02-09", "--json"]).output)
    assert [g["game_id"] for g in slate["games"]] == ["2024_22_KC_PHI"]
    assert (
        slate["games"][0]["market"]["spread_home"] == 1.5
    )  # KC favored by 1.5 over designated-home PHI

    status = json.loads(runner.invoke(app, ["status", "--json"]).output)
    assert status[0]["status"] == "succeeded" and len(status[0]["steps"]) == 7
    assert runner.invoke(app, ["validate", "--date", "2025-02-09"]).exit_code == 0
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 0, doctor.output
    assert "dbt debug" in doctor.output


runner = CliRunner()


def test_ingest_then_quarantine_lists_what_was_kept_aside_and_why(tmp_path: Path) -> None:
    games = season_games_file(tmp_path, 2024)
    lines = games.read_text(encoding="utf-8").splitlines()
    broken = [
        line.replace(",KC,", ",Kansas City Chefs,", 1)
        if line.startswith("2024_12_KC_CAR")
        else line
        for line in lines
    ]
    games.write_text("\n".join(broken) + "\n", encoding="utf-8")
    env = {
        "SPREAD_EAGLE_DATABASE_URL": f"duckdb:///{tmp_path / 'w.duckdb'}",
        "SPREAD_EAGLE_GAMES_FILE": str(games),
        "SPREAD_EAGLE_LOG_DIR": str(tmp_path / "logs"),
    }
    result = runner.invoke(app, ["ingest", "--date", "2024-11-24", "--source", "replay"], env=env)
    assert result.exit_code == 0, result.output
    assert "games_scheduled=10" in result.output  # 11 on the date, one quarantined
    listed = runner.invoke(app, ["quarantine", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert (
        "unknown team 'Kansas City Chefs' in away_team" in listed.output
        and "2024_12_KC_CAR" in listed.output
    )
    bad = runner.invoke(app, ["ingest", "--date", "2024-11-24", "--source", "bogus"], env=env)
    assert bad.exit_code == 1 and "not available" in bad.output


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["slate", "--date", "2024-11-24"],
        ["validate", "--date", "2024-11-24"],
        ["quarantine"],
    ],
)
def test_readers_on_a_mistyped_warehouse_path_fail_and_create_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "typo" / "warehuose.duckdb"
    result = CliRunner().invoke(
        app,
        command,
        env={
            "SPREAD_EAGLE_DATABASE_URL": f"duckdb:///{missing}",
            "SPREAD_EAGLE_LOG_DIR": str(tmp_path),
        },
    )
    assert result.exit_code == 1
    assert "warehuose.duckdb" in result.output and "Traceback" not in result.output
    assert not missing.exists() and not missing.parent.exists()
