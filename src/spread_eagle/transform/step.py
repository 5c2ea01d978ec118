"""The transform step: `dbt build` of everything but the publish-time UI models."""

from __future__ import annotations

import logging

from spread_eagle.pipeline.context import RunContext, StepOutcome
from spread_eagle.transform.dbt_runner import raise_for_failures, record_results, run_dbt

log = logging.getLogger(__name__)

STEP = "transform"


def transform(ctx: RunContext) -> StepOutcome:
    outcome = run_dbt(
        ctx.warehouse,
        ["build", "--exclude", "tag:publish"],
        league=ctx.league,
        work_dir=ctx.settings.log_dir / "dbt",
        threads=ctx.settings.dbt_threads,
    )
    record_results(ctx.warehouse, ctx.run_id, STEP, outcome)
    summary = outcome.summary()
    log.info(
        "dbt build: %s",
        ", ".join(f"{n} {status}" for status, n in summary.items()) or "nothing to do",
    )
    raise_for_failures(outcome, "dbt build")
    return StepOutcome(counts={"dbt_nodes": len(outcome.nodes), **summary}, dbt_status="success")
