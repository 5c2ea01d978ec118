"""Settings come from the environment and .env; secrets never reach a log line, an error or status."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.config import Settings
from spread_eagle.logging import configure_logging, log_context
from spread_eagle.redact import redact_url

SECRET = "sk-live-0123456789abcdef"


def test_defaults_and_env_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.database_url == "duckdb:///data/spread_eagle.duckdb"
    assert settings.llm_provider == "offline" and settings.odds_provider == "replay"
    monkeypatch.setenv("SPREAD_EAGLE_ODDS_PROVIDER", "odds_api")
    monkeypatch.setenv("ODDS_API_KEY", SECRET)
    settings = Settings()
    assert settings.odds_provider == "odds_api"
    assert settings.odds_api_key is not None and settings.odds_api_key.get_secret_value() == SECRET
    assert SECRET not in repr(settings) and SECRET not in str(settings.redacted())


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SPREAD_EAGLE_ENV=staging\nSPREAD_EAGLE_LLM_PROVIDER=ollama\n")
    settings = Settings()
    assert settings.env == "staging" and settings.llm_provider == "ollama"


def test_the_env_example_sets_the_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """.env.example says "these are the defaults unless noted": copying it changes nothing."""
    example = Path(__file__).resolve().parent.parent / ".env.example"
    assigned = [
        line.split("=", 1)[0]
        for line in example.read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert "SPREAD_EAGLE_MODEL_NAME" in assigned
    for name in assigned:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    copied = Settings(_env_file=example).model_dump()  # type: ignore[call-arg]
    defaults = Settings(_env_file=None).model_dump()  # type: ignore[call-arg]
    assert {k: v for k, v in copied.items() if v != defaults[k]} == {}


def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SPREAD_EAGLE_DATABASE_URL", "mysql://x")
    with pytest.raises(ValueError, match="SPREAD_EAGLE_DATABASE_URL"):
        Settings()
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code != 0 and "SPREAD_EAGLE_DATABASE_URL" in result.output


def test_secrets_never_reach_logs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = configure_logging(log_dir=tmp_path, secrets=[SECRET, "hunter2"])
    log = logging.getLogger("spread_eagle.test")
    with log_context(run_id="r1", step="ingest_slate"):
        log.info("GET https://api.example/v4/odds?apiKey=%s&regions=us", SECRET)
        try:
            raise RuntimeError(f"401 for key {SECRET}")
        except RuntimeError:
            log.exception("request failed")
        log.warning("password hunter2 rejected")
    assert path is not None
    text = path.read_text()
    records = [json.loads(line) for line in text.splitlines()]
    assert SECRET not in text and "hunter2" not in text
    console = capsys.readouterr().err
    assert SECRET not in console and "request failed: 401 for key ***" in console
    assert all(r["run_id"] == "r1" and r["step"] == "ingest_slate" for r in records)
    assert "apiKey=***" in records[0]["message"]
    # the exception's traceback is in the file's record (redacted), never on the console
    failed = records[1]
    assert failed["message"] == "request failed: 401 for key ***"
    assert failed["traceback"].startswith("Traceback (most recent call last):")
    assert "test_secrets_never_reach_logs" in failed["traceback"]
    assert failed["traceback"].endswith("RuntimeError: 401 for key ***")
    assert all("traceback" not in r for r in (records[0], records[2]))
    assert "Traceback" not in console


def test_database_password_is_redacted() -> None:
    assert (
        redact_url("postgresql://se:pa55w0rd@db.example:5432/prod")
        == "postgresql://se:***@db.example:5432/prod"
    )
    assert "abc" not in redact_url("https://api.the-odds-api.com/v4/sports?apiKey=abc&regions=us")


def test_status_and_errors_do_not_show_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ODDS_API_KEY", SECRET)
    monkeypatch.setenv("SPREAD_EAGLE_DATABASE_URL", "postgresql://se:pa55w0rd@127.0.0.1:1/nowhere")
    runner = CliRunner()
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert "cannot connect" in result.output
    assert "pa55w0rd" not in result.output and SECRET not in result.output
    logs = "".join(p.read_text() for p in (tmp_path / "logs").glob("*.jsonl"))
    assert "pa55w0rd" not in logs and SECRET not in logs
