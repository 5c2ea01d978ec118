"""The summarize step: per game, payload -> TL;DR (cache or provider) -> grounding gate -> game_tldr.

A TL;DR that fails the gate is written again with the reason fed back, at most
`llm_grounding_attempts` times; a game still ungrounded (or a provider that fails after its
retries) fails the step, so the run is invalid and nothing of the date is published. Providers
run on a bounded thread pool; every warehouse read and write stays on the step's own thread.
"""

from __future__ import annotations

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from spread_eagle.leagues import League
from spread_eagle.run import RunContext, StepOutcome
from spread_eagle.summarize import cache
from spread_eagle.summarize.context import context_hash, context_json, retrieve
from spread_eagle.summarize.grounding import check_grounding
from spread_eagle.summarize.prompt import PROMPT_VERSION, render
from spread_eagle.summarize.providers import Provider, ProviderError, build_provider
from spread_eagle.warehouse.relations import game_features, run_predictions

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


def _games(ctx: RunContext) -> list[GameTldr]:
    wh = ctx.warehouse
    features = game_features(wh, ctx.league, ctx.run_date)
    every: dict[str, list[dict[str, Any]]] = {}
    for p in run_predictions(wh, ctx.run_id):
        every.setdefault(p["game_id"], []).append(p)
    headline = ctx.settings.headline_model
    predictions = {g: p for g, ps in every.items() for p in ps if p["model"] == headline}
    for f in features:
        if f["game_id"] not in predictions:
            raise SummarizeError(
                f"run {ctx.run_id} has no prediction of {f['game_id']}; re-run from the predict step"
            )
    payloads = retrieve(
        wh,
        ctx.league,
        [(f, predictions[f["game_id"]], every[f["game_id"]]) for f in features],
    )
    return [GameTldr(p["game"]["game_id"], p, context_hash(p)) for p in payloads]


def _write_all(
    ctx: RunContext, provider: Provider, games: list[GameTldr], cached: dict[str, str]
) -> None:
    settings = ctx.settings

    def one(game: GameTldr) -> GameTldr:
        return write_grounded(
            provider,
            game,
            ctx.league,
            settings.llm_grounding_attempts,
            cached.get(game.payload_hash),
        )

    # each task runs in a copy of this thread's context, so its log records keep run_id and step
    with ThreadPoolExecutor(max_workers=settings.llm_max_concurrency) as pool:
        futures = [pool.submit(contextvars.copy_context().run, one, g) for g in games]
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
    wh = ctx.warehouse
    games = _games(ctx)
    model_key = provider.model or ""
    cached = cache.lookup(
        wh, [g.payload_hash for g in games], PROMPT_VERSION, provider.name, model_key
    )
    _write_all(ctx, provider, games, cached)
    wh.replace("ops.llm_call", {"run_id": ctx.run_id}, _ledger_rows(ctx, provider, games))
    status = llm_status(provider, games)
    failed = [f"{g.game_id}: {g.error}" for g in games if g.error]
    failed += [f"{g.game_id}: {g.detail}" for g in games if not g.error and not g.grounded]
    if failed:
        raise SummarizeError(
            f"{len(failed)} of {len(games)} TL;DRs not written or not grounded ({status}): "
            + " | ".join(failed[:5])
        )
    now = datetime.now(UTC)
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
        for g in games
    ]
    fresh = [g for g in games if g.payload_hash not in cached or cached[g.payload_hash] != g.text]
    with wh.transaction():
        cache.store(
            wh,
            [(g.payload_hash, g.text, g.attempts[-1]) for g in fresh],
            PROMPT_VERSION,
            provider.name,
            model_key,
            ctx.run_id,
        )
        wh.replace("outputs.game_tldr", {"run_id": ctx.run_id}, rows)
    log.info("%d TL;DRs written, all grounded: %s", len(rows), status)
    return StepOutcome(
        counts={
            "tldrs": len(rows),
            "grounded": len(rows),
            "llm_calls": sum(not a.cache_hit for g in games for a in g.attempts),
            "cache_hits": sum(
                1
                for g in games
                if g.attempts and g.attempts[0].cache_hit and g.attempts[0].grounded
            ),
        },
        llm_status=status,
    )
