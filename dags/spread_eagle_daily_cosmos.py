"""The daily run with the dbt project rendered as one Airflow task per dbt model (astronomer-cosmos)
between the ingestion and predict tasks; otherwise the same DAG as spread_eagle_daily.py (one
ledger run per DAG run, the same library entry points, pool and retries).

    should_run -> start_run -> ingest_slate -> ingest_results -> dbt_vars -> dbt (a task per model:
    `dbt build` of the model and its tests) -> transform -> predict -> summarize -> validate
    -> publish -> finish_run

- dbt reads the same profiles (dbt/profiles.yml, which reads SPREAD_EAGLE_DATABASE_URL) and gets
  the run's vars: the league constants and the run's clock `as_of`, from the ledger run
  (`dbt_vars`, spread_eagle.transform.dbt_runner.dbt_vars), as `spread-eagle` passes them.
- The models built are the transform step's: everything but the UI models (tag `publish`, built by
  the publish step) and dbt unit tests (CI runs them). The `transform` task then records the step
  in the ledger as built by these tasks (and the corrections it applied).
- The project is parsed by cosmos itself (LoadMode.CUSTOM): no dbt, database or network call when
  the DAG file is parsed.
- The dbt target name (duckdb or postgres) is needed when the file is parsed, before any task runs:
  it is read from SPREAD_EAGLE_DBT_TARGET, the variable dbt/profiles.yml itself reads (default
  duckdb). This is the one environment read outside spread_eagle.config, because cosmos takes the
  target name at parse time. Use an absolute DuckDB path (duckdb:////abs/path.duckdb): cosmos runs
  dbt from a copy of the project.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import chain, dag, task
from cosmos import DbtTaskGroup, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import LoadMode, TestBehavior

DBT_PROJECT = Path(__file__).resolve().parent.parent / "dbt"
# The same steps as spread_eagle_daily.py; `transform` is recorded after the per-model dbt tasks.
BEFORE_DBT = ("ingest_slate", "ingest_results")
AFTER_DBT = ("predict", "summarize", "validate", "publish")
POOL = "spread_eagle_warehouse"
RETRIES = {"ingest_slate": 3, "ingest_results": 3, "summarize": 2}


@task.short_circuit
def should_run(run_date: str) -> bool:
    from spread_eagle.pipeline import scheduled

    return scheduled.should_run(scheduled.settings_for_task(), run_date)


@task(pool=POOL, retries=1)
def start_run(run_date: str, scheduler_run: str) -> str:
    from spread_eagle.pipeline import scheduled

    settings = scheduled.settings_for_task()
    return scheduled.start_run(settings, run_date, command=f"airflow {scheduler_run}")


@task
def dbt_vars(ledger_run: str) -> dict[str, Any]:
    from spread_eagle.pipeline import scheduled

    return scheduled.dbt_vars(scheduled.settings_for_task(), ledger_run)


@task(pool=POOL)
def transform(ledger_run: str) -> dict[str, Any]:
    from spread_eagle.pipeline import scheduled

    settings = scheduled.settings_for_task()
    return scheduled.run_step(settings, ledger_run, "transform", built_by="cosmos")


@task(pool=POOL, retries=1)
def finish_run(ledger_run: str) -> str:
    from spread_eagle.pipeline import scheduled

    return scheduled.finish_run(scheduled.settings_for_task(), ledger_run).status


def step_task(step: str) -> Any:
    @task(
        task_id=step,
        pool=POOL,
        retries=RETRIES.get(step, 0),
        retry_exponential_backoff=2.0,
        max_retry_delay=timedelta(hours=1),
        max_active_tis_per_dag=1 if step == "publish" else None,
    )
    def run_step(ledger_run: str) -> dict[str, Any]:
        from spread_eagle.pipeline import scheduled

        return scheduled.run_step(scheduled.settings_for_task(), ledger_run, step)

    return run_step


@dag(
    dag_id="spread_eagle_daily_cosmos",
    description="Spread Eagle's daily run with a task per dbt model (astronomer-cosmos)",
    schedule=None,  # run it instead of spread_eagle_daily by giving it that DAG's schedule
    start_date=pendulum.datetime(2024, 9, 1, tz="America/New_York"),
    catchup=False,
    render_template_as_native_obj=True,  # the dbt vars reach cosmos as a dict, not its repr
    doc_md=__doc__,
    tags=["spread_eagle", "cosmos"],
)
def spread_eagle_daily_cosmos() -> None:
    ledger_run = start_run("{{ ds }}", "{{ dag.dag_id }}/{{ run_id }}")
    before = [step_task(step)(ledger_run) for step in BEFORE_DBT]
    variables = dbt_vars(ledger_run)
    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(DBT_PROJECT),
        profile_config=ProfileConfig(
            profile_name="spread_eagle",
            target_name=os.environ.get("SPREAD_EAGLE_DBT_TARGET", "duckdb"),
            profiles_yml_filepath=DBT_PROJECT / "profiles.yml",
        ),
        render_config=RenderConfig(
            load_method=LoadMode.CUSTOM,
            exclude=["path:models/ui"],
            test_behavior=TestBehavior.BUILD,
        ),
        operator_args={
            "vars": "{{ ti.xcom_pull(task_ids='dbt_vars') }}",
            "install_deps": False,
            # as the transform step: dbt unit tests run in CI, not on every daily run. A data test
            # on two models (relationships) runs only in the transform step's single build: one
            # model's task cannot test against a model not yet built (indirect selection cautious).
            "dbt_cmd_flags": [
                "--exclude-resource-type",
                "unit_test",
                "--indirect-selection",
                "cautious",
            ],
            "pool": POOL,
            "max_active_tis_per_dag": 1,
        },
    )
    after = [step_task(step)(ledger_run) for step in AFTER_DBT]
    chain(
        should_run("{{ ds }}"),
        ledger_run,
        *before,
        variables,
        dbt,
        transform(ledger_run),
        *after,
        finish_run(ledger_run),
    )


spread_eagle_daily_cosmos()
