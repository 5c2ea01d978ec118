"""The stored payload names each side's starting quarterback and coach and carries every
configured model's numbers; `spread-eagle summarize` writes a date's TL;DRs again as a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.run import ledger
from spread_eagle.summarize.context import stored_payload
from spread_eagle.warehouse import connect

pytestmark = pytest.mark.slow


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
    published_url: str, tmp_path: Path
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
