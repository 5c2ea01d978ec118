"""The daily run one step at a time, for a scheduler that runs each step as a task of its own
(dags/spread_eagle_daily.py): the same steps, ledger and run lock as `run-daily`, split at the
step boundaries so that a task retry re-runs only its own step.

- `should_run(settings, run_date)`: whether the date has anything to run (with the replay schedule,
  only dates with games: the rule `spread-eagle backfill` uses), so a scheduler's backfill over a
  range runs the same dates.
- `start_run(settings, run_date)`: opens one run in the ledger (every step pending) and returns its
  run id; every later task of the scheduler's run is handed that id, so the ledger shows one run
  whatever the scheduler.
- `run_step(settings, run_id, step)`: runs one step of that run under the date's run lock, through
  the run loop's own `execute_step`. The steps before it must have succeeded in this run. A step
  run again (a retry, a cleared task) re-opens the run: the run is `running` again, the later steps
  `pending`. A failure is recorded as in `run-daily` (run failed, later steps skipped) and raised,
  so the task fails; the next attempt, or `spread-eagle run-daily --date D --from-step S`, resumes.
- `finish_run(settings, run_id)`: closes a run whose steps all succeeded and says how it ended.

Steps write their outputs keyed by run id (replace, never append), so re-running a step of the same
run is idempotent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from spread_eagle.config import Settings
from spread_eagle.corrections import pending_rebuild_from, record_applied
from spread_eagle.leagues import League, load_league
from spread_eagle.logging import configure_logging, log_context
from spread_eagle.pipeline.backfill import dates_to_fill
from spread_eagle.pipeline.runner import check_step, execute_step, open_run
from spread_eagle.pipeline.steps import STEP_NAMES, STEPS
from spread_eagle.publish.documents import export_runs_quietly
from spread_eagle.run import RunContext, Step, StepOutcome, ledger, run_lock_key
from spread_eagle.transform.dbt_runner import dbt_vars as league_dbt_vars
from spread_eagle.warehouse import Warehouse, connect

log = logging.getLogger(__name__)

DONE = (ledger.SUCCEEDED, ledger.REUSED)


class UnknownRunError(LookupError):
    """The run id is not in the ledger."""


class RunNotReadyError(RuntimeError):
    """A step was asked for before the steps it follows succeeded in its run."""


class RunNotSucceededError(RuntimeError):
    """finish_run on a run whose steps did not all succeed."""


class InjectedFault(RuntimeError):
    """TEST ONLY: the failure `Settings.fault_step` asks for (see `_with_fault`)."""


@dataclass
class ScheduledRun:
    run_id: str
    league: str
    run_date: date
    as_of: datetime
    status: str
    steps: dict[str, str]


def settings_for_task() -> Settings:
    """A scheduler task's Settings, from its environment, with logging configured once (run_id
    and step on every record, secrets redacted), as the CLI does for a person."""
    settings = Settings()
    configure_logging(log_dir=settings.log_dir, secrets=settings.secrets())
    return settings


def should_run(settings: Settings, run_date: date | str, league: str | None = None) -> bool:
    """Whether a scheduler should run this date: what `spread-eagle backfill` would fill."""
    load_league(league or settings.league, settings.leagues_dir)  # an unknown league fails here
    day = _as_date(run_date)
    return bool(dates_to_fill(settings, day, day, league))


def start_run(
    settings: Settings,
    run_date: date | str,
    league: str | None = None,
    as_of: datetime | None = None,
    command: str = "scheduled",
) -> str:
    """Open a run of `league` (default: the configured one) for `run_date`, on the default clock
    unless `as_of` is given; every step pending. Returns the run id."""
    day = _as_date(run_date)
    league_config = load_league(league or settings.league, settings.leagues_dir)
    with connect(settings.database_url) as wh, wh.run_lock(run_lock_key(league_config, day)):
        wh.migrate()
        ctx = RunContext.new(settings, wh, league_config, day, as_of)
        open_run(ctx, None, command, STEP_NAMES)
        export_runs_quietly(wh)
    return ctx.run_id


def run_step(
    settings: Settings, run_id: str, step: str, built_by: str | None = None
) -> dict[str, Any]:
    """Run `step` of run `run_id` under the date's run lock; returns the step's counts. Raises
    StepFailedError (already in the ledger) when the step fails.

    `built_by` (transform only): the scheduler built the dbt models itself, one task per model
    (dags/spread_eagle_daily_cosmos.py, with `dbt_vars`); the step then only records that, and the
    corrections the build applied, instead of running `dbt build` again."""
    check_step(step)
    if built_by is not None and step != "transform":
        raise ValueError(f"built_by applies to the transform step only, not {step}")
    with connect(settings.database_url) as wh:
        run = _run_row(wh, run_id)
        league = load_league(run["league"], settings.leagues_dir)
        with wh.run_lock(run_lock_key(league, run["run_date"])):
            ctx = _context(settings, wh, league, run)
            _reopen(wh, run_id, step)
            try:
                function = _built_elsewhere(built_by) if built_by else STEPS[step]
                outcome = execute_step(ctx, step, _with_fault(settings, step, function))
                if step == STEP_NAMES[-1]:
                    _close(wh, run_id)
            finally:
                export_runs_quietly(wh)  # DuckDB readers see runs only through this snapshot
    return dict(outcome.counts)


def dbt_vars(settings: Settings, run_id: str) -> dict[str, Any]:
    """The `--vars` the transform step gives dbt for run `run_id`: the league's constants, the
    run's clock, and the date incremental models re-process from (the run's date, or the earliest
    game corrected since the last build), for a scheduler that runs dbt itself."""
    with connect(settings.database_url) as wh:
        run = _run_row(wh, run_id)
        league = load_league(run["league"], settings.leagues_dir)
        as_of = _aware(run["as_of"])
        start = run["run_date"]
        corrected = pending_rebuild_from(wh, league.league, as_of)
    if corrected is not None and corrected < start:
        start = corrected
    return {**league_dbt_vars(league, as_of), "rebuild_from": start.isoformat()}


def finish_run(settings: Settings, run_id: str) -> ScheduledRun:
    """Close run `run_id` (idempotent) and return how it ended; raises RunNotSucceededError when
    any of its steps has not succeeded (the ledger already says which and why)."""
    with connect(settings.database_url) as wh:
        run = _run_row(wh, run_id)
        steps = _statuses(wh, run_id)
        if all(steps.get(s) in DONE for s in STEP_NAMES):
            _close(wh, run_id)
            export_runs_quietly(wh)
            run = _run_row(wh, run_id)
        result = ScheduledRun(
            run_id,
            run["league"],
            run["run_date"],
            _aware(run["as_of"]),
            str(run["status"]),
            steps,
        )
    if result.status != ledger.SUCCEEDED:
        pending = [f"{s} {steps.get(s, 'missing')}" for s in STEP_NAMES if steps.get(s) not in DONE]
        raise RunNotSucceededError(
            f"run {run_id} ({result.league} {result.run_date}) is {result.status}: "
            + ", ".join(pending)
        )
    with log_context(run_id=run_id):
        log.info(
            "run %s succeeded: %s %s valid and published", run_id, run["league"], run["run_date"]
        )
    return result


# -- helpers --------------------------------------------------------------------------------------


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _aware(value: datetime) -> datetime:
    """ops.run.as_of is stored as UTC without a zone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _run_row(wh: Warehouse, run_id: str) -> dict[str, Any]:
    rows = wh.query(
        "select run_id, league, run_date, as_of, status, accept_quarantined, resumed_from"
        " from ops.run where run_id = ?",
        (run_id,),
    )
    if not rows:
        raise UnknownRunError(f"no run {run_id!r} in the ledger of {wh.describe()}")
    return rows[0]


def _statuses(wh: Warehouse, run_id: str) -> dict[str, str]:
    return {
        r["step"]: str(r["status"])
        for r in wh.query("select step, status from ops.step_run where run_id = ?", (run_id,))
    }


def _context(settings: Settings, wh: Warehouse, league: League, run: dict[str, Any]) -> RunContext:
    return RunContext(
        run_id=str(run["run_id"]),
        league=league,
        run_date=run["run_date"],
        as_of=_aware(run["as_of"]),
        settings=settings,
        warehouse=wh,
        accept_quarantined=bool(run["accept_quarantined"]),
        resumed_from=run["resumed_from"],
    )


def _reopen(wh: Warehouse, run_id: str, step: str) -> None:
    """Check the steps before `step` succeeded in this run; mark the run running again and the
    steps after `step` pending (they are to be run again after it)."""
    statuses = _statuses(wh, run_id)
    position = STEP_NAMES.index(step)
    for earlier in STEP_NAMES[:position]:
        if statuses.get(earlier) not in DONE:
            raise RunNotReadyError(
                f"run {run_id} cannot run {step}: its step {earlier} is "
                f"{statuses.get(earlier, 'missing')}; run {earlier} first"
            )
    with wh.transaction():
        wh.execute(
            "update ops.run set status = ?, ended_at = null, error = null where run_id = ?",
            (ledger.RUNNING, run_id),
        )
        for later in STEP_NAMES[position + 1 :]:
            wh.execute(
                "update ops.step_run set status = ?, started_at = null, ended_at = null,"
                " detail = null, error = null where run_id = ? and step = ?",
                (ledger.PENDING, run_id, later),
            )


def _close(wh: Warehouse, run_id: str) -> None:
    if _run_row(wh, run_id)["status"] != ledger.SUCCEEDED:
        ledger.finish_run(wh, run_id, ledger.SUCCEEDED)


def _built_elsewhere(built_by: str) -> Step:
    def record(ctx: RunContext) -> StepOutcome:
        applied = record_applied(ctx.warehouse, ctx.league.league, ctx.run_id, ctx.as_of)
        return StepOutcome(
            counts={"corrections_applied": applied} if applied else {},
            dbt_status="success",
            detail=f"dbt models built by the scheduler's per-model tasks ({built_by})",
        )

    return record


def _with_fault(settings: Settings, step: str, function: Step) -> Step:
    """TEST ONLY: when `settings.fault_step` names this step, the step fails with InjectedFault
    before doing anything (once, while `settings.fault_once_file` does not exist, if that is set).
    The failure goes through the ledger like any other."""
    if settings.fault_step != step:
        return function

    def faulty(ctx: RunContext) -> StepOutcome:
        marker = settings.fault_once_file
        if marker is None or not marker.exists():
            if marker is not None:
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.write_text(f"{ctx.run_id} {step}\n", encoding="utf-8")
            raise InjectedFault(f"injected fault in {step} (SPREAD_EAGLE_FAULT_STEP, test only)")
        return function(ctx)

    return faulty
