"""The one run loop: steps in order under the run lock, each recorded in the ledger; a failure is
redacted, recorded, and stops the run (later steps skipped); `--from-step` resumes a run whose
earlier steps succeeded under the same clock, reusing their outputs.

`run-daily`, `ingest` and `--from-step` run through `run_steps`; backfill batches the same
`execute_step` and `fail_run`. A RunReport with status "succeeded" means valid and published (or,
for `ingest`, ingested); anything else carries the failing step and error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from spread_eagle.config import Settings
from spread_eagle.leagues import League, load_league
from spread_eagle.logging import log_context
from spread_eagle.pipeline.steps import INGEST_STEPS, STEP_NAMES, STEP_OUTPUTS, STEPS
from spread_eagle.publish.documents import export_runs_quietly
from spread_eagle.redact import redact_text
from spread_eagle.run import (
    RunContext,
    RunInvalidError,
    Step,
    StepFailedError,
    StepOutcome,
    ledger,
    run_lock_key,
)
from spread_eagle.run.step import Progress
from spread_eagle.warehouse import Warehouse, connect

log = logging.getLogger(__name__)


class UnknownStepError(ValueError):
    pass


class ResumeError(RuntimeError):
    """--from-step named a step whose earlier steps have not succeeded for this date and clock."""


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

    @property
    def counts(self) -> dict[str, dict[str, Any]]:
        return {name: outcome.counts for name, outcome in self.outcomes.items()}


def check_step(name: str, steps: Mapping[str, Step] = STEPS) -> str:
    if name not in steps:
        raise UnknownStepError(f"unknown step {name!r}; steps are: {', '.join(steps)}")
    return name


def open_run(
    ctx: RunContext, from_step: str | None, command: str, steps: list[str] | None = None
) -> None:
    """Write the run's ledger row (its steps pending) and say what is about to happen."""
    ledger.start_run(ctx, steps or STEP_NAMES, from_step, command)
    with log_context(run_id=ctx.run_id):
        log.info(
            "run %s: %s %s as of %s on %s (env %s)%s",
            ctx.run_id,
            ctx.league.league,
            ctx.run_date,
            ctx.as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ctx.warehouse.describe(),
            ctx.env,
            f", resuming run {ctx.resumed_from}" if ctx.resumed_from else "",
        )


def fail_run(
    ctx: RunContext,
    step: str,
    error: str,
    status: str = ledger.FAILED,
    steps: list[str] | None = None,
) -> StepFailedError:
    """Record a step's failure, end the run, skip the later steps; returns the error to raise."""
    wh = ctx.warehouse
    order = steps or STEP_NAMES
    ledger.step_finished(wh, ctx.run_id, step, StepOutcome(), status=ledger.FAILED, error=error)
    ledger.finish_run(wh, ctx.run_id, status, error=f"{step}: {error}")
    for later in order[order.index(step) + 1 :]:
        ledger.step_skipped(wh, ctx.run_id, later, f"not run: {step} failed")
    return StepFailedError(step, status, error)


def execute_step(
    ctx: RunContext,
    name: str,
    step: Step | None = None,
    steps: list[str] | None = None,
) -> StepOutcome:
    """Run one step under the ledger. On failure: record it (secrets redacted), mark the run failed
    (or invalid), skip the later steps, tell the person what to re-run, raise StepFailedError."""
    with log_context(run_id=ctx.run_id, step=name):
        ledger.step_started(ctx.warehouse, ctx.run_id, name)
        started = time.perf_counter()
        try:
            outcome = (step or STEPS[name])(ctx)
        except Exception as exc:  # fail fast: every failure is recorded, then the run stops
            error = redact_text(f"{type(exc).__name__}: {exc}", ctx.settings.secrets())
            status = ledger.INVALID if isinstance(exc, RunInvalidError) else ledger.FAILED
            failure = fail_run(ctx, name, error, status, steps)
            log.error("step %s failed: %s", name, error)
            log.error(
                "nothing was published; the previous slate (if any) is unchanged. Fix the cause, "
                "then: spread-eagle run-daily --date %s --from-step %s",
                ctx.run_date,
                name,
            )
            log.debug("traceback of the failure", exc_info=exc)
            raise failure from exc
        ledger.step_finished(ctx.warehouse, ctx.run_id, name, outcome)
        log.debug("step %s done in %.2fs", name, time.perf_counter() - started)
        return outcome


def reuse_step(ctx: RunContext, name: str) -> None:
    """A resumed run's earlier step: its outputs are copied from the run it resumes."""
    assert ctx.resumed_from is not None
    copied = {
        table: ctx.warehouse.copy_run_rows(table, ctx.resumed_from, ctx.run_id)
        for table in STEP_OUTPUTS.get(name, ())
    }
    detail = f"reused from run {ctx.resumed_from}"
    if copied:
        detail += " (" + ", ".join(f"{n} rows of {t}" for t, n in copied.items()) + ")"
    ledger.step_skipped(ctx.warehouse, ctx.run_id, name, detail, status=ledger.REUSED)


def run_steps(
    ctx: RunContext,
    steps: Mapping[str, Step],
    command: str,
    from_step: str | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """The run loop: every step in order (those before `from_step` reused), fail fast."""
    names = list(steps)
    started = time.perf_counter()
    report = RunReport(ctx.run_id, ctx.league.league, ctx.run_date, ctx.as_of, ledger.RUNNING)
    open_run(ctx, from_step, command, names)
    first = names.index(from_step) if from_step else 0
    try:
        for n, name in enumerate(names):
            if progress:
                progress(n, len(names), name)
            if n < first:
                reuse_step(ctx, name)
            else:
                report.outcomes[name] = execute_step(ctx, name, steps[name], names)
    except StepFailedError as failure:
        report.status, report.failed_step, report.error = (
            failure.status,
            failure.step,
            failure.error,
        )
    else:
        ledger.finish_run(ctx.warehouse, ctx.run_id, ledger.SUCCEEDED)
        report.status = ledger.SUCCEEDED
        with log_context(run_id=ctx.run_id):
            log.info("run %s succeeded in %.1fs", ctx.run_id, time.perf_counter() - started)
    export_runs_quietly(ctx.warehouse)  # DuckDB readers see runs only through this snapshot
    if progress:
        progress(len(names), len(names), report.status)
    report.seconds = time.perf_counter() - started
    return report


def resumable_run(
    wh: Warehouse, league: League, run_date: date, as_of: datetime | None, from_step: str
) -> dict[str, object]:
    """The newest run of this date (under `as_of` when given) whose steps before `from_step` all
    succeeded (or were themselves reused): the run a `--from-step` run continues."""
    before = STEP_NAMES[: STEP_NAMES.index(from_step)]
    clock = " and r.as_of = ?" if as_of is not None else ""
    params: list[object] = [league.league, run_date, *([as_of] if as_of is not None else [])]
    runs = wh.query(
        f"select r.run_id, r.as_of from ops.run r where r.league = ? and r.run_date = ?{clock}"
        f" order by r.started_at desc, r.run_id desc",
        params,
    )
    for run in runs:
        statuses = {
            s["step"]: s["status"]
            for s in wh.query(
                "select step, status from ops.step_run where run_id = ?", (run["run_id"],)
            )
        }
        if all(statuses.get(s) in (ledger.SUCCEEDED, ledger.REUSED) for s in before):
            return run
    clock_text = f" as of {as_of:%Y-%m-%dT%H:%M:%SZ}" if as_of is not None else ""
    raise ResumeError(
        f"cannot resume {league.league} {run_date}{clock_text} at {from_step}: no run of that date"
        f" has {', '.join(before)} succeeded. Run the whole day first: spread-eagle run-daily"
        f" --date {run_date}" + (f" --as-of {as_of:%Y-%m-%dT%H:%M:%SZ}" if as_of else "")
    )


def run_daily(
    settings: Settings,
    *,
    run_date: date,
    as_of: datetime | None = None,
    league: str | None = None,
    from_step: str | None = None,
    accept_quarantined: bool = False,
    command: str = "run-daily",
    warehouse: Warehouse | None = None,
    steps: Mapping[str, Step] = STEPS,
    progress: Progress | None = None,
) -> RunReport:
    """The daily run (or, with `steps=INGEST_STEPS`, the ingestion alone). Holds the (league,
    date) run lock for its whole duration."""
    league_config = load_league(league or settings.league, settings.leagues_dir)
    if from_step is not None:
        check_step(from_step, steps)
    wh = warehouse or connect(settings.database_url)
    try:
        with wh.run_lock(run_lock_key(league_config, run_date)):
            wh.migrate()
            resumed: str | None = None
            if from_step is not None and from_step != next(iter(steps)):
                found = resumable_run(wh, league_config, run_date, as_of, from_step)
                resumed, as_of = str(found["run_id"]), as_of or found["as_of"]  # type: ignore[assignment]
            ctx = RunContext.new(
                settings,
                wh,
                league_config,
                run_date,
                as_of,
                accept_quarantined=accept_quarantined,
                resumed_from=resumed,
            )
            return run_steps(ctx, steps, command, from_step if resumed else None, progress)
    finally:
        if warehouse is None:
            wh.close()


def run_ingest(settings: Settings, **kwargs: Any) -> RunReport:
    """`spread-eagle ingest`: the two ingestion steps alone, a run of their own in the ledger."""
    kwargs.setdefault("command", "ingest")
    return run_daily(settings, steps=INGEST_STEPS, **kwargs)
