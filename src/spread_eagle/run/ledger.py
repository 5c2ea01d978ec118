"""The run ledger (ops.run, ops.step_run): what ran, when, with what counts, and what failed.

A run is complete only when its final status is written; `status` reads it step by step.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from spread_eagle.run.context import RunContext
from spread_eagle.run.step import StepOutcome
from spread_eagle.warehouse import Warehouse, grouped, marks, where_equal

log = logging.getLogger(__name__)

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
    start_runs([ctx], steps, from_step, command)


def start_runs(
    ctxs: Sequence[RunContext], steps: list[str], from_step: str | None, command: str
) -> None:
    """The runs' ledger rows, their steps pending (a backfill's chunk: one statement a table)."""
    wh, started = ctxs[0].warehouse, _now()
    pid, host = os.getpid(), this_host()
    with wh.transaction():
        wh.insert_rows(
            "ops.run",
            [
                "run_id",
                "league",
                "run_date",
                "as_of",
                "env",
                "status",
                "from_step",
                "command",
                "started_at",
                "accept_quarantined",
                "resumed_from",
                "pid",
                "host",
            ],
            [
                [
                    ctx.run_id,
                    ctx.league.league,
                    ctx.run_date,
                    ctx.as_of,
                    ctx.env,
                    RUNNING,
                    from_step,
                    command,
                    started,
                    ctx.accept_quarantined,
                    ctx.resumed_from,
                    pid,
                    host,
                ]
                for ctx in ctxs
            ],
        )
        wh.insert_rows(
            "ops.step_run",
            ["run_id", "step", "ordinal", "status"],
            [
                [ctx.run_id, step, n, PENDING]
                for ctx in ctxs
                for n, step in enumerate(steps, start=1)
            ],
        )


def step_started(wh: Warehouse, run_id: str, step: str) -> None:
    steps_started(wh, [run_id], step)


def steps_started(wh: Warehouse, run_ids: Sequence[str], step: str) -> None:
    """The step of every run of a batch started (one statement)."""
    wh.execute(
        f"update ops.step_run set status = ?, started_at = ? where step = ?"
        f" and run_id in ({marks(run_ids)})",
        (RUNNING, _now(), step, *run_ids),
    )


def steps_pending(wh: Warehouse, run_ids: Sequence[str], step: str) -> None:
    """Back to pending: the batch stopped before these runs' share of the step was done."""
    if run_ids:
        wh.execute(
            f"update ops.step_run set status = ?, started_at = null where step = ?"
            f" and run_id in ({marks(run_ids)})",
            (PENDING, step, *run_ids),
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
    steps_finished(wh, step, [(run_id, outcome)], status, error)


def steps_finished(
    wh: Warehouse,
    step: str,
    finished: Sequence[tuple[str, StepOutcome]],
    status: str = SUCCEEDED,
    error: str | None = None,
) -> None:
    """The step of each run ended with its outcome: one statement for a whole batch."""
    if not finished:
        return
    now = _now()
    rows = [
        (
            run_id,
            json.dumps(o.counts, sort_keys=True, default=str),
            o.model_version,
            o.dbt_status,
            o.llm_status,
            o.detail,
        )
        for run_id, o in finished
    ]
    values = ", ".join("(?, ?, ?, ?, ?, ?)" for _ in rows)
    wh.execute(
        "update ops.step_run set status = ?, ended_at = ?, row_counts = v.row_counts,"
        " model_version = v.model_version, dbt_status = v.dbt_status, llm_status = v.llm_status,"
        " detail = v.detail, error = ?"
        f" from (values {values}) as v(run_id, row_counts, model_version, dbt_status, llm_status,"
        " detail) where ops.step_run.run_id = v.run_id and ops.step_run.step = ?",
        (status, now, error, *(v for row in rows for v in row), step),
    )


def finish_run(wh: Warehouse, run_id: str, status: str, error: str | None = None) -> None:
    finish_runs(wh, [run_id], status, error)


def finish_runs(
    wh: Warehouse, run_ids: Sequence[str], status: str, error: str | None = None
) -> None:
    wh.execute(
        f"update ops.run set status = ?, ended_at = ?, error = ? where run_id in ({marks(run_ids)})",
        (status, _now(), error, *run_ids),
    )


def recent_runs(
    wh: Warehouse, limit: int = 10, league: str | None = None, run_date: date | None = None
) -> list[dict[str, Any]]:
    """Newest runs first, each with its steps in order."""
    clause, params = where_equal({"league": league, "run_date": run_date})
    runs = wh.query(
        f"select run_id, league, run_date, as_of, env, status, from_step, command, started_at, ended_at, error,"
        f" accept_quarantined, resumed_from, pid, host"
        f" from ops.run {clause} order by started_at desc, run_id desc limit {int(limit)}",
        params,
    )
    if not runs:
        return []
    ids = [r["run_id"] for r in runs]
    steps = wh.query(
        f"select run_id, step, ordinal, status, started_at, ended_at, row_counts, model_version, dbt_status,"
        f" llm_status, detail, error from ops.step_run where run_id in ({marks(ids)})"
        f" order by run_id, ordinal",
        ids,
    )
    for step in steps:
        step["row_counts"] = json.loads(step["row_counts"]) if step["row_counts"] else {}
    by_run = grouped(steps, "run_id", drop=True)
    for run in runs:
        run["steps"] = by_run.get(run["run_id"], [])
    notes = {n["run_id"]: n for n in wh.failure_notes()}
    for run in runs:
        if run["status"] == RUNNING and run["run_id"] in notes:
            _show_failed(run, notes[run["run_id"]])
    return runs


# -- failures noted beside the warehouse (the disk was full) --------------------------------------


def _show_failed(run: dict[str, Any], note: dict[str, Any]) -> None:
    """A run as the ledger will hold it once its failure note is applied (for reading)."""
    run["status"], run["error"] = note["status"], f"{note['step']}: {note['error']}"
    for step in run["steps"]:
        if step["step"] == note["step"]:
            step["status"], step["error"] = FAILED, note["error"]
        elif step["status"] in (RUNNING, PENDING):
            step["status"] = SKIPPED


def apply_failure_notes(wh: Warehouse) -> list[str]:
    """Write to the ledger the failures runs could only note beside the warehouse (the disk was
    full when they failed), then drop the notes. The next run of any date calls this."""
    applied = []
    for note in wh.failure_notes():
        status = wh.scalar("select status from ops.run where run_id = ?", (note["run_id"],))
        if status == RUNNING:
            _mark_failed(
                wh,
                note["run_id"],
                note["step"],
                (note["error"], note["error"]),
                f"not run: {note['step']} failed",
                note["status"],
            )
            log.warning(
                "run %s failed at %s: %s (written from its note)",
                note["run_id"],
                note["step"],
                note["error"],
            )
            applied.append(str(note["run_id"]))
    wh.clear_failure_notes()
    return applied


def _mark_failed(
    wh: Warehouse,
    run_id: str,
    step: str | None,
    errors: tuple[str, str],
    skipped: str,
    status: str = FAILED,
) -> None:
    """End a `running` run with `status`: `step` (None: whichever step was running) failed with
    `errors[0]`, the run with `errors[1]` after the step's name, the steps not begun `skipped`."""
    step_error, run_error = errors
    with wh.transaction():
        where = "step = ?" if step else "status = ?"
        wh.execute(
            f"update ops.step_run set status = ?, ended_at = ?, error = ? where run_id = ? and {where}",
            (FAILED, _now(), step_error, run_id, step or RUNNING),
        )
        wh.execute(
            "update ops.step_run set status = ?, detail = ? where run_id = ? and status in (?, ?)",
            (SKIPPED, skipped, run_id, PENDING, RUNNING),
        )
        failed = step or wh.scalar(
            "select step from ops.step_run where run_id = ? and status = ? order by ordinal",
            (run_id, FAILED),
        )
        wh.execute(
            "update ops.run set status = ?, ended_at = ?, error = ? where run_id = ? and status = ?",
            (status, _now(), f"{failed}: {run_error}" if failed else run_error, run_id, RUNNING),
        )


# -- runs whose process is gone ------------------------------------------------------------------

GONE = "failed (process gone)"  # how `status` shows a run it found dead, before any run marks it


def this_host() -> str:
    return socket.gethostname()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's live process
        return True
    return True


def lock_key_of(run: dict[str, Any]) -> str:
    """The run lock a run holds while it runs (context.run_lock_key, from the ledger row)."""
    run_date = run["run_date"]
    return f"{run['league']}_{run_date.isoformat() if isinstance(run_date, date) else run_date}"


def process_gone(wh: Warehouse, run: dict[str, Any], held: str | None = None) -> bool:
    """A `running` run whose process is gone: its pid is dead on this host (or it predates pids)
    and no process holds its run lock (`held`: the lock the caller holds itself, so no other
    process does). A run on another host is never judged from here."""
    if run["status"] != RUNNING:
        return False
    if not wh.scalar(
        "select count(*) from ops.step_run where run_id = ? and status = ?",
        (run["run_id"], RUNNING),
    ):
        return False  # between steps: a scheduler's run waits for its next task, its own process
    pid, host = run.get("pid"), run.get("host")
    if pid is not None and (host != this_host() or int(pid) == os.getpid() or _pid_alive(int(pid))):
        return False
    key = lock_key_of(run)
    return key == held or wh.run_lock_free(key)


def running_runs(wh: Warehouse) -> list[dict[str, Any]]:
    return wh.query(
        "select run_id, league, run_date, status, pid, host, started_at from ops.run"
        " where status = ? order by started_at",
        (RUNNING,),
    )


def reap_gone_runs(wh: Warehouse, held: str | None = None) -> list[str]:
    """Mark failed every `running` run whose process is gone (killed, out of memory, the machine
    stopped): the step it was in fails, later ones are skipped. The next run of any date calls
    this; `status` only shows what it would do (`show_gone_runs`). Returns the runs marked."""
    marked = []
    for run in running_runs(wh):
        if not process_gone(wh, run, held):
            continue
        where = (
            f"pid {run['pid']} on {run['host']}" if run.get("pid") is not None else "its process"
        )
        error = (
            f"process gone: {where} ended without finishing the run (killed, or the machine "
            f"stopped); found at {_now():%Y-%m-%dT%H:%M:%SZ}"
        )
        _mark_failed(
            wh,
            run["run_id"],
            None,
            ("process gone while this step ran", error),
            "not run: process gone",
        )
        log.warning("run %s was left running: %s; marked failed", run["run_id"], error)
        marked.append(str(run["run_id"]))
    return marked


def show_gone_runs(wh: Warehouse, runs: Sequence[dict[str, Any]]) -> None:
    """For reading (status): show `running` runs whose process is gone as GONE, writing nothing."""
    for run in runs:
        if process_gone(wh, run):
            run["status"] = GONE
            run["process_gone"] = True
            for step in run.get("steps", []):
                if step["status"] == RUNNING:
                    step["status"], step["error"] = FAILED, "process gone while this step ran"
                elif step["status"] == PENDING:
                    step["status"] = SKIPPED
