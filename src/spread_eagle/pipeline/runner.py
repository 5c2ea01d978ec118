"""The one run loop: steps in order under the run lock, each recorded in the ledger; a failure is
redacted, recorded, and stops the run (later steps skipped); `--from-step` resumes a run whose
earlier steps succeeded under the same clock, reusing their outputs.

`run-daily`, `ingest` and `--from-step` run through `run_steps`; backfill runs each step over its
chunk of runs through the same `execute_batch` (`execute_step` is it for one run) and `fail_run`.
A RunReport with status "succeeded" means valid and published (or, for `ingest`, ingested);
anything else carries the failing step and error.
"""

from __future__ import annotations

import contextlib
import logging
import signal
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
    BatchStep,
    RunContext,
    RunInvalidError,
    Step,
    StepFailedError,
    StepOutcome,
    ledger,
    per_run,
    run_lock_key,
    signals,
)
from spread_eagle.run.step import Progress
from spread_eagle.warehouse import LockLostError, Warehouse, connect
from spread_eagle.warehouse.errors import STORAGE_ERRNOS, explain, os_errno

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
    open_runs([ctx], from_step, command, steps)


def open_runs(
    ctxs: list[RunContext], from_step: str | None, command: str, steps: list[str] | None = None
) -> None:
    """`open_run` of many runs at once (a backfill's chunk: their ledger rows in one statement)."""
    ledger.start_runs(ctxs, steps or STEP_NAMES, from_step, command)
    ctxs[0].warehouse.keep_reserve()  # room to note a failure in, should the disk fill
    for ctx in ctxs:
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
    """Record a step's failure, end the run, skip the later steps; returns the error to raise.

    The failure may be the warehouse connection itself (terminated, the disk full): when writing
    through it fails, the record is written through a fresh connection. When that fails too (the
    disk is full), the failure is noted beside the warehouse in the space the run held in reserve
    (`Warehouse.note_failure`): `status` shows it and the next run writes it to the ledger. With
    no note either, it is logged, and the next run (or `status`) finds the run's process gone."""
    order = steps or STEP_NAMES
    later = order[order.index(step) + 1 :] if step in order else []
    for attempt in (1, 2):
        try:
            with signals.critical(), ctx.warehouse.transaction():
                wh = ctx.warehouse
                ledger.step_finished(
                    wh, ctx.run_id, step, StepOutcome(), status=ledger.FAILED, error=error
                )
                ledger.finish_run(wh, ctx.run_id, status, error=f"{step}: {error}")
                for name in later:
                    ledger.step_skipped(wh, ctx.run_id, name, f"not run: {step} failed")
            break
        except Exception as exc:
            cause = explain(exc, ctx.warehouse.url) or f"{type(exc).__name__}: {exc}"
            if attempt == 2:
                noted = ctx.warehouse.note_failure(
                    {"run_id": ctx.run_id, "step": step, "status": status, "error": error}
                )
                log.error(
                    "could not record the failure of run %s in the ledger (%s); %s",
                    ctx.run_id,
                    cause,
                    "noted it beside the warehouse: the next run writes it to the ledger"
                    if noted
                    else "the next run marks it failed",
                )
                break
            log.warning("recording the failure through a fresh connection (%s)", cause)
            with contextlib.suppress(Exception):
                ctx.warehouse.close()  # the next statement opens a new connection
    return StepFailedError(step, status, error)


def _failure_text(ctx: RunContext, name: str, exc: BaseException) -> str:
    interrupt = signals.as_interrupt(exc)
    if interrupt is not None:
        return f"{interrupt} during step {name}"
    if isinstance(exc, Exception):
        text = _storage_cause(ctx, exc)
        if text is None:
            detail = str(exc).strip()
            text = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        return redact_text(text, ctx.settings.secrets())
    return f"{type(exc).__name__} during step {name}"  # SystemExit, GeneratorExit


def _storage_cause(ctx: RunContext, exc: Exception) -> str | None:
    """One line for what broke underneath a step (the lock, the connection, the disk), else None
    (the step's own error is recorded as it is)."""
    import duckdb
    import psycopg

    if isinstance(exc, LockLostError):
        return str(exc)
    if isinstance(exc, psycopg.OperationalError) or (
        isinstance(exc, OSError | duckdb.Error) and os_errno(exc) in STORAGE_ERRNOS
    ):
        return explain(exc, ctx.warehouse.url)
    return None


def execute_step(
    ctx: RunContext,
    name: str,
    step: Step | None = None,
    steps: list[str] | None = None,
) -> StepOutcome:
    """Run one step of one run under the ledger (`execute_batch` of that one run)."""
    return execute_batch([ctx], name, per_run(step or STEPS[name]), steps)[0]


def execute_batch(
    ctxs: list[RunContext],
    name: str,
    step: BatchStep,
    steps: list[str] | None = None,
) -> list[StepOutcome]:
    """Run one step for every run of `ctxs` (one run, or a backfill's batch, oldest first) under
    the ledger: the ledger rows of the whole batch are written in one statement each.

    On failure (the batch step raised for the first run it could not complete): the runs before it
    are recorded as done, the failure is recorded on that run (secrets redacted; the run marked
    failed or invalid, its later steps skipped, the person told what to re-run), the runs after it
    go back to pending, and StepFailedError is raised. A signal (SIGTERM, SIGINT: `run.signals`)
    or another BaseException is recorded the same way, naming the step, then re-raised. Before the
    step every run checks it still holds its lock."""
    wh = ctxs[0].warehouse
    outcomes: list[StepOutcome] = []
    with log_context(run_id=ctxs[0].run_id if len(ctxs) == 1 else None, step=name):
        started = time.perf_counter()
        try:
            signals.raise_if_interrupted()
            log.debug("step %s started", name)  # tests wait for this line in the log
            ledger.steps_started(wh, [c.run_id for c in ctxs], name)
            for ctx in ctxs:
                wh.check_run_lock(ctx.lock_key)
            for outcome in step(ctxs):
                outcomes.append(outcome)
            with signals.critical():
                ledger.steps_finished(
                    wh, name, [(c.run_id, o) for c, o in zip(ctxs, outcomes, strict=True)]
                )
        except BaseException as exc:  # fail fast: every failure is recorded, then the run stops
            # the run the step failed for: the first without an outcome (the first, when writing
            # the batch's ledger rows failed)
            failed = len(outcomes) if len(outcomes) < len(ctxs) else 0
            _record_partial(ctxs, name, outcomes[:failed], ctxs[failed + 1 :])
            to_raise = _step_failed(ctxs[failed], name, exc, steps)
            if to_raise is exc:
                raise
            raise to_raise from exc
        log.debug("step %s done in %.2fs", name, time.perf_counter() - started)
        return outcomes


def _record_partial(
    ctxs: list[RunContext], name: str, done: list[StepOutcome], rest: list[RunContext]
) -> None:
    """A batch stopped part way: the runs before the failed one did the step, the rest did not."""
    if not done and not rest:
        return
    wh = ctxs[0].warehouse
    try:
        with signals.critical(), wh.transaction():
            ledger.steps_finished(
                wh, name, [(c.run_id, o) for c, o in zip(ctxs, done, strict=False)]
            )
            ledger.steps_pending(wh, [c.run_id for c in rest], name)
    except Exception as exc:  # the connection may be the failure (fail_run opens a fresh one)
        log.warning("could not record the rest of the batch's %s step: %s", name, exc)


def _step_failed(
    ctx: RunContext, name: str, exc: BaseException, steps: list[str] | None
) -> BaseException:
    """Record `exc` as the failure of `ctx`'s step `name`; the exception for the caller to raise."""
    with log_context(run_id=ctx.run_id, step=name):
        error = _failure_text(ctx, name, exc)
        status = ledger.INVALID if isinstance(exc, RunInvalidError) else ledger.FAILED
        failure = fail_run(ctx, name, error, status, steps)
        failure.run_id = ctx.run_id
        exc.recorded = True  # type: ignore[attr-defined]
        log.error("step %s failed: %s", name, error)
        log.error(
            "nothing was published; the previous slate (if any) is unchanged. Fix the cause, "
            "then: spread-eagle run-daily --resume %s",
            ctx.run_id,
        )
        log.debug("traceback of the failure", exc_info=exc)
    interrupt = signals.as_interrupt(exc)
    if interrupt is not None:
        interrupt.run_id, interrupt.step, interrupt.recorded = ctx.run_id, name, True
        return interrupt
    if isinstance(exc, Exception):
        return failure
    return exc


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


def snapshot_runs(ctx: RunContext) -> None:
    """The runs snapshot for DuckDB readers; never changes the run's outcome (nor hides why it
    failed when the connection is the failure)."""
    try:
        export_runs_quietly(ctx.warehouse)
    except Exception as exc:
        log.warning("could not write the runs snapshot: %s", explain(exc, ctx.warehouse.url) or exc)


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
    with signals.critical():  # DuckDB: `status` reads this snapshot while the run holds the file
        snapshot_runs(ctx)
    first = names.index(from_step) if from_step else 0
    current = names[0]
    try:
        for n, name in enumerate(names):
            current = name
            if progress:
                progress(n, len(names), name)
            if n < first:
                reuse_step(ctx, name)
            else:
                report.outcomes[name] = execute_step(ctx, name, steps[name], names)
                with signals.critical():  # a signal here stops the run at the next step
                    snapshot_runs(ctx)
        with signals.critical():
            ledger.finish_run(ctx.warehouse, ctx.run_id, ledger.SUCCEEDED)
    except StepFailedError as failure:
        report.status, report.failed_step, report.error = (
            failure.status,
            failure.step,
            failure.error,
        )
    except BaseException as exc:  # between steps (reuse, ledger): record it, then re-raise
        if not getattr(exc, "recorded", False):
            fail_run(ctx, current, _failure_text(ctx, current, exc), ledger.FAILED, names)
        interrupt = signals.as_interrupt(exc)
        if isinstance(exc, signals.RunInterrupted) and exc.run_id is None:
            exc.run_id, exc.step = ctx.run_id, current
        snapshot_runs(ctx)
        if interrupt is not None and interrupt is not exc:
            interrupt.run_id, interrupt.step = ctx.run_id, current
            raise interrupt from exc
        raise
    else:
        report.status = ledger.SUCCEEDED
        with log_context(run_id=ctx.run_id):
            log.info("run %s succeeded in %.1fs", ctx.run_id, time.perf_counter() - started)
    snapshot_runs(ctx)  # DuckDB readers see runs only through this snapshot
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


def resume_point(wh: Warehouse, run_id: str, held: str | None = None) -> dict[str, Any]:
    """What `--resume RUN_ID` continues: the run's league, date and clock, and its failed step
    (the first step that neither succeeded nor was reused). Only a failed or invalid run resumes."""
    rows = (
        wh.query(
            "select run_id, league, run_date, as_of, status, pid, host from ops.run where run_id = ?",
            (run_id,),
        )
        if wh.relation_exists("ops", "run")
        else []
    )
    if not rows:
        raise ResumeError(
            f"no run {run_id!r} in {wh.describe()}: see the runs with: spread-eagle status"
        )
    run = rows[0]
    if run["status"] == ledger.SUCCEEDED:
        raise ResumeError(
            f"run {run_id} succeeded: nothing to resume. To run the date again: spread-eagle "
            f"run-daily --date {run['run_date']}"
        )
    if run["status"] == ledger.RUNNING and not ledger.process_gone(wh, run):
        raise ResumeError(
            f"run {run_id} is still running (pid {run['pid']} on {run['host']}): wait for it, "
            "then see it with: spread-eagle status"
        )
    statuses = wh.query(
        "select step, status from ops.step_run where run_id = ? order by ordinal", (run_id,)
    )
    failed = next(
        (s["step"] for s in statuses if s["status"] not in (ledger.SUCCEEDED, ledger.REUSED)),
        None,
    )
    if failed is None:
        raise ResumeError(f"run {run_id} has no failed step to resume from")
    return {**run, "from_step": failed}


def run_daily(
    settings: Settings,
    *,
    run_date: date | None = None,
    as_of: datetime | None = None,
    league: str | None = None,
    from_step: str | None = None,
    resume: str | None = None,
    accept_quarantined: bool = False,
    command: str = "run-daily",
    warehouse: Warehouse | None = None,
    steps: Mapping[str, Step] = STEPS,
    progress: Progress | None = None,
) -> RunReport:
    """The daily run (or, with `steps=INGEST_STEPS`, the ingestion alone). Holds the (league,
    date) run lock for its whole duration.

    First it marks failed any run of any date whose process is gone. `resume`: continue that
    failed run from its failed step, under its clock (a new run, `resumed_from` = that run).
    SIGTERM and SIGINT end the run as failed, naming the step and the signal (then re-raised as
    `signals.RunInterrupted`)."""
    if from_step is not None:
        check_step(from_step, steps)
    wh = warehouse or connect(settings.database_url)
    try:
        with signals.interrupts_as_failures():
            resuming: dict[str, Any] | None = None
            if resume is not None:  # which date to lock: read before migrating, so no new columns
                found_run = (
                    wh.query("select league, run_date from ops.run where run_id = ?", (resume,))
                    if wh.relation_exists("ops", "run")
                    else []
                )
                if not found_run:
                    resume_point(wh, resume)  # raises: no such run
                league, run_date = str(found_run[0]["league"]), found_run[0]["run_date"]
            if run_date is None:
                raise ValueError("run_daily needs run_date (or resume)")
            league_config = load_league(league or settings.league, settings.leagues_dir)
            key = run_lock_key(league_config, run_date)
            with wh.run_lock(key):
                wh.migrate()
                resumed: str | None = None
                ledger.apply_failure_notes(wh)
                ledger.reap_gone_runs(wh, held=key)
                if resume is not None:
                    resuming = resume_point(wh, resume, held=key)
                if resuming is not None:
                    resumed, as_of, from_step = resume, resuming["as_of"], resuming["from_step"]
                elif from_step is not None and from_step != next(iter(steps)):
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
                report = run_steps(ctx, steps, command, from_step if resumed else None, progress)
            held = signals.received()
            if held is not None:  # held while publish switched (or the ledger was written)
                log.warning(
                    "received %s while run %s was finishing: it finished first (%s)",
                    signal.Signals(held).name,
                    report.run_id,
                    report.status,
                )
            return report
    finally:
        if warehouse is None:
            with contextlib.suppress(Exception):
                wh.close()


def run_ingest(settings: Settings, **kwargs: Any) -> RunReport:
    """`spread-eagle ingest`: the two ingestion steps alone, a run of their own in the ledger."""
    kwargs.setdefault("command", "ingest")
    return run_daily(settings, steps=INGEST_STEPS, **kwargs)
