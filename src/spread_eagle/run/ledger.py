"""The run ledger (ops.run, ops.step_run): what ran, when, with what counts, and what failed.

A run is complete only when its final status is written; `status` reads it step by step.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from spread_eagle.run.context import RunContext
from spread_eagle.run.step import StepOutcome
from spread_eagle.warehouse import Warehouse

RUNNING, SUCCEEDED, FAILED, INVALID, SKIPPED, PENDING, REUSED = (
    "running",
    "succeeded",
    "failed",
    "invalid",
    "skipped",
    "pending",
    "reused",  # a resumed run's earlier step, taken (with its outputs) from the run it resumed
)


def _now() -> datetime:
    return datetime.now(UTC)


def start_run(ctx: RunContext, steps: list[str], from_step: str | None, command: str) -> None:
    wh = ctx.warehouse
    with wh.transaction():
        wh.execute(
            "insert into ops.run (run_id, league, run_date, as_of, env, status, from_step, command,"
            " started_at, accept_quarantined, resumed_from) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ctx.run_id,
                ctx.league.league,
                ctx.run_date,
                ctx.as_of,
                ctx.env,
                RUNNING,
                from_step,
                command,
                _now(),
                ctx.accept_quarantined,
                ctx.resumed_from,
            ),
        )
        wh.insert_rows(
            "ops.step_run",
            ["run_id", "step", "ordinal", "status"],
            [[ctx.run_id, step, n, PENDING] for n, step in enumerate(steps, start=1)],
        )


def step_started(wh: Warehouse, run_id: str, step: str) -> None:
    wh.execute(
        "update ops.step_run set status = ?, started_at = ? where run_id = ? and step = ?",
        (RUNNING, _now(), run_id, step),
    )


def step_skipped(wh: Warehouse, run_id: str, step: str, why: str, status: str = SKIPPED) -> None:
    wh.execute(
        "update ops.step_run set status = ?, detail = ? where run_id = ? and step = ?",
        (status, why, run_id, step),
    )


def step_finished(
    wh: Warehouse,
    run_id: str,
    step: str,
    outcome: StepOutcome,
    status: str = SUCCEEDED,
    error: str | None = None,
) -> None:
    wh.execute(
        "update ops.step_run set status = ?, ended_at = ?, row_counts = ?, model_version = ?, dbt_status = ?,"
        " llm_status = ?, detail = ?, error = ? where run_id = ? and step = ?",
        (
            status,
            _now(),
            json.dumps(outcome.counts, sort_keys=True, default=str),
            outcome.model_version,
            outcome.dbt_status,
            outcome.llm_status,
            outcome.detail,
            error,
            run_id,
            step,
        ),
    )


def finish_run(wh: Warehouse, run_id: str, status: str, error: str | None = None) -> None:
    wh.execute(
        "update ops.run set status = ?, ended_at = ?, error = ? where run_id = ?",
        (status, _now(), error, run_id),
    )


def recent_runs(
    wh: Warehouse, limit: int = 10, league: str | None = None, run_date: date | None = None
) -> list[dict[str, Any]]:
    """Newest runs first, each with its steps in order."""
    where: list[str] = []
    params: list[object] = []
    if league:
        where.append("league = ?")
        params.append(league)
    if run_date:
        where.append("run_date = ?")
        params.append(run_date)
    clause = f"where {' and '.join(where)}" if where else ""
    runs = wh.query(
        f"select run_id, league, run_date, as_of, env, status, from_step, command, started_at, ended_at, error,"
        f" accept_quarantined, resumed_from"
        f" from ops.run {clause} order by started_at desc, run_id desc limit {int(limit)}",
        params,
    )
    if not runs:
        return []
    ids = [r["run_id"] for r in runs]
    steps = wh.query(
        f"select run_id, step, ordinal, status, started_at, ended_at, row_counts, model_version, dbt_status,"
        f" llm_status, detail, error from ops.step_run where run_id in ({', '.join('?' for _ in ids)})"
        f" order by run_id, ordinal",
        ids,
    )
    by_run: dict[str, list[dict[str, Any]]] = {}
    for step in steps:
        step["row_counts"] = json.loads(step["row_counts"]) if step["row_counts"] else {}
        by_run.setdefault(step.pop("run_id"), []).append(step)
    for run in runs:
        run["steps"] = by_run.get(run["run_id"], [])
    return runs
