"""The publish step: build the UI relations with dbt, then make the date's slate visible in one
transaction (delete the old cards, insert the new, move the header, write the ledger row and
keep the publication in the history).

Readers only ever read `publish.*`, so they see the old slate or the new one, never a mix; a
failed or invalid run never reaches this step, so what was published before stays unchanged.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from spread_eagle.logging import log_context
from spread_eagle.publish.detail import build_game_details, write_game_details
from spread_eagle.publish.documents import export_after_publish
from spread_eagle.publish.slate import build_card, document_hash
from spread_eagle.run import RunContext, StepOutcome, signals
from spread_eagle.run.step import until_failure
from spread_eagle.transform.dbt_runner import raise_for_failures, record_results, run_dbt_for
from spread_eagle.warehouse import Warehouse, marks

log = logging.getLogger(__name__)

STEP = "publish"


class PublishError(RuntimeError):
    pass


def publish(ctx: RunContext) -> StepOutcome:
    build_ui(ctx)
    outcome = switch(ctx)
    export_after_publish(ctx.warehouse, ctx.league.league, ctx.run_date)
    return outcome


def build_ui(ctx: RunContext) -> None:
    """dbt build of the publish-time UI relations (ui__*), from facts, features and outputs."""
    outcome = run_dbt_for(
        ctx, ["build", "--select", "tag:publish", "--exclude-resource-type", "unit_test"]
    )
    record_results(ctx.warehouse, ctx.run_id, STEP, outcome)
    raise_for_failures(outcome, "dbt build of the UI relations")


def switch(ctx: RunContext) -> StepOutcome:
    """Copy the date's cards from the UI relations into publish.* in one transaction. DuckDB
    readers see it once exported (`export_after_publish`: once per date, or once per batch)."""
    return next(switch_runs([ctx]))


def switch_runs(ctxs: list[RunContext]) -> Iterator[StepOutcome]:
    """`switch` of many runs' dates (a backfill's chunk, oldest first): one read of their cards,
    and one transaction that switches each date entirely, up to the first date whose slate is
    partial (raised after the dates before it are switched). Yields each run's outcome."""
    wh, league = ctxs[0].warehouse, ctxs[0].league.league
    days = [c.run_date for c in ctxs]
    cards: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for card in wh.query(
        f"select * from {ctxs[0].league.schema('ui')}.ui__game_card where league_id = ?"
        f" and run_date in ({marks(days)})"
        " order by run_date, kickoff_at, game_id",
        (league, *days),
    ):
        cards[card["run_date"]].append(card)
    predictions: dict[tuple[date, str], list[dict[str, Any]]] = defaultdict(list)
    for p in wh.query(
        f"select * from {ctxs[0].league.schema('ui')}.ui__game_prediction where league_id = ?"
        f" and run_date in ({marks(days)})",
        (league, *days),
    ):
        predictions[(p["run_date"], p["game_id"])].append(p)
    scheduled = {
        r["game_date"]: int(r["n"])
        for r in wh.query(
            f"select game_date, count(*) as n from {ctxs[0].league.schema('facts')}.fct__game"
            " where league_id = ?"
            f" and game_date in ({marks(days)}) group by game_date",
            (league, *days),
        )
    }

    def slate(ctx: RunContext) -> tuple[list[dict[str, Any]], str]:
        day = ctx.run_date
        expected = scheduled.get(day, 0)
        if len(cards[day]) != expected:
            raise PublishError(
                f"ui__game_card has {len(cards[day])} games for {expected} scheduled: not"
                " publishing a partial slate"
            )
        headline = ctx.settings.headline_model
        games = [
            build_card(card, predictions[(day, card["game_id"])], headline) for card in cards[day]
        ]
        digest = document_hash({"date": day.isoformat(), "league": league, "games": games})
        return games, digest

    slates, failure = until_failure(ctxs, slate)
    done = ctxs[: len(slates)]
    if done:
        _switch(wh, list(zip(done, slates, strict=True)))
    for ctx, (games, digest) in zip(done, slates, strict=True):
        with log_context(run_id=ctx.run_id):
            log.info("published %d games for %s %s", len(games), league, ctx.run_date)
        yield StepOutcome(counts={"games_published": len(games)}, detail=f"document {digest[:12]}")
    if failure is not None:
        raise failure


def _switch(
    wh: Warehouse, slates: list[tuple[RunContext, tuple[list[dict[str, Any]], str]]]
) -> None:
    """The dates' slates made visible, and kept in the history, in one transaction."""
    league = slates[0][0].league.league
    days = [ctx.run_date for ctx, _ in slates]
    runs = [ctx.run_id for ctx, _ in slates]
    details = build_game_details(wh, [(ctx, games) for ctx, (games, _) in slates])
    now = datetime.now(UTC)
    # From here the switch happens entirely: a SIGTERM or Ctrl-C waits for the run to finish.
    signals.hold_until_run_ends()
    with wh.transaction():
        wh.execute(
            f"delete from publish.slate_game where league = ? and run_date in ({marks(days)})",
            (league, *days),
        )
        wh.insert_rows(
            "publish.slate_game",
            ["league", "run_date", "game_id", "ordinal", "run_id", "card_json"],
            [
                [league, ctx.run_date, g["game_id"], n, ctx.run_id, json.dumps(g, sort_keys=False)]
                for ctx, (games, _) in slates
                for n, g in enumerate(games, start=1)
            ],
        )
        wh.execute(
            f"delete from publish.slate where league = ? and run_date in ({marks(days)})",
            (league, *days),
        )
        heads = [
            [league, ctx.run_date, ctx.run_id, ctx.as_of, len(games), digest, now]
            for ctx, (games, digest) in slates
        ]
        wh.insert_rows(
            "publish.slate",
            ["league", "run_date", "run_id", "as_of", "games", "document_hash", "published_at"],
            heads,
        )
        wh.insert_rows(
            "ops.publication",
            ["run_id", "league", "run_date", "games", "document_hash", "published_at"],
            [[ctx.run_id, league, ctx.run_date, len(g), d, now] for ctx, (g, d) in slates],
        )
        # every publication is kept: `slate --date D --run RUN_ID` reads a past one
        wh.execute(f"delete from publish.slate_history_game where run_id in ({marks(runs)})", runs)
        wh.execute(f"delete from publish.slate_history where run_id in ({marks(runs)})", runs)
        wh.insert_rows(
            "publish.slate_history",
            ["run_id", "league", "run_date", "as_of", "games", "document_hash", "published_at"],
            [
                [ctx.run_id, league, ctx.run_date, ctx.as_of, len(g), d, now]
                for ctx, (g, d) in slates
            ],
        )
        wh.insert_rows(
            "publish.slate_history_game",
            ["run_id", "game_id", "ordinal", "card_json"],
            [
                [ctx.run_id, g["game_id"], n, json.dumps(g, sort_keys=False)]
                for ctx, (games, _) in slates
                for n, g in enumerate(games, start=1)
            ],
        )
        write_game_details(wh, league, days, details)
        # Last, before the commit: a run that lost its lock (PostgreSQL: its connection was
        # terminated, so another run of the date may be under way) must not publish.
        for ctx, _ in slates:
            wh.check_run_lock(ctx.lock_key)
