"""The two ingestion steps of the daily run."""

from __future__ import annotations

import logging

from spread_eagle.ingest.payload import ExpectedGame, Payload
from spread_eagle.ingest.providers.base import Provider
from spread_eagle.ingest.raw_store import StoreResult, store_payload
from spread_eagle.ingest.registry import providers_for
from spread_eagle.pipeline.context import RunContext, StepOutcome

log = logging.getLogger(__name__)


def _store_all(
    ctx: RunContext, provider: Provider, payloads: list[Payload], result: StoreResult
) -> None:
    for payload in payloads:
        store_payload(ctx.warehouse, ctx.run_id, payload, provider.parse, result)


def _record_expected(ctx: RunContext, games: list[ExpectedGame]) -> int:
    wh = ctx.warehouse
    unique = {(g.home_team, g.away_team): g for g in games}
    with wh.transaction():
        wh.execute("delete from ops.expected_game where run_id = ?", (ctx.run_id,))
        wh.insert_rows(
            "ops.expected_game",
            ["run_id", "league", "run_date", "source", "home_team", "away_team", "kickoff_at"],
            [
                [
                    ctx.run_id,
                    ctx.league.league,
                    ctx.run_date,
                    g.source,
                    g.home_team,
                    g.away_team,
                    g.kickoff_at,
                ]
                for g in unique.values()
            ],
        )
    return len(unique)


def ingest_slate(ctx: RunContext) -> StepOutcome:
    """The date's schedule and current lines, stored verbatim; the scheduled games noted for validation."""
    providers = providers_for(ctx.settings, ctx.league)
    result = StoreResult()
    _store_all(
        ctx,
        providers["schedule"],
        providers["schedule"].fetch_schedule(ctx.run_date, ctx.as_of),
        result,
    )
    if providers["lines"] is not providers["schedule"]:
        _store_all(
            ctx, providers["lines"], providers["lines"].fetch_lines(ctx.run_date, ctx.as_of), result
        )
    games = _record_expected(ctx, result.expected_games)
    log.info(
        "%d games scheduled on %s; %d new payloads, %d unchanged, %d rows, %d quarantined",
        games,
        ctx.run_date,
        result.payloads_new,
        result.payloads_seen,
        result.rows,
        result.quarantined,
    )
    if games == 0:
        log.info(
            "no %s games on %s: the slate will be empty", ctx.league.league.upper(), ctx.run_date
        )
    return StepOutcome(counts={"games_scheduled": games, **result.counts()})


def ingest_results(ctx: RunContext) -> StepOutcome:
    """Final scores of games finished by the run's as-of time."""
    provider = providers_for(ctx.settings, ctx.league)["results"]
    result = StoreResult()
    _store_all(ctx, provider, provider.fetch_results(ctx.run_date, ctx.as_of), result)
    log.info(
        "results: %d new payloads, %d unchanged, %d rows, %d quarantined",
        result.payloads_new,
        result.payloads_seen,
        result.rows,
        result.quarantined,
    )
    return StepOutcome(counts=result.counts())
