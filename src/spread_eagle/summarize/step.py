"""The summarize step: for each game, context payload -> TL;DR -> grounding check -> game_tldr."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from spread_eagle.run import RunContext, StepOutcome
from spread_eagle.summarize import offline
from spread_eagle.summarize.context import build_context, context_hash, context_json
from spread_eagle.summarize.grounding import check_grounding
from spread_eagle.warehouse.relations import game_features, run_predictions

log = logging.getLogger(__name__)


class SummarizeError(RuntimeError):
    pass


def summarize(ctx: RunContext) -> StepOutcome:
    if ctx.settings.llm_provider != "offline":
        raise SummarizeError(
            f"LLM provider {ctx.settings.llm_provider!r} is not built yet; set SPREAD_EAGLE_LLM_PROVIDER=offline"
        )
    wh = ctx.warehouse
    features = game_features(wh, ctx.league.league, ctx.run_date)
    predictions = {
        p["game_id"]: p for p in run_predictions(wh, ctx.run_id, ctx.settings.model_name)
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
            {
                "run_id": ctx.run_id,
                "league": ctx.league.league,
                "run_date": ctx.run_date,
                "game_id": f["game_id"],
                "provider": offline.PROVIDER,
                "llm_model": None,
                "tldr_text": text,
                "context_json": context_json(context),
                "context_hash": context_hash(context),
                "is_grounded": check.grounded,
                "grounding_detail": check.detail(),
                "generated_at": now,
            }
        )
    wh.replace("outputs.game_tldr", {"run_id": ctx.run_id}, rows)
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
