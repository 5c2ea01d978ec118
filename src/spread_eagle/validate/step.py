"""The validate step: run the checks, record them, fail the run if any fails."""

from __future__ import annotations

import logging

from spread_eagle.pipeline.context import RunContext, StepOutcome
from spread_eagle.predict.step import build_model
from spread_eagle.validate.checks import Scope, record_checks, run_checks

log = logging.getLogger(__name__)


class ValidationFailedError(RuntimeError):
    """The run is invalid: at least one check failed."""


def validate(ctx: RunContext) -> StepOutcome:
    scope = Scope(ctx.warehouse, ctx.league, ctx.run_date, ctx.run_id, build_model(ctx).name)
    results = run_checks(scope)
    record_checks(ctx.warehouse, ctx.run_id, results)
    for r in results:
        (log.info if r.passed else log.error)(
            "%s %s: %s", "PASS" if r.passed else "FAIL", r.name, r.detail
        )
    failed = [r for r in results if not r.passed]
    if failed:
        raise ValidationFailedError(
            "; ".join(f"{r.name}: {r.detail}" for r in failed)
            + ". See RUNBOOK section 8 for the usual causes; fix and re-run with --from-step."
        )
    return StepOutcome(counts={"checks_passed": len(results)})
