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
from datetime import UTC, datetime

from spread_eagle.publish.detail import write_game_details
from spread_eagle.publish.documents import export_after_publish
from spread_eagle.publish.slate import build_card, document_hash
from spread_eagle.run import RunContext, StepOutcome, signals
from spread_eagle.transform.dbt_runner import raise_for_failures, record_results, run_dbt

log = logging.getLogger(__name__)

STEP = "publish"


class PublishError(RuntimeError):
    pass


def publish(ctx: RunContext) -> StepOutcome:
    build_ui(ctx)
    return switch(ctx)


def build_ui(ctx: RunContext) -> None:
    """dbt build of the publish-time UI relations (ui__*), from facts, features and outputs."""
    outcome = run_dbt(
        ctx.warehouse,
        ["build", "--select", "tag:publish", "--exclude-resource-type", "unit_test"],
        league=ctx.league,
        as_of=ctx.as_of,
        work_dir=ctx.settings.log_dir / "dbt" / ctx.league.league,
        threads=ctx.settings.dbt_threads,
    )
    record_results(ctx.warehouse, ctx.run_id, STEP, outcome)
    raise_for_failures(outcome, "dbt build of the UI relations")


def switch(ctx: RunContext) -> StepOutcome:
    """Copy the date's cards from the UI relations into publish.* in one transaction."""
    wh = ctx.warehouse
    league, run_date = ctx.league.league, ctx.run_date
    cards = wh.query(
        f"select * from {ctx.league.schema('ui')}.ui__game_card where league_id = ?"
        " and run_date = ? order by kickoff_at, game_id",
        (league, run_date),
    )
    predictions: dict[str, list] = defaultdict(list)
    for p in wh.query(
        f"select * from {ctx.league.schema('ui')}.ui__game_prediction"
        " where league_id = ? and run_date = ?",
        (league, run_date),
    ):
        predictions[p["game_id"]].append(p)
    expected = wh.scalar(
        f"select count(*) from {ctx.league.schema('facts')}.fct__game"
        " where league_id = ? and game_date = ?",
        (league, run_date),
    )
    if len(cards) != expected:
        raise PublishError(
            f"ui__game_card has {len(cards)} games for {expected} scheduled: not publishing a partial slate"
        )
    games = [build_card(card, predictions[card["game_id"]]) for card in cards]
    digest = document_hash({"date": run_date.isoformat(), "league": league, "games": games})
    now = datetime.now(UTC)
    # From here the switch happens entirely: a SIGTERM or Ctrl-C waits for the run to finish.
    signals.hold_until_run_ends()
    with wh.transaction():
        wh.execute(
            "delete from publish.slate_game where league = ? and run_date = ?", (league, run_date)
        )
        wh.insert_rows(
            "publish.slate_game",
            ["league", "run_date", "game_id", "ordinal", "run_id", "card_json"],
            [
                [league, run_date, g["game_id"], n, ctx.run_id, json.dumps(g, sort_keys=False)]
                for n, g in enumerate(games, start=1)
            ],
        )
        wh.execute(
            "delete from publish.slate where league = ? and run_date = ?", (league, run_date)
        )
        wh.execute(
            "insert into publish.slate (league, run_date, run_id, as_of, games, document_hash, published_at)"
            " values (?, ?, ?, ?, ?, ?, ?)",
            (league, run_date, ctx.run_id, ctx.as_of, len(games), digest, now),
        )
        wh.execute(
            "insert into ops.publication (run_id, league, run_date, games, document_hash, published_at)"
            " values (?, ?, ?, ?, ?, ?)",
            (ctx.run_id, league, run_date, len(games), digest, now),
        )
        # every publication is kept: `slate --date D --run RUN_ID` reads a past one
        wh.execute("delete from publish.slate_history_game where run_id = ?", (ctx.run_id,))
        wh.execute("delete from publish.slate_history where run_id = ?", (ctx.run_id,))
        wh.execute(
            "insert into publish.slate_history (run_id, league, run_date, as_of, games,"
            " document_hash, published_at) values (?, ?, ?, ?, ?, ?, ?)",
            (ctx.run_id, league, run_date, ctx.as_of, len(games), digest, now),
        )
        wh.insert_rows(
            "publish.slate_history_game",
            ["run_id", "game_id", "ordinal", "card_json"],
            [
                [ctx.run_id, g["game_id"], n, json.dumps(g, sort_keys=False)]
                for n, g in enumerate(games, start=1)
            ],
        )
        write_game_details(wh, ctx, games)
        # Last, before the commit: a run that lost its lock (PostgreSQL: its connection was
        # terminated, so another run of the date may be under way) must not publish.
        wh.check_run_lock(ctx.lock_key)
    export_after_publish(wh, league, run_date)
    log.info("published %d games for %s %s", len(games), league, run_date)
    return StepOutcome(counts={"games_published": len(games)}, detail=f"document {digest[:12]}")
