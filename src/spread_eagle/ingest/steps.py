"""The two ingestion steps of the daily run.

What each step reports to the ledger (StepOutcome.counts): payloads new/unchanged, rows landed,
unchanged line rows skipped, records quarantined, and each provider's `stats()` (The Odds API's
quota headers `odds_api_requests_remaining/used/last`, nflverse's conditional-GET outcome).

When a step fails: every payload fetched before the failure is already stored (each new one in its
own transaction; in a backfill's chunk, all of them when the chunk's step ends) and every unusable one is in raw.quarantine with its reason, so nothing is lost; the
step then fails loud when what is left cannot satisfy validation:
- the schedule source sent nothing usable (empty body, truncated JSON, an HTML error page...);
- the lines source sent nothing usable, or no line at all while games are scheduled;
- the results source sent nothing usable.
A fetch error (timeout, 5xx/429 after the retries, 401/403 at once) fails the step with its cause.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from spread_eagle.ingest.payload import ExpectedGame, Payload, QuarantinedRecord
from spread_eagle.ingest.providers.base import LINES, RESULTS, SCHEDULE, Provider
from spread_eagle.ingest.raw_store import StoreResult, deferred_writes, store_payloads
from spread_eagle.ingest.registry import HttpOptions, providers_for
from spread_eagle.run import BatchStep, RunContext, Step, StepOutcome
from spread_eagle.run.step import until_failure

log = logging.getLogger(__name__)

# Tests inject a transport / sleep here; production uses the defaults.
HTTP_OPTIONS = HttpOptions()


class IngestError(RuntimeError):
    """What a source sent cannot satisfy validation; the message says why."""


def _store_all(
    ctx: RunContext,
    provider: Provider,
    payloads: list[Payload],
    result: StoreResult,
    parse_stored: bool = True,
) -> tuple[list[ExpectedGame], list[QuarantinedRecord]]:
    """Store every payload; return the games they schedule and the records they quarantined
    (`parse_stored=False`: of the new payloads only)."""
    expected: list[ExpectedGame] = []
    quarantined: list[QuarantinedRecord] = []
    for parsed in store_payloads(
        ctx.warehouse,
        ctx.run_id,
        payloads,
        provider.parse,
        result,
        league=ctx.league.league,
        parse_stored=parse_stored,
    ):
        expected.extend(parsed.expected_games)
        quarantined.extend(q for q in parsed.quarantined if q.record_ref is not None)
    return expected, quarantined


def _record_schedule(
    ctx: RunContext,
    source: str,
    games: list[ExpectedGame],
    quarantined: list[QuarantinedRecord],
) -> int:
    """What this fetch says the date holds: its games, and the records it could not use. Validation
    expects these (as of its clock), whichever run fetched them."""
    wh = ctx.warehouse
    unique = {(g.home_team, g.away_team): g for g in games}
    scope = {"league": ctx.league.league, "run_date": ctx.run_date}
    with wh.transaction():
        wh.replace(
            "ops.expected_game",
            {"run_id": ctx.run_id},
            [
                {
                    "run_id": ctx.run_id,
                    **scope,
                    "source": g.source,
                    "home_team": g.home_team,
                    "away_team": g.away_team,
                    "kickoff_at": g.kickoff_at,
                }
                for g in unique.values()
            ],
        )
        wh.replace(
            "ops.schedule_quarantine",
            {"run_id": ctx.run_id, "source": source},
            [
                {
                    "run_id": ctx.run_id,
                    **scope,
                    "source": source,
                    "ordinal": n,
                    "record_ref": q.record_ref,
                    "reason": q.reason,
                }
                for n, q in enumerate(quarantined, start=1)
            ],
        )
        wh.replace(
            "ops.schedule_fetch",
            {"run_id": ctx.run_id, "source": source},
            [
                {
                    "run_id": ctx.run_id,
                    **scope,
                    "source": source,
                    "as_of": ctx.as_of,
                    "games": len(unique),
                    "quarantined": len(quarantined),
                }
            ],
        )
    return len(unique)


def _nothing_usable(
    kind: str, provider: Provider, fetched: list[Payload], result: StoreResult
) -> str | None:
    sources = {p.source for p in fetched}
    rejected = [reason for s in sources for reason in result.rejected.get(s, [])]
    usable = sum(result.usable.get(s, 0) for s in sources)
    if rejected and not usable:
        return f"the {kind} source {provider.source} sent nothing usable: {'; '.join(rejected)} (kept in raw.quarantine)"
    return None


def _stats(*providers: Provider) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for provider in {id(p): p for p in providers}.values():
        out.update(provider.stats())
    return out


def ingest_slate(ctx: RunContext) -> StepOutcome:
    """The date's schedule and current lines, stored verbatim; the scheduled games noted for validation."""
    providers = providers_for(ctx.settings, ctx.league, ctx.warehouse, HTTP_OPTIONS)
    schedule, lines = providers[SCHEDULE], providers[LINES]
    result = StoreResult()
    fetched = schedule.fetch_schedule(ctx.run_date, ctx.as_of)
    expected, quarantined = _store_all(ctx, schedule, fetched, result)
    problem = _nothing_usable("schedule", schedule, fetched, result)
    if problem:
        raise IngestError(problem)
    games = _record_schedule(ctx, schedule.source, expected, quarantined)
    line_payloads = lines.fetch_lines(ctx.run_date, ctx.as_of)
    before = dict(result.parsed_rows)
    _store_all(ctx, lines, line_payloads, result)
    counts = {"games_scheduled": games, **result.counts(), **_stats(schedule, lines)}
    log.info("%d games scheduled on %s; %s", games, ctx.run_date, result.summary())
    problem = _nothing_usable("lines", lines, line_payloads, result)
    if problem:
        raise IngestError(problem)
    line_rows = sum(n - before.get(s, 0) for s, n in result.parsed_rows.items())
    if lines is not schedule and games and line_payloads and not line_rows:
        raise IngestError(
            f"the lines source {lines.source} sent no usable line for the {games} games scheduled on "
            f"{ctx.run_date} ({result.quarantined} records quarantined)"
        )
    if games == 0:
        log.info(
            "no %s games on %s: the slate will be empty", ctx.league.league.upper(), ctx.run_date
        )
    return StepOutcome(counts=counts)


def ingest_results(ctx: RunContext) -> StepOutcome:
    """Final scores of games finished by the run's as-of time."""
    provider = providers_for(ctx.settings, ctx.league, ctx.warehouse, HTTP_OPTIONS)[RESULTS]
    result = StoreResult()
    fetched = provider.fetch_results(ctx.run_date, ctx.as_of)
    # a results payload stored before (a finished season's file, served again each day) adds
    # nothing: its outcome is read, not parsed again
    _store_all(ctx, provider, fetched, result, parse_stored=False)
    log.info("results: %s", result.summary())
    problem = _nothing_usable("results", provider, fetched, result)
    if problem:
        raise IngestError(problem)
    return StepOutcome(counts={**result.counts(), **_stats(provider)})


def batched(step: Step) -> BatchStep:
    """An ingest step over a batch of runs (a backfill's chunk, oldest first): each run's step in
    turn, up to the first that fails, their payloads written together (`deferred_writes`) before
    the runs that completed are reported done; then that failure is raised."""

    def batch(ctxs: list[RunContext]) -> Iterator[StepOutcome]:
        with deferred_writes(ctxs[0].warehouse):
            done, failure = until_failure(ctxs, step)
        yield from done
        if failure is not None:
            raise failure

    return batch
