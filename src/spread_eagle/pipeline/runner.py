"""Run the daily pipeline for one league and date: steps in order, fail fast, ledger every step.

Exit semantics (used by the CLI): a RunReport with status "succeeded" means valid and published;
anything else carries the failing step and error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from spread_eagle.config import Settings
from spread_eagle.leagues import League, load_league
from spread_eagle.logging import log_context
from spread_eagle.pipeline import ledger
from spread_eagle.pipeline.context import RunContext, StepOutcome, run_lock_key
from spread_eagle.pipeline.steps import STEP_NAMES, STEPS
from spread_eagle.publish.documents import export_runs_quietly
from spread_eagle.redact import redact_text
from spread_eagle.validate.step import ValidationFailedError
from spread_eagle.warehouse import Warehouse, connect

log = logging.getLogger(__name__)


class UnknownStepError(ValueError):
    pass


class StepFailedError(RuntimeError):
    """A step failed; the ledger already says so (run failed/invalid, later steps skipped)."""

    def __init__(self, step: str, status: str, error: str) -> None:
        super().__init__(f"{step}: {error}")
        self.step, self.status, self.error = step, status, error


@dataclass
class RunReport:
    run_id: str
    league: str
    run_date: date
    as_of: datetime
    status: str
    failed_step: str | None = None
    error: str | None = None
    outcomes: dict[str, StepOutcome] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == ledger.SUCCEEDED


def steps_from(from_step: str | None) -> list[str]:
    if from_step is None:
        return STEP_NAMES
    if from_step not in STEPS:
        raise UnknownStepError(f"unknown step {from_step!r}; steps are: {', '.join(STEP_NAMES)}")
    return STEP_NAMES[STEP_NAMES.index(from_step) :]


def open_run(
    ctx: RunContext, from_step: str | None, command: str, steps: list[str] | None = None
) -> None:
    """Write the run's ledger row (its steps pending) and say what is about to happen."""
    ledger.start_run(ctx, steps or STEP_NAMES, from_step, command)
    with log_context(run_id=ctx.run_id):
        log.info(
            "run %s: %s %s as of %s on %s (env %s)",
            ctx.run_id,
            ctx.league.league,
            ctx.run_date,
            ctx.as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ctx.warehouse.describe(),
            ctx.env,
        )


def execute_step(
    ctx: RunContext, name: str, step: Callable[[RunContext], StepOutcome] | None = None
) -> StepOutcome:
    """Run one step under the ledger. On failure: record it, mark the run failed (or invalid),
    skip the later steps, tell the person what to re-run, and raise StepFailedError."""
    wh = ctx.warehouse
    with log_context(run_id=ctx.run_id, step=name):
        ledger.step_started(wh, ctx.run_id, name)
        started = time.perf_counter()
        try:
            outcome = (step or STEPS[name])(ctx)
        except Exception as exc:  # fail fast: every failure is recorded, then the run stops
            error = redact_text(f"{type(exc).__name__}: {exc}", ctx.settings.secrets())
            status = ledger.INVALID if isinstance(exc, ValidationFailedError) else ledger.FAILED
            ledger.step_finished(
                wh, ctx.run_id, name, StepOutcome(), status=ledger.FAILED, error=error
            )
            ledger.finish_run(wh, ctx.run_id, status, error=f"{name}: {error}")
            for later in STEP_NAMES[STEP_NAMES.index(name) + 1 :]:
                ledger.step_skipped(wh, ctx.run_id, later, f"not run: {name} failed")
            log.error("step %s failed: %s", name, error)
            log.error(
                "nothing was published; the previous slate (if any) is unchanged. Fix the cause, "
                "then: spread-eagle run-daily --date %s --from-step %s",
                ctx.run_date,
                name,
            )
            log.debug("traceback of the failure", exc_info=exc)
            raise StepFailedError(name, status, error) from exc
        ledger.step_finished(wh, ctx.run_id, name, outcome)
        log.debug("step %s done in %.2fs", name, time.perf_counter() - started)
        return outcome


@contextmanager
def locked_run(
    settings: Settings, wh: Warehouse, league: League, run_date: date, as_of: datetime | None
) -> Iterator[RunContext]:
    """Take the (league, date) run lock, bring the warehouse's migrations up, start a context."""
    with wh.run_lock(run_lock_key(league, run_date)):
        wh.migrate()
        yield RunContext.new(settings, wh, league, run_date, as_of)


def run_daily(
    settings: Settings,
    *,
    run_date: date,
    as_of: datetime | None = None,
    league: str | None = None,
    from_step: str | None = None,
    command: str = "run-daily",
    warehouse: Warehouse | None = None,
) -> RunReport:
    """The daily run. Holds the (league, date) run lock for its whole duration."""
    league_config = load_league(league or settings.league)
    to_run = steps_from(from_step)
    wh = warehouse or connect(settings.database_url)
    started = time.perf_counter()
    try:
        with locked_run(settings, wh, league_config, run_date, as_of) as ctx:
            report = RunReport(
                ctx.run_id, league_config.league, run_date, ctx.as_of, ledger.RUNNING
            )
            open_run(ctx, from_step, command)
            try:
                for name in STEP_NAMES:
                    if name in to_run:
                        report.outcomes[name] = execute_step(ctx, name)
                    else:
                        ledger.step_skipped(
                            wh, ctx.run_id, name, f"resumed with --from-step {from_step}"
                        )
            except StepFailedError as failure:
                report.status, report.failed_step, report.error = (
                    failure.status,
                    failure.step,
                    failure.error,
                )
            else:
                ledger.finish_run(wh, ctx.run_id, ledger.SUCCEEDED)
                report.status = ledger.SUCCEEDED
                with log_context(run_id=ctx.run_id):
                    log.info("run %s: valid and published", ctx.run_id)
            export_runs_quietly(wh)  # DuckDB readers see runs only through this snapshot
            report.seconds = time.perf_counter() - started
            return report
    finally:
        if warehouse is None:
            wh.close()
