"""The run loop over a batch of runs (`execute_batch`, what a backfill uses): the runs before the
one a batch step fails for are recorded done, that one failed like a run of its own, the rest
left pending; a batch that succeeds records every run's own outcome."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from spread_eagle.leagues import load_league
from spread_eagle.pipeline.runner import execute_batch, open_run
from spread_eagle.run import RunContext, StepFailedError, StepOutcome, ledger
from spread_eagle.warehouse import connect
from tests.conftest import make_settings

DAYS = [date(2024, 11, 21), date(2024, 11, 24), date(2024, 11, 25)]
PG_URL = "postgresql://u@db.example:5433/w"


def _runs(tmp_path: Path) -> list[RunContext]:
    settings = make_settings(tmp_path, f"duckdb:///{tmp_path / 'w.duckdb'}")
    wh = connect(settings.database_url)
    wh.migrate()
    ctxs = [RunContext.new(settings, wh, load_league("nfl"), day) for day in DAYS]
    for ctx in ctxs:
        open_run(ctx, None, "backfill")
    return ctxs


def _steps(ctx: RunContext) -> dict[str, dict[str, object]]:
    run = ledger.recent_runs(ctx.warehouse, run_date=ctx.run_date)[0]
    return {s["step"]: s for s in run["steps"]} | {"run": run}


def test_every_run_of_a_batch_gets_its_own_outcome(tmp_path: Path) -> None:
    ctxs = _runs(tmp_path)

    def step(batch: list[RunContext]) -> Iterator[StepOutcome]:
        for n, _ in enumerate(batch):
            yield StepOutcome(counts={"n": n}, model_version="m-1")

    outcomes = execute_batch(ctxs, "predict", step)
    assert [o.counts for o in outcomes] == [{"n": 0}, {"n": 1}, {"n": 2}]
    for n, ctx in enumerate(ctxs):
        predict = _steps(ctx)["predict"]
        assert (predict["status"], predict["row_counts"], predict["model_version"]) == (
            "succeeded",
            {"n": n},
            "m-1",
        )
    ctxs[0].warehouse.close()


def test_a_batch_that_fails_for_one_run_records_it_like_a_run_of_its_own(
    tmp_path: Path,
) -> None:
    ctxs = _runs(tmp_path)

    def step(batch: list[RunContext]) -> Iterator[StepOutcome]:
        yield StepOutcome(counts={"games": 1})
        raise ValueError(f"no features for {batch[1].run_date}")

    with pytest.raises(StepFailedError) as failed:
        execute_batch(ctxs, "predict", step)
    assert failed.value.run_id == ctxs[1].run_id and "ValueError" in failed.value.error
    done, broken, after = (_steps(c) for c in ctxs)
    assert done["predict"]["status"] == "succeeded" and done["run"]["status"] == "running"
    assert broken["predict"]["status"] == "failed" and broken["run"]["status"] == "failed"
    assert "no features for 2024-11-24" in str(broken["predict"]["error"])
    assert broken["summarize"]["status"] == "skipped"
    assert after["predict"]["status"] == "pending" and after["run"]["status"] == "running"
    ctxs[0].warehouse.close()


def test_a_session_the_server_ended_is_said_so_never_cannot_connect() -> None:
    """psycopg words a terminated session "server closed the connection unexpectedly" when it did
    not read the server's last message (seen under load in CI): the step's error says the session
    was ended, not that PostgreSQL cannot be reached (and to start the server)."""
    import psycopg

    from spread_eagle.pipeline.runner import _storage_cause
    from spread_eagle.warehouse.errors import explain

    ctx = cast(RunContext, SimpleNamespace(warehouse=SimpleNamespace(url=PG_URL)))
    ended = psycopg.OperationalError(
        "consuming input failed: server closed the connection unexpectedly\n\tThis probably "
        "means the server terminated abnormally\n\tbefore or while processing the request."
    )
    said = _storage_cause(ctx, ended) or ""
    assert said.startswith("PostgreSQL at db.example:5433 ended this connection (consuming input")
    assert "terminated it" in said and "cannot connect" not in said and "\n" not in said
    # the front door (an error escaping a command) says the same, from the same function
    assert explain(ended, PG_URL) == said
    # a failure that is not a session ending keeps its own words
    refused = psycopg.OperationalError('database "w" does not exist')
    assert 'has no database "w"' in (_storage_cause(ctx, refused) or "")
    assert explain(refused, PG_URL) == _storage_cause(ctx, refused)
