"""Backfill: rebuild history for a range of dates in the runbook's order — raw first, then dbt,
then models, then content — batched so dbt runs twice for the whole range instead of twice a date.

Every date still gets its own run in the ledger with all seven steps; the two dbt builds are
shared by the batch (each run's transform/publish row says so). Dates go oldest first, and the
backfill stops at the first failure, since later dates build on earlier ones.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from spread_eagle.config import Settings
from spread_eagle.leagues import load_league
from spread_eagle.pipeline import ledger
from spread_eagle.pipeline.context import RunContext, StepOutcome
from spread_eagle.pipeline.runner import StepFailedError, execute_step, open_run
from spread_eagle.publish.step import build_ui, switch
from spread_eagle.transform.step import transform
from spread_eagle.warehouse import Warehouse, connect

log = logging.getLogger(__name__)

PER_DATE_MODEL_STEPS = ("predict", "summarize", "validate")


@dataclass
class BackfillResult:
    dates: int = 0
    published: int = 0
    failed: list[tuple[date, str]] = field(default_factory=list)
    seconds: float = 0.0


def dates_to_fill(settings: Settings, start: date, end: date) -> list[date]:
    """With the replay schedule, only dates that have games; otherwise every date."""
    if settings.schedule_provider == "replay":
        with settings.resolved_games_file.open(encoding="utf-8-sig", newline="") as handle:
            days = {row.get("gameday") for row in csv.DictReader(handle)}
        return sorted(d for d in (date.fromisoformat(x) for x in days if x) if start <= d <= end)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


@contextmanager
def _locked(ctx: RunContext) -> Iterator[None]:
    with ctx.warehouse.run_lock(ctx.lock_key):
        yield


def _shared(ctxs: list[RunContext], step: str, outcome: StepOutcome, owner: RunContext) -> None:
    """Record a batch-wide step on every other run of the batch."""
    shared = StepOutcome(
        counts=outcome.counts,
        dbt_status=outcome.dbt_status,
        detail=f"built once for the backfill batch by run {owner.run_id}",
    )
    for ctx in ctxs:
        if ctx is not owner:
            ledger.step_started(ctx.warehouse, ctx.run_id, step)
            ledger.step_finished(ctx.warehouse, ctx.run_id, step, shared)


def _fail_all(
    ctxs: list[RunContext], step: str, failure: StepFailedError, owner: RunContext
) -> None:
    for ctx in ctxs:
        if ctx is owner:
            continue
        ledger.step_finished(
            ctx.warehouse,
            ctx.run_id,
            step,
            StepOutcome(),
            status=ledger.FAILED,
            error=failure.error,
        )
        ledger.finish_run(
            ctx.warehouse, ctx.run_id, failure.status, error=f"{step}: {failure.error}"
        )
        for later in ledger_steps_after(step):
            ledger.step_skipped(ctx.warehouse, ctx.run_id, later, f"not run: {step} failed")


def ledger_steps_after(step: str) -> list[str]:
    from spread_eagle.pipeline.steps import STEP_NAMES

    return STEP_NAMES[STEP_NAMES.index(step) + 1 :]


def backfill(
    settings: Settings, start: date, end: date, league: str | None = None
) -> BackfillResult:
    league_config = load_league(league or settings.league)
    days = dates_to_fill(settings, start, end)
    result = BackfillResult(dates=len(days))
    started = time.perf_counter()
    wh = connect(settings.database_url)
    try:
        wh.migrate()
        with Progress(
            TextColumn("backfill {task.description:<9} {task.fields[day]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        ) as progress:
            _run_batch(settings, wh, league_config.league, days, progress, result)
    finally:
        wh.close()
    result.seconds = time.perf_counter() - started
    return result


def _run_batch(
    settings: Settings,
    wh: Warehouse,
    league: str,
    days: list[date],
    progress: Progress,
    result: BackfillResult,
) -> None:
    league_config = load_league(league)
    ctxs: list[RunContext] = []
    task = progress.add_task("raw", total=len(days) * 2 + 2, day="")
    try:
        for day in days:  # 1. raw, oldest first
            ctx = RunContext.new(settings, wh, league_config, day)
            ctxs.append(ctx)
            progress.update(task, description="raw", day=day.isoformat())
            with _locked(ctx):
                open_run(ctx, None, "backfill")
                execute_step(ctx, "ingest_slate")
                execute_step(ctx, "ingest_results")
            progress.advance(task)
        if not ctxs:
            return
        owner = ctxs[-1]
        progress.update(task, description="dbt", day=f"{days[0]}..{days[-1]}")
        try:  # 2. one dbt build for the whole range
            first_day = days[0]
            outcome = execute_step(
                owner, "transform", lambda ctx: transform(ctx, rebuild_from=first_day)
            )
            _shared(ctxs, "transform", outcome, owner)
        except StepFailedError as failure:
            _fail_all(ctxs, "transform", failure, owner)
            raise
        progress.advance(task)
        for ctx in ctxs:  # 3. models and content, date by date
            progress.update(task, description="models", day=ctx.run_date.isoformat())
            with _locked(ctx):
                for step in PER_DATE_MODEL_STEPS:
                    execute_step(ctx, step)
            progress.advance(task)
        progress.update(task, description="publish", day=f"{days[0]}..{days[-1]}")
        try:  # 4. one build of the UI relations, then each date's atomic switch
            build_ui(owner)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            for ctx in ctxs:
                ledger.step_finished(
                    wh, ctx.run_id, "publish", StepOutcome(), status=ledger.FAILED, error=error
                )
                ledger.finish_run(wh, ctx.run_id, ledger.FAILED, error=f"publish: {error}")
            raise StepFailedError("publish", ledger.FAILED, error) from exc
        for ctx in ctxs:
            with _locked(ctx):
                execute_step(ctx, "publish", switch)
                ledger.finish_run(wh, ctx.run_id, ledger.SUCCEEDED)
            result.published += 1
        progress.advance(task)
    except StepFailedError as failure:
        failed_day = next(
            (c.run_date for c in ctxs if _status(wh, c.run_id) != ledger.RUNNING), days[0]
        )
        result.failed.append((failed_day, str(failure)))
        for ctx in ctxs:  # runs the failure left open: say why they stopped
            if _status(wh, ctx.run_id) == ledger.RUNNING:
                ledger.finish_run(
                    wh, ctx.run_id, ledger.FAILED, error=f"backfill stopped: {failure}"
                )
        log.error("backfill stopped: %s", failure)


def _status(wh: Warehouse, run_id: str) -> str:
    return str(wh.scalar("select status from ops.run where run_id = ?", (run_id,)))
