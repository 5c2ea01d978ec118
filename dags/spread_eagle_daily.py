"""The daily run as an Airflow DAG: one task per step, in order, each calling the library entry
point the task is named after (spread_eagle.pipeline.scheduled), with the logical date `{{ ds }}`.

    should_run -> start_run -> ingest_slate -> ingest_results -> transform -> predict -> summarize
              -> validate -> publish -> finish_run

- One run in the ledger per DAG run: `start_run` opens it and returns its run id (XCom); every
  step task is handed that id, so `spread-eagle status` shows one run whatever the scheduler.
- A failed task leaves the run resumable: its retry (or a cleared task) re-runs only its own step,
  and a person can resume with `spread-eagle run-daily --date D --from-step S`.
- Retries with exponential backoff where a retry can help (the ingestion tasks fetch from
  providers; summarize may call an LLM); none on validate and publish. The delay between retries
  is Airflow's `[core] default_task_retry_delay` (300 s by default).
- publish runs only after validate succeeded (the default trigger rule), and re-checks validation.
- Every task that writes the warehouse takes a slot of the pool `spread_eagle_warehouse`: create
  it with one slot (`airflow pools set spread_eagle_warehouse 1 "..."`), which serializes the
  writers of one DuckDB file. On PostgreSQL the pool may have more slots (dates in parallel: the
  run lock is per date); transform and publish build the shared dbt relations and run one at a time.
- `should_run` skips a date with nothing to run (with the replay schedule, a date without games):
  the dates `spread-eagle backfill` fills, so `airflow backfill create` over a range runs the same.

Nothing happens at import time: only Airflow objects are imported here, spread_eagle only inside
the task callables; the configuration is the task's environment (SPREAD_EAGLE_*), as for a person.
See docs/scheduling.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import chain, dag, task

# The steps of spread_eagle.pipeline.steps.STEP_NAMES, in order (tests/pipeline/test_scheduled.py
# checks they are the same; they are spelled out so that parsing this file imports nothing else).
STEPS = (
    "ingest_slate",
    "ingest_results",
    "transform",
    "predict",
    "summarize",
    "validate",
    "publish",
)
POOL = "spread_eagle_warehouse"
RETRIES = {"ingest_slate": 3, "ingest_results": 3, "summarize": 2}
ONE_AT_A_TIME = ("transform", "publish")  # they build the dbt relations every date shares


@task(pool=POOL, retries=1)
def start_run(run_date: str, scheduler_run: str) -> str:
    from spread_eagle.pipeline import scheduled

    settings = scheduled.settings_for_task()
    return scheduled.start_run(settings, run_date, command=f"airflow {scheduler_run}")


@task.short_circuit
def should_run(run_date: str) -> bool:
    from spread_eagle.pipeline import scheduled

    return scheduled.should_run(scheduled.settings_for_task(), run_date)


@task(pool=POOL, retries=1)
def finish_run(ledger_run: str) -> str:
    from spread_eagle.pipeline import scheduled

    return scheduled.finish_run(scheduled.settings_for_task(), ledger_run).status


def step_task(step: str) -> Any:
    """The task running `step` of the DAG run's ledger run."""

    @task(
        task_id=step,
        pool=POOL,
        retries=RETRIES.get(step, 0),
        retry_exponential_backoff=2.0,
        max_retry_delay=timedelta(hours=1),
        max_active_tis_per_dag=1 if step in ONE_AT_A_TIME else None,
    )
    def run_step(ledger_run: str) -> dict[str, Any]:
        from spread_eagle.pipeline import scheduled

        return scheduled.run_step(scheduled.settings_for_task(), ledger_run, step)

    return run_step


@dag(
    dag_id="spread_eagle_daily",
    description="Spread Eagle's daily run: ingest, dbt, predict, summarize, validate, publish",
    schedule="15 9 * * *",  # after the morning's lines are up, league time (the README's cron line)
    start_date=pendulum.datetime(2024, 9, 1, tz="America/New_York"),
    catchup=False,  # history goes through `airflow backfill create` (docs/scheduling.md)
    doc_md=__doc__,
    tags=["spread_eagle"],
)
def spread_eagle_daily() -> None:
    ledger_run = start_run("{{ ds }}", "{{ dag.dag_id }}/{{ run_id }}")
    steps = [step_task(step)(ledger_run) for step in STEPS]
    chain(should_run("{{ ds }}"), ledger_run, *steps, finish_run(ledger_run))


spread_eagle_daily()
