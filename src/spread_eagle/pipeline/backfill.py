"""Backfill: rebuild history for a range of dates in the runbook's order — raw first, then dbt,
then models, then content — batched so dbt runs twice for the whole range instead of twice a date.

Every date still gets its own run in the ledger with all seven steps, through the run loop's own
`execute_step` / `execute_batch` and `fail_run`. Raw, the model steps and publish go step by step
over chunks of dates whose run locks are held together, each step once for the chunk
(`execute_batch`: one ledger statement for all its runs); the two dbt builds are shared by the
batch (each run's transform and publish rows say so). Raw fetches date by date, each date finding
the payloads of the dates before it stored, and writes the chunk's payloads, sightings and rows
together (`raw_store.deferred_writes`), each already-stored payload parsed once
(`raw_store.reuse_parses`); predict shares one walk over history (`predict.step.HistoryWalk`);
publish switches each date in its own transaction and exports the documents for DuckDB readers
once. Dates go oldest first, and the backfill stops at the first failure, since later dates build
on earlier ones (in a chunk, the dates before the failed one still take the later steps; the dates
after it were opened and are marked stopped). Progress goes to an optional callback (the CLI draws
it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from spread_eagle.config import Settings
from spread_eagle.ingest.providers.replay import game_dates
from spread_eagle.ingest.raw_store import reuse_parses
from spread_eagle.ingest.steps import batched
from spread_eagle.leagues import load_league
from spread_eagle.pipeline.runner import (
    execute_batch,
    execute_step,
    fail_run,
    open_runs,
    snapshot_runs,
)
from spread_eagle.pipeline.steps import INGEST_STEPS
from spread_eagle.predict.step import HistoryWalk, predict_runs
from spread_eagle.publish.documents import export_after_publish
from spread_eagle.publish.step import build_ui, switch_runs
from spread_eagle.redact import redact_text
from spread_eagle.run import BatchStep, RunContext, StepFailedError, StepOutcome, ledger
from spread_eagle.run.step import Progress
from spread_eagle.summarize.step import summarize_batch
from spread_eagle.transform.step import transform
from spread_eagle.validate.step import validate_batch, validation_gates
from spread_eagle.warehouse import Warehouse, connect, marks

log = logging.getLogger(__name__)

# Dates whose runs take each step together (their run locks held at once).
CHUNK = 256

# Raw, step by step over a chunk: each date's payloads in turn (the later ones find the earlier
# ones stored), written together once the chunk's step has run (`raw_store.deferred_writes`).
RAW_STEPS: dict[str, BatchStep] = {name: batched(step) for name, step in INGEST_STEPS.items()}


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
    others = [c.run_id for c in ctxs if c is not owner]
    if others:
        ledger.steps_started(owner.warehouse, others, step)
        ledger.steps_finished(owner.warehouse, step, [(run_id, shared) for run_id in others])


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
    accept_quarantined: bool = False,
) -> BackfillResult:
    """`accept_quarantined`: every date's run publishes without its quarantined scheduled games
    (recorded on each run, as `run-daily --accept-quarantined` does), instead of stopping there."""
    days = dates_to_fill(settings, start, end, league)
    result = BackfillResult(dates=len(days))
    started = time.perf_counter()
    wh = connect(settings.database_url)
    try:
        wh.migrate()
        _run_batch(
            settings, wh, league or settings.league, days, result, progress, accept_quarantined
        )
    finally:
        wh.close()
    result.seconds = time.perf_counter() - started
    return result


def _chunks(ctxs: list[RunContext]) -> list[list[RunContext]]:
    return [ctxs[n : n + CHUNK] for n in range(0, len(ctxs), CHUNK)]


def _run_batch(
    settings: Settings,
    wh: Warehouse,
    league: str,
    days: list[date],
    result: BackfillResult,
    progress: Progress | None,
    accept_quarantined: bool,
) -> None:
    league_config = load_league(league, settings.leagues_dir)
    ctxs: list[RunContext] = []
    chunks = -(-len(days) // CHUNK)
    total, done = len(days) + 1 + 2 * chunks, 0

    def advance(label: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, label)

    try:
        with reuse_parses():  # every date is served the finished seasons again: parse them once
            for n in range(0, len(days), CHUNK):  # 1. raw, oldest first, a chunk at a time
                chunk = [
                    RunContext.new(
                        settings, wh, league_config, d, accept_quarantined=accept_quarantined
                    )
                    for d in days[n : n + CHUNK]
                ]
                ctxs.extend(chunk)
                with wh.run_locks([c.lock_key for c in chunk]):
                    open_runs(chunk, None, "backfill")
                    _run_steps(chunk, RAW_STEPS)
                for ctx in chunk:
                    advance(f"raw {ctx.run_date}")
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
        model_steps = _model_steps(days[-1])
        for chunk in _chunks(ctxs):  # 3. models and content, step by step over each chunk
            with wh.run_locks([c.lock_key for c in chunk]):
                _run_steps(chunk, model_steps)
            advance(f"models {chunk[0].run_date}..{chunk[-1].run_date}")
        try:  # 4. one build of the UI relations, then each date's gated, atomic switch
            build_ui(owner)
        except Exception as exc:
            error = redact_text(f"{type(exc).__name__}: {exc}", settings.secrets())
            for ctx in ctxs:
                fail_run(ctx, "publish", error)
            raise StepFailedError("publish", ledger.FAILED, error) from exc
        for chunk in _chunks(ctxs):
            with wh.run_locks([c.lock_key for c in chunk]):
                try:
                    execute_batch(chunk, "publish", _gated_switches)
                except StepFailedError as failure:  # the dates before it did publish
                    _published(wh, chunk[: _index(chunk, failure)], result)
                    raise
                _published(wh, chunk, result)
            advance(f"publish {chunk[0].run_date}..{chunk[-1].run_date}")
    except StepFailedError as failure:
        running = _running(wh, ctxs)
        failed_day = next((c.run_date for c in ctxs if c.run_id == failure.run_id), None)
        failed_day = failed_day or next(
            (c.run_date for c in ctxs if c.run_id not in running), days[0]
        )
        result.failed.append((failed_day, str(failure)))
        stopped = [c.run_id for c in ctxs if c.run_id in running]
        if stopped:  # runs the failure left open: say why they stopped
            ledger.finish_runs(wh, stopped, ledger.FAILED, error=f"backfill stopped: {failure}")
        log.error("backfill stopped: %s", failure)
    if ctxs:  # the runs' final states, for DuckDB readers
        snapshot_runs(ctxs[-1])


def _model_steps(last: date) -> dict[str, BatchStep]:
    return {
        "predict": _batch_predict(last),
        "summarize": summarize_batch,
        "validate": validate_batch,
    }


def _run_steps(chunk: list[RunContext], steps: dict[str, BatchStep]) -> None:
    """Each step (raw, or the model steps) over the chunk, in the order of a run's steps. When a date fails, the dates
    before it still take the later steps (as each date runs its steps in turn, so the earlier
    dates end validated), then the failure stops the backfill."""
    live, failure = chunk, None
    for name, step in steps.items():
        if not live:
            break
        try:
            execute_batch(live, name, step)
        except StepFailedError as exc:
            failure = failure or exc
            live = live[: _index(live, exc)]
    if failure is not None:
        raise failure


def _batch_predict(last: date) -> BatchStep:
    """The predict steps of the batch's chunks, sharing one history walk: the warehouse does not
    change between them, so history is walked once instead of once a date (read by the first,
    after the batch's dbt build)."""
    shared: dict[str, HistoryWalk] = {}

    def step(ctxs: list[RunContext]) -> Iterator[StepOutcome]:
        if "walk" not in shared:
            shared["walk"] = HistoryWalk.read(
                ctxs[0].warehouse, ctxs[0].league, last, first=ctxs[0].run_date
            )
        return predict_runs(ctxs, shared["walk"])

    return step


def _gated_switches(ctxs: list[RunContext]) -> Iterator[StepOutcome]:
    """Each date's validation gate and atomic switch, for the chunk at once (one read, one
    transaction), up to the first date that fails its gate or its switch; then the switched dates
    are exported for DuckDB readers once."""
    passed, invalid = validation_gates(ctxs)
    failure: Exception | None = invalid
    switched: list[StepOutcome] = []
    try:
        for outcome in switch_runs(ctxs[: len(passed)]) if passed else ():
            switched.append(outcome)
    except Exception as exc:  # a partial slate: the dates before it are switched
        failure = exc
    wh, league = ctxs[0].warehouse, ctxs[0].league.league
    export_after_publish(wh, league, *(c.run_date for c in ctxs[: len(switched)]))
    yield from switched
    if failure is not None:
        raise failure


def _index(ctxs: list[RunContext], failure: StepFailedError) -> int:
    """Where in `ctxs` the run that failed is (the runs before it did the step)."""
    return next(n for n, c in enumerate(ctxs) if c.run_id == failure.run_id)


def _published(wh: Warehouse, ctxs: list[RunContext], result: BackfillResult) -> None:
    if ctxs:
        ledger.finish_runs(wh, [c.run_id for c in ctxs], ledger.SUCCEEDED)
        result.published += len(ctxs)


def _running(wh: Warehouse, ctxs: list[RunContext]) -> set[str]:
    """The runs of the batch still running (one read)."""
    ids = [c.run_id for c in ctxs]
    return {
        r["run_id"]
        for r in wh.query(
            f"select run_id from ops.run where status = ? and run_id in ({marks(ids)})",
            (ledger.RUNNING, *ids),
        )
    }
