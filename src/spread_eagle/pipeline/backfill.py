"""Backfill: rebuild history for a range of dates in the runbook's order — raw first, then dbt,
then models, then content — batched so dbt runs twice for the whole range instead of twice a date.

Every date still gets its own run in the ledger with all seven steps, through the run loop's own
`execute_step` and `fail_run`; the two dbt builds are shared by the batch (each run's transform and
publish rows say so), and so is the predict steps' walk over history (`predict.step.HistoryWalk`)
and, in the raw phase, the parse of each already-stored payload (`raw_store.reuse_parses`). Dates
go oldest first, and the backfill stops at the first failure, since later dates build on earlier
ones. Progress goes to an optional callback (the CLI draws it).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from spread_eagle.config import Settings
from spread_eagle.ingest.providers.replay import game_dates
from spread_eagle.ingest.raw_store import reuse_parses
from spread_eagle.leagues import load_league
from spread_eagle.pipeline.runner import execute_step, fail_run, open_run, snapshot_runs
from spread_eagle.predict.step import HistoryWalk, predict
from spread_eagle.publish.step import build_ui, switch
from spread_eagle.redact import redact_text
from spread_eagle.run import RunContext, Step, StepFailedError, StepOutcome, ledger
from spread_eagle.run.step import Progress
from spread_eagle.transform.step import transform
from spread_eagle.validate.step import validation_gate
from spread_eagle.warehouse import Warehouse, connect

log = logging.getLogger(__name__)

PER_DATE_MODEL_STEPS = ("predict", "summarize", "validate")


@dataclass
class BackfillResult:
    dates: int = 0
    published: int = 0
    failed: list[tuple[date, str]] = field(default_factory=list)
    seconds: float = 0.0


def dates_to_fill(
    settings: Settings, start: date, end: date, league_id: str | None = None
) -> list[date]:
    """With the replay schedule, only dates that have games; otherwise every date."""
    if settings.schedule_provider == "replay":
        league = load_league(league_id or settings.league, settings.leagues_dir)
        games = game_dates(settings.games_file_for(league), league)
        return [d for d in games if start <= d <= end]
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


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


def _fail_others(ctxs: list[RunContext], failure: StepFailedError, owner: RunContext) -> None:
    for ctx in ctxs:
        if ctx is not owner:
            fail_run(ctx, failure.step, failure.error, failure.status)


def backfill(
    settings: Settings,
    start: date,
    end: date,
    league: str | None = None,
    progress: Progress | None = None,
) -> BackfillResult:
    days = dates_to_fill(settings, start, end, league)
    result = BackfillResult(dates=len(days))
    started = time.perf_counter()
    wh = connect(settings.database_url)
    try:
        wh.migrate()
        _run_batch(settings, wh, league or settings.league, days, result, progress)
    finally:
        wh.close()
    result.seconds = time.perf_counter() - started
    return result


def _run_batch(
    settings: Settings,
    wh: Warehouse,
    league: str,
    days: list[date],
    result: BackfillResult,
    progress: Progress | None,
) -> None:
    league_config = load_league(league, settings.leagues_dir)
    ctxs: list[RunContext] = []
    total, done = len(days) * 2 + 2, 0

    def advance(label: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, label)

    try:
        with reuse_parses():  # every date is served the finished seasons again: parse them once
            for day in days:  # 1. raw, oldest first
                ctx = RunContext.new(settings, wh, league_config, day)
                ctxs.append(ctx)
                with wh.run_lock(ctx.lock_key):
                    open_run(ctx, None, "backfill")
                    execute_step(ctx, "ingest_slate")
                    execute_step(ctx, "ingest_results")
                advance(f"raw {day}")
        if not ctxs:
            return
        owner = ctxs[-1]  # the newest clock sees every date of the batch
        try:  # 2. one dbt build for the whole range
            first_day = days[0]
            outcome = execute_step(
                owner, "transform", lambda ctx: transform(ctx, rebuild_from=first_day)
            )
            _shared(ctxs, "transform", outcome, owner)
        except StepFailedError as failure:
            _fail_others(ctxs, failure, owner)
            raise
        advance(f"dbt {days[0]}..{days[-1]}")
        batch_steps = {"predict": _batch_predict(days[-1])}
        for ctx in ctxs:  # 3. models and content, date by date
            with wh.run_lock(ctx.lock_key):
                for step in PER_DATE_MODEL_STEPS:
                    execute_step(ctx, step, batch_steps.get(step))
            advance(f"models {ctx.run_date}")
        try:  # 4. one build of the UI relations, then each date's gated, atomic switch
            build_ui(owner)
        except Exception as exc:
            error = redact_text(f"{type(exc).__name__}: {exc}", settings.secrets())
            for ctx in ctxs:
                fail_run(ctx, "publish", error)
            raise StepFailedError("publish", ledger.FAILED, error) from exc
        for ctx in ctxs:
            with wh.run_lock(ctx.lock_key):
                execute_step(ctx, "publish", _gated_switch)
                ledger.finish_run(wh, ctx.run_id, ledger.SUCCEEDED)
            result.published += 1
        advance(f"publish {days[0]}..{days[-1]}")
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
    if ctxs:  # each publish exported the runs before its own run finished: the batch's final states
        snapshot_runs(ctxs[-1])


def _batch_predict(last: date) -> Step:
    """Every date's predict step of a batch, sharing one history walk: the warehouse does not
    change between them, so history is walked once instead of once a date (read by the first,
    after the batch's dbt build)."""
    shared: dict[str, HistoryWalk] = {}

    def step(ctx: RunContext) -> StepOutcome:
        if "walk" not in shared:
            shared["walk"] = HistoryWalk.read(ctx.warehouse, ctx.league, last)
        return predict(ctx, shared["walk"])

    return step


def _gated_switch(ctx: RunContext) -> StepOutcome:
    validation_gate(ctx)
    return switch(ctx)


def _status(wh: Warehouse, run_id: str) -> str:
    return str(wh.scalar("select status from ops.run where run_id = ?", (run_id,)))
