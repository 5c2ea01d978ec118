"""`doctor`: RUNBOOK section 8 scenario by scenario, each check with what it looked at and the
command that fixes it; never writes (read-only, never migrates); exit 1 on any failure."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.doctor import SCENARIOS
from spread_eagle.warehouse import connect, duckdb_path
from spread_eagle.warehouse.base import load_migrations

LATEST = max(m.version for m in load_migrations())

pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SPREAD_EAGLE_LOG_DIR", str(tmp_path / "logs"))
    for name in ("SPREAD_EAGLE_ODDS_PROVIDER", "ODDS_API_KEY", "SPREAD_EAGLE_LLM_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def doctor(*args: str) -> Any:
    return CliRunner().invoke(app, ["doctor", *args])


def _fingerprint(url: str) -> str:
    """What doctor must leave unchanged: the DuckDB file's bytes, or the ledger and migrations."""
    if url.startswith("duckdb://"):
        return hashlib.sha256(duckdb_path(url).read_bytes()).hexdigest()
    with connect(url, read_only=True) as wh:
        return str(
            wh.query(
                "select (select count(*) from ops.run) as runs,"
                " (select max(version) from ops.schema_migration) as version,"
                " (select count(*) from information_schema.tables) as relations"
            )
        )


def test_doctor_on_a_published_warehouse_checks_every_scenario_and_writes_nothing(
    env: pytest.MonkeyPatch, published_url: str
) -> None:
    env.setenv("SPREAD_EAGLE_DATABASE_URL", published_url)
    before = _fingerprint(published_url)
    result = doctor("--date", "2024-11-24")
    assert result.exit_code == 0, result.output
    for scenario in [*SCENARIOS, "date 2024-11-24"]:
        assert scenario in result.output, scenario
    for name in (
        "target schemas",
        "relations and materializations",
        "dbt connection",
        "migrations",
        "odds",
        "date and timezone",
        "llm provider",
        "newest predict",
        "schedule stored",
        "scheduled_games_in_fct_game",
        "market_snapshot_per_game",
        "prediction_per_game",
        "grounded_tldr_per_game",
        "publication",
    ):
        assert name in result.output, name
    assert "FAIL" not in result.output and "0 failed" in result.output
    assert "profile, project and connection ok" in result.output
    assert _fingerprint(published_url) == before

    never = doctor("--date", "2024-11-17")
    assert never.exit_code == 1
    assert "no schedule of the date was ever fetched" in never.output
    assert "fix: spread-eagle run-daily --date 2024-11-17" in never.output
    assert _fingerprint(published_url) == before


def test_doctor_finds_a_wrong_materialization_and_never_migrates(
    env: pytest.MonkeyPatch, published_url: str
) -> None:
    env.setenv("SPREAD_EAGLE_DATABASE_URL", published_url)
    with connect(published_url) as wh:
        wh.execute("drop table features.feat__game")
        wh.execute("create view features.feat__game as select 1 as game_id")
        wh.execute("delete from ops.schema_migration where version = ?", (LATEST,))
    result = doctor()
    assert result.exit_code == 1
    assert "features.feat__game is a view, dbt_project.yml says table" in result.output
    assert "dbt build --full-refresh --select feat__game" in result.output
    assert f"this version needs {LATEST} (doctor never migrates)" in result.output
    with connect(published_url, read_only=True, verify_schema=False) as wh:
        count = "select count(*) from ops.schema_migration where version = ?"
        assert wh.scalar(count, (LATEST,)) == 0


def test_doctor_fails_the_odds_api_without_a_key_and_an_llm_that_cannot_answer(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "w.duckdb"
    env.setenv("SPREAD_EAGLE_DATABASE_URL", f"duckdb:///{missing}")
    fine = doctor()
    assert fine.exit_code == 0, fine.output  # nothing run yet is not a failure...
    assert "no DuckDB warehouse" in fine.output and "fix: spread-eagle demo" in fine.output
    assert not missing.exists() and not missing.parent.exists()  # ...and doctor creates nothing

    env.setenv("SPREAD_EAGLE_ODDS_PROVIDER", "odds_api")
    no_key = doctor()
    assert no_key.exit_code == 1
    assert "ODDS_API_KEY is not set" in no_key.output
    assert "fix: export ODDS_API_KEY=" in no_key.output
    env.setenv("ODDS_API_KEY", "k-123")
    keyed = doctor()
    assert keyed.exit_code == 0, keyed.output
    assert "k-123" not in keyed.output

    env.setenv("SPREAD_EAGLE_LLM_PROVIDER", "ollama")
    env.setenv("SPREAD_EAGLE_LLM_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    down = doctor()
    assert down.exit_code == 1
    assert "cannot reach http://127.0.0.1:9/api/tags" in down.output
    assert "SPREAD_EAGLE_LLM_PROVIDER=offline" in down.output

    env.setenv("SPREAD_EAGLE_LLM_PROVIDER", "openai")
    env.delenv("OPENAI_API_KEY", raising=False)
    no_llm_key = doctor()
    assert no_llm_key.exit_code == 1 and "OPENAI_API_KEY" in no_llm_key.output


def test_the_llm_probe_reads_the_model_list(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import httpx

    from spread_eagle.doctor import run_doctor
    from tests.conftest import make_settings

    seen: list[httpx.Request] = []

    def answer(status: int) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(status, json={"data": []})

        return httpx.MockTransport(handler)

    settings = make_settings(
        tmp_path,
        f"duckdb:///{tmp_path / 'w.duckdb'}",
        llm_provider="anthropic",
        anthropic_api_key="sk-test",
    )
    ok = [c for c in run_doctor(settings, llm_transport=answer(200)) if c.name == "llm provider"]
    assert ok[0].level == "ok" and seen[-1].url.path == "/v1/models"
    assert seen[-1].method == "GET" and seen[-1].headers["x-api-key"] == "sk-test"
    refused = [
        c for c in run_doctor(settings, llm_transport=answer(401)) if c.name == "llm provider"
    ]
    assert refused[0].level == "fail" and "refused the key (HTTP 401)" in refused[0].detail
    assert "sk-test" not in refused[0].detail
