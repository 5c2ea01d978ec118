"""The scheduler's entry points (spread_eagle.pipeline.scheduled): the daily run one step per call,
one ledger run, a retry that re-runs only its step, and the DAG files' step lists."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from spread_eagle.config import Settings
from spread_eagle.pipeline import scheduled
from spread_eagle.pipeline.runner import UnknownStepError, run_daily
from spread_eagle.pipeline.steps import STEP_NAMES
from spread_eagle.publish.slate import read_slate, strip_volatile
from spread_eagle.run import StepFailedError, ledger
from spread_eagle.warehouse import connect

SUNDAY = date(2024, 11, 24)
DAGS = Path(__file__).resolve().parents[2] / "dags"


def _steps(settings: Settings, run_id: str) -> dict[str, dict]:
    with connect(settings.database_url) as wh:
        rows = wh.query(
            "select step, status, started_at, error from ops.step_run where run_id = ?", (run_id,)
        )
    return {r["step"]: r for r in rows}


def _run(settings: Settings, run_id: str) -> dict:
    with connect(settings.database_url) as wh:
        return wh.query("select * from ops.run where run_id = ?", (run_id,))[0]


@pytest.mark.slow
def test_step_by_step_publishes_the_slate_run_daily_does(
    settings: Settings, published_url: str
) -> None:
    run_id = scheduled.start_run(settings, "2024-11-24", command="airflow test/manual__1")
    assert _run(settings, run_id)["status"] == ledger.RUNNING
    assert {s["status"] for s in _steps(settings, run_id).values()} == {ledger.PENDING}
    for step in STEP_NAMES:
        scheduled.run_step(settings, run_id, step)
    finished = scheduled.finish_run(settings, run_id)
    assert finished.status == ledger.SUCCEEDED and finished.run_date == SUNDAY
    assert all(status == ledger.SUCCEEDED for status in finished.steps.values())
    with connect(settings.database_url) as wh:
        runs = ledger.recent_runs(wh, limit=5)
        slate = read_slate(wh, "nfl", SUNDAY)
    assert [r["run_id"] for r in runs] == [run_id]  # one run in the ledger
    assert runs[0]["command"] == "airflow test/manual__1"
    assert slate["run_id"] == run_id and len(slate["games"]) == 11

    # what `run_daily` from an empty warehouse published for the same date and clock
    with connect(published_url, read_only=True) as wh:
        assert strip_volatile(read_slate(wh, "nfl", SUNDAY)) == strip_volatile(slate)


def test_a_failed_step_is_retried_alone_and_the_run_continues(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "fault.once"
    settings = duckdb_settings.model_copy(
        update={"fault_step": "ingest_results", "fault_once_file": marker}
    )
    run_id = scheduled.start_run(settings, SUNDAY)
    scheduled.run_step(settings, run_id, "ingest_slate")
    first = _steps(settings, run_id)["ingest_slate"]["started_at"]

    with pytest.raises(StepFailedError, match="injected fault in ingest_results"):
        scheduled.run_step(settings, run_id, "ingest_results")
    steps = _steps(settings, run_id)
    assert _run(settings, run_id)["status"] == ledger.FAILED
    assert steps["ingest_results"]["status"] == ledger.FAILED
    assert steps["transform"]["status"] == ledger.SKIPPED
    assert marker.exists()

    counts = scheduled.run_step(settings, run_id, "ingest_results")  # the retry
    assert counts["rows"] > 0
    steps = _steps(settings, run_id)
    assert (
        _run(settings, run_id)["status"] == ledger.RUNNING
        and _run(settings, run_id)["error"] is None
    )
    assert steps["ingest_slate"]["started_at"] == first  # not run again
    assert steps["ingest_results"]["status"] == ledger.SUCCEEDED
    assert steps["ingest_results"]["error"] is None
    assert {steps[s]["status"] for s in STEP_NAMES[2:]} == {ledger.PENDING}


def test_a_failed_run_resumes_from_the_cli_entry_point(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    settings = duckdb_settings.model_copy(update={"fault_step": "ingest_results"})
    run_id = scheduled.start_run(settings, SUNDAY)
    scheduled.run_step(settings, run_id, "ingest_slate")
    with pytest.raises(StepFailedError):
        scheduled.run_step(settings, run_id, "ingest_results")
    # what a person types after the scheduler gave up: reuses ingest_slate from that run
    report = run_daily(
        duckdb_settings, run_date=SUNDAY, from_step="ingest_results", steps=_ingest_steps()
    )
    assert report.ok, report.error
    assert _run(duckdb_settings, report.run_id)["resumed_from"] == run_id


def _ingest_steps() -> dict:
    from spread_eagle.pipeline.steps import INGEST_STEPS

    return INGEST_STEPS


def test_steps_run_in_order_of_a_known_run(duckdb_settings: Settings) -> None:
    run_id = scheduled.start_run(duckdb_settings, SUNDAY)
    with pytest.raises(scheduled.RunNotReadyError, match="ingest_slate is pending"):
        scheduled.run_step(duckdb_settings, run_id, "transform")
    with pytest.raises(UnknownStepError):
        scheduled.run_step(duckdb_settings, run_id, "dance")
    with pytest.raises(scheduled.UnknownRunError):
        scheduled.run_step(duckdb_settings, "20240101T000000Z-000000", "ingest_slate")
    with pytest.raises(scheduled.RunNotSucceededError, match="ingest_slate pending"):
        scheduled.finish_run(duckdb_settings, run_id)
    with pytest.raises(ValueError, match="transform step only"):
        scheduled.run_step(duckdb_settings, run_id, "predict", built_by="cosmos")


def test_dbt_vars_are_the_transform_steps(duckdb_settings: Settings) -> None:
    run_id = scheduled.start_run(duckdb_settings, SUNDAY)
    found = scheduled.dbt_vars(duckdb_settings, run_id)
    assert found["league_id"] == "nfl"
    assert found["as_of"] == "2024-11-25 11:00:00"  # 06:00 New York the morning after
    assert found["rebuild_from"] == "2024-11-24"


def test_should_run_only_the_dates_backfill_fills(duckdb_settings: Settings) -> None:
    assert scheduled.should_run(duckdb_settings, "2024-11-24")
    assert not scheduled.should_run(duckdb_settings, date(2024, 11, 26))  # a Tuesday


def _literal(path: Path, name: str) -> object:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path.name} has no {name}")


def test_the_dags_name_the_pipelines_steps_in_order() -> None:
    assert list(_literal(DAGS / "spread_eagle_daily.py", "STEPS")) == STEP_NAMES  # type: ignore[call-overload]
    cosmos = DAGS / "spread_eagle_daily_cosmos.py"
    before, after = _literal(cosmos, "BEFORE_DBT"), _literal(cosmos, "AFTER_DBT")
    assert [*before, "transform", *after] == STEP_NAMES  # type: ignore[misc]


def test_the_dag_files_import_only_airflow_at_top_level() -> None:
    """spread_eagle is imported inside the task callables only (nothing runs at parse time)."""
    for path in DAGS.glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
                assert not any(n.startswith("spread_eagle") for n in names), path.name
