"""The transform step: `dbt build` of everything but the publish-time UI models.

dbt's unit tests check the SQL logic against fixed rows, not the day's data, so (as dbt Labs
recommends) they run in CI (`tests/transform/test_dbt_project.py`, `dbt test --select
test_type:unit`) rather than on every daily run; so do the intermediate views' data tests (below).
Every other data test runs here, every day.
"""

from __future__ import annotations

import logging
from datetime import date

from spread_eagle.corrections import pending_rebuild_from, record_applied
from spread_eagle.run import RunContext, StepOutcome
from spread_eagle.transform.dbt_runner import raise_for_failures, record_results, run_dbt_for

log = logging.getLogger(__name__)

STEP = "transform"
# The intermediate models are views: each data test on one re-computes the view over all history,
# which made the daily build grow with history on PostgreSQL. Their guarantees are re-checked on
# the facts built from them (keys, relationships, bounds) every day, and the intermediate tests
# themselves run over the whole 1999-2024 history in CI (tests/transform/test_dbt_project.py) and
# in any `dbt build` by hand.
TRANSFORM_ARGS = [
    "build",
    "--exclude",
    "tag:publish",
    "path:models/intermediate,resource_type:test",
    "--exclude-resource-type",
    "unit_test",
]


def transform(ctx: RunContext, rebuild_from: date | None = None) -> StepOutcome:
    """Build staging -> features. Incremental models re-process at least from `rebuild_from`
    (default: the run's date), so data a run adds for an older date is never left behind; and
    from the earliest game corrected (`spread-eagle correct-result`) since the last build, so a
    correction reaches every later feature even beyond the incremental lookback."""
    start = rebuild_from or ctx.run_date
    corrected = pending_rebuild_from(ctx.warehouse, ctx.league.league, ctx.as_of)
    if corrected is not None and corrected < start:
        log.info("re-processing incremental features from %s: a result was corrected", corrected)
        start = corrected
    outcome = run_dbt_for(ctx, TRANSFORM_ARGS, extra_vars={"rebuild_from": start.isoformat()})
    record_results(ctx.warehouse, ctx.run_id, STEP, outcome)
    summary = outcome.summary()
    log.info(
        "dbt build: %s",
        ", ".join(f"{n} {status}" for status, n in summary.items()) or "nothing to do",
    )
    raise_for_failures(outcome, "dbt build")
    applied = record_applied(ctx.warehouse, ctx.league.league, ctx.run_id, ctx.as_of)
    counts = {"dbt_nodes": len(outcome.nodes), **summary}
    if applied:
        counts["corrections_applied"] = applied
    detail = f"rebuilt from {start}" if start != (rebuild_from or ctx.run_date) else None
    return StepOutcome(counts=counts, dbt_status="success", detail=detail)
