"""The summarize step: for each game, context payload -> TL;DR -> grounding check -> game_tldr."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from spread_eagle.pipeline.context import RunContext, StepOutcome
from spread_eagle.predict.step import build_model
from spread_eagle.summarize import offline
from spread_eagle.summarize.context import build_context, context_hash, context_json
from spread_eagle.summarize.grounding import check_grounding

log = logging.getLogger(__name__)


class SummarizeError(RuntimeError):
    pass


def summarize(ctx: RunContext) -> StepOutcome:
    if ctx.settings.llm_provider != "offline":
        raise SummarizeError(
            f"LLM provider {ctx.settings.llm_provider!r} is not built yet; set SPREAD_EAGLE_LLM_PROVIDER=offline"
        )
    wh = ctx.warehouse
    model_name = build_model(ctx).name
    features = wh.query(
        "select * from features.feat__game where league_id = ? and game_date = ? order by kickoff_at, game_id",
        (ctx.league.league, ctx.run_date),
    )
    predictions = {
        p["game_id"]: p
        for p in wh.query(
            "select * from outputs.game_prediction where league = ? and run_date = ? and model = ?",
            (ctx.league.league, ctx.run_date, model_name),
        )
    }
    rows, ungrounded = [], []
    now = datetime.now(UTC)
    for f in features:
        prediction = predictions.get(f["game_id"])
        if prediction is None:
            raise SummarizeError(f"no prediction of {f['game_id']} ; re-run from the predict step")
        context = build_context(f, prediction, ctx.league)
        text = offline.write_tldr(context)
        check = check_grounding(text, context, ctx.league.teams)
        if not check.grounded:
            ungrounded.append(f"{f['game_id']}: {check.detail()}")
        rows.append(
            [
                ctx.run_id,
                ctx.league.league,
                ctx.run_date,
                f["game_id"],
                offline.PROVIDER,
                None,
                text,
                context_json(context),
                context_hash(context),
                check.grounded,
                check.detail(),
                now,
            ]
        )
    with wh.transaction():
        wh.execute(
            "delete from outputs.game_tldr where league = ? and run_date = ?",
            (ctx.league.league, ctx.run_date),
        )
        wh.insert_rows(
            "outputs.game_tldr",
            [
                "run_id",
                "league",
                "run_date",
                "game_id",
                "provider",
                "llm_model",
                "tldr_text",
                "context_json",
                "context_hash",
                "is_grounded",
                "grounding_detail",
                "generated_at",
            ],
            rows,
        )
    for problem in ungrounded:
        log.warning("TL;DR not grounded: %s", problem)
    log.info(
        "%d TL;DRs written by %s, %d grounded",
        len(rows),
        offline.PROVIDER,
        len(rows) - len(ungrounded),
    )
    return StepOutcome(
        counts={"tldrs": len(rows), "grounded": len(rows) - len(ungrounded)},
        llm_status=f"{offline.PROVIDER}: {len(rows)} ok",
    )
