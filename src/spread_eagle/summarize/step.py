"""The summarize step: per game, payload -> TL;DR (cache or provider) -> grounding gate -> game_tldr.

A TL;DR that fails the gate is written again with the reason fed back, at most
`llm_grounding_attempts` times; a game still ungrounded (or a provider that fails after its
retries) fails the step, so the run is invalid and nothing of the date is published. Providers
run on a bounded thread pool; every warehouse read and write stays on the step's own thread.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from spread_eagle.leagues import League
from spread_eagle.logging import log_context
from spread_eagle.run import RunContext, StepOutcome
from spread_eagle.run.step import until_failure
from spread_eagle.summarize import cache
from spread_eagle.summarize.context import context_hash, context_json, retrieve
from spread_eagle.summarize.grounding import check_grounding
from spread_eagle.summarize.prompt import PROMPT_VERSION, render
from spread_eagle.summarize.providers import Provider, ProviderError, build_provider
from spread_eagle.warehouse import Warehouse, grouped
from spread_eagle.warehouse.relations import game_features_on, runs_predictions

log = logging.getLogger(__name__)


class SummarizeError(RuntimeError):
    pass


@dataclass
class Attempt:
    """One TL;DR attempt of a game: an ops.llm_call row."""

    tokens_in: int
    tokens_out: int
    latency: float
    retries: int
    cache_hit: bool
    grounded: bool
    reason: str


@dataclass
class GameTldr:
    game_id: str
    payload: dict[str, Any]
    payload_hash: str
    text: str = ""
    grounded: bool = False
    detail: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    error: str | None = None


def write_grounded(
    provider: Provider,
    game: GameTldr,
    league: League,
    max_attempts: int,
    cached: str | None = None,
) -> GameTldr:
    """Fill `game` with a grounded TL;DR (from the cache when it still passes the gate)."""
    if cached is not None:
        check = check_grounding(cached, game.payload, league)
        game.attempts.append(Attempt(0, 0, 0.0, 0, True, check.grounded, check.detail()))
        if check.grounded:
            game.text, game.grounded, game.detail = cached, True, check.detail()
            return game
    feedback = None
    for _ in range(max_attempts):
        try:
            completion = provider.write(render(feedback), game.payload)
        except ProviderError as exc:
            game.error = str(exc)
            return game
        check = check_grounding(completion.text, game.payload, league)
        game.attempts.append(
            Attempt(
                completion.tokens_in,
                completion.tokens_out,
                completion.latency,
                completion.retries,
                False,
                check.grounded,
                check.detail(),
            )
        )
        game.text, game.grounded, game.detail = completion.text, check.grounded, check.detail()
        if check.grounded:
            return game
        log.warning("%s: TL;DR rejected by the grounding gate: %s", game.game_id, check.detail())
        feedback = check.detail()
    return game


def _inputs(
    ctx: RunContext, features: list[dict[str, Any]], predictions: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]]:
    """(features, headline prediction, every model's prediction) of each game of a run's date."""
    every = grouped(predictions, "game_id")
    headline = ctx.settings.headline_model
    chosen = {g: p for g, ps in every.items() for p in ps if p["model"] == headline}
    for f in features:
        if f["game_id"] not in chosen:
            raise SummarizeError(
                f"run {ctx.run_id} has no prediction of {f['game_id']}; re-run from the predict step"
            )
    return [(f, chosen[f["game_id"]], every[f["game_id"]]) for f in features]


def _games(ctxs: list[RunContext]) -> tuple[list[list[GameTldr]], Exception | None]:
    """Each run's games with their payloads, read for the whole batch at once, up to the first
    run that cannot be summarized (and why)."""
    wh, league = ctxs[0].warehouse, ctxs[0].league
    features = game_features_on(wh, league, [c.run_date for c in ctxs])
    predictions = runs_predictions(wh, [c.run_id for c in ctxs])
    inputs, failure = until_failure(
        ctxs, lambda c: _inputs(c, features.get(c.run_date, []), predictions[c.run_id])
    )
    payloads = iter(retrieve(wh, league, [game for run in inputs for game in run]))
    games = [
        [GameTldr(p["game"]["game_id"], p, context_hash(p)) for p in islice(payloads, len(run))]
        for run in inputs
    ]
    return games, failure


def _write_all(
    ctxs: list[RunContext],
    provider: Provider,
    games: list[list[GameTldr]],
    cached: dict[str, str],
) -> None:
    settings = ctxs[0].settings

    def one(ctx: RunContext, game: GameTldr) -> GameTldr:
        return write_grounded(
            provider,
            game,
            ctx.league,
            settings.llm_grounding_attempts,
            cached.get(game.payload_hash),
        )

    if provider.in_process:  # no server to wait on: threads would only take turns
        for ctx, run in zip(ctxs, games, strict=False):
            with log_context(run_id=ctx.run_id):
                for game in run:
                    one(ctx, game)
        return
    # each task runs in a copy of this thread's context, so its log records keep run_id and step
    with ThreadPoolExecutor(max_workers=settings.llm_max_concurrency) as pool:
        futures = []
        for ctx, run in zip(ctxs, games, strict=False):
            with log_context(run_id=ctx.run_id):
                futures += [pool.submit(contextvars.copy_context().run, one, ctx, g) for g in run]
        for future in futures:
            future.result()


def _ledger_rows(
    ctx: RunContext, provider: Provider, games: list[GameTldr]
) -> list[dict[str, Any]]:
    """One ops.llm_call row per attempt of every game."""
    now = datetime.now(UTC)
    return [
        {
            "run_id": ctx.run_id,
            "game_id": g.game_id,
            "attempt": n,
            "provider": provider.name,
            "llm_model": provider.model or "",
            "prompt_version": PROMPT_VERSION,
            "payload_hash": g.payload_hash,
            "tokens_in": a.tokens_in,
            "tokens_out": a.tokens_out,
            "latency_seconds": a.latency,
            "retries": a.retries,
            "is_cache_hit": a.cache_hit,
            "is_grounded": a.grounded,
            "grounding_reason": a.reason,
            "called_at": now,
        }
        for g in games
        for n, a in enumerate(g.attempts, start=1)
    ]


def llm_status(provider: Provider, games: list[GameTldr]) -> str:
    """The run's totals for `status`: calls, cache hits, regenerations, retries, tokens, seconds."""
    attempts = [a for g in games for a in g.attempts]
    calls = [a for a in attempts if not a.cache_hit]
    hits = sum(1 for g in games for a in g.attempts if a.cache_hit and a.grounded)
    regenerated = sum(1 for g in games if sum(not a.cache_hit for a in g.attempts) > 1)
    grounded = sum(g.grounded for g in games)
    label = f"{provider.name}/{provider.model}" if provider.model else provider.name
    return (
        f"{label} {PROMPT_VERSION}: {grounded}/{len(games)} grounded, {len(calls)} calls, "
        f"{hits} cached, {regenerated} regenerated, {sum(a.retries for a in calls)} retries, "
        f"tokens {sum(a.tokens_in for a in calls)} in / {sum(a.tokens_out for a in calls)} out, "
        f"{sum(a.latency for a in calls):.1f}s"
    )


def summarize(ctx: RunContext) -> StepOutcome:
    return summarize_with(ctx, build_provider(ctx.settings))


def summarize_with(ctx: RunContext, provider: Provider) -> StepOutcome:
    return next(summarize_runs([ctx], provider))


def summarize_batch(ctxs: list[RunContext]) -> Iterator[StepOutcome]:
    """The summarize step of a batch of runs (a backfill's), oldest first (a BatchStep)."""
    return summarize_runs(ctxs, build_provider(ctxs[0].settings))


def _failures(games: list[GameTldr]) -> list[str]:
    failed = [f"{g.game_id}: {g.error}" for g in games if g.error]
    return failed + [f"{g.game_id}: {g.detail}" for g in games if not g.error and not g.grounded]


def summarize_runs(ctxs: list[RunContext], provider: Provider) -> Iterator[StepOutcome]:
    """Each run's TL;DRs, read, written and stored for all of `ctxs` at once: one read of their
    games and payloads, one cache lookup, one provider pool, one transaction. Yields each run's
    outcome in order; raises for the first run whose TL;DRs are not all written and grounded (its
    ops.llm_call rows are kept; the runs after it are not summarized)."""
    wh = ctxs[0].warehouse
    games, failure = _games(ctxs)
    model_key = provider.model or ""
    hashes = [g.payload_hash for run in games for g in run]
    cached = cache.lookup(wh, hashes, PROMPT_VERSION, provider.name, model_key)
    _write_all(ctxs, provider, games, cached)
    done = len(games)  # runs summarized in full; the one after them failed, if any
    for n, run in enumerate(games):
        failed = _failures(run)
        if failed:
            status = llm_status(provider, run)
            failure = SummarizeError(
                f"{len(failed)} of {len(run)} TL;DRs not written or not grounded ({status}): "
                + " | ".join(failed[:5])
            )
            done = n
            break
    now = datetime.now(UTC)
    calls = [
        row
        for ctx, run in zip(ctxs, games[: done + 1], strict=False)
        for row in _ledger_rows(ctx, provider, run)
    ]
    rows = [
        {
            "run_id": ctx.run_id,
            "league": ctx.league.league,
            "run_date": ctx.run_date,
            "game_id": g.game_id,
            "provider": provider.name,
            "llm_model": provider.model,
            "tldr_text": g.text,
            "context_json": context_json(g.payload),
            "context_hash": g.payload_hash,
            "is_grounded": g.grounded,
            "grounding_detail": g.detail,
            "generated_at": now,
        }
        for ctx, run in zip(ctxs, games[:done], strict=False)
        for g in run
    ]
    fresh = [
        (g.payload_hash, g.text, g.attempts[-1], ctx.run_id)
        for ctx, run in zip(ctxs, games[:done], strict=False)
        for g in run
        if g.payload_hash not in cached or cached[g.payload_hash] != g.text
    ]
    summarized = [c.run_id for c in ctxs[: min(done + 1, len(games))]]
    with wh.transaction():
        _replace_runs(wh, "ops.llm_call", summarized, calls)
        cache.store(wh, fresh, PROMPT_VERSION, provider.name, model_key)
        _replace_runs(wh, "outputs.game_tldr", summarized[:done], rows)
    for ctx, run in zip(ctxs, games[:done], strict=False):
        status = llm_status(provider, run)
        with log_context(run_id=ctx.run_id):
            log.info("%d TL;DRs written, all grounded: %s", len(run), status)
        yield StepOutcome(
            counts={
                "tldrs": len(run),
                "grounded": len(run),
                "llm_calls": sum(not a.cache_hit for g in run for a in g.attempts),
                "cache_hits": sum(
                    1
                    for g in run
                    if g.attempts and g.attempts[0].cache_hit and g.attempts[0].grounded
                ),
            },
            llm_status=status,
        )
    if failure is not None:
        raise failure


def _replace_runs(
    wh: Warehouse, table: str, run_ids: list[str], rows: list[dict[str, Any]]
) -> None:
    """The runs' rows of `table`, replaced (a run's re-run leaves no older row beside them)."""
    if run_ids:
        wh.execute(
            f"delete from {table} where run_id in ({', '.join('?' for _ in run_ids)})", run_ids
        )
    wh.insert_all(table, rows)
