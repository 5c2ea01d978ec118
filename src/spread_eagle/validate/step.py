"""The validate step: run the checks, record them, and only when every one passes make this run's
outputs the date's visible outputs (outputs.validated_run). Publish runs the same gate again on
what it is about to switch in, so nothing that fails validation is published by any path."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from spread_eagle.config import Settings
from spread_eagle.leagues import League
from spread_eagle.predict.registry import configured_versions
from spread_eagle.run import RunContext, RunInvalidError, StepOutcome, default_as_of
from spread_eagle.validate.checks import CheckResult, Scope, record_checks, run_checks
from spread_eagle.warehouse import Warehouse

log = logging.getLogger(__name__)


def scope_of(ctx: RunContext) -> Scope:
    return Scope(
        warehouse=ctx.warehouse,
        league=ctx.league.league,
        run_date=ctx.run_date,
        as_of=ctx.as_of,
        run_id=ctx.run_id,
        model_versions=configured_versions(ctx.settings.models, ctx.league),
        accept_quarantined=ctx.accept_quarantined,
        facts=ctx.league.schema("facts"),
        features=ctx.league.schema("features"),
    )


def validation_gate(ctx: RunContext) -> list[CheckResult]:
    """Check, record; raise RunInvalidError on any failure, else switch the date to this run."""
    results = run_checks(scope_of(ctx))
    record_checks(ctx.warehouse, ctx.run_id, results)
    for r in results:
        (log.info if r.passed else log.error)(
            "%s %s: %s", "PASS" if r.passed else "FAIL", r.name, r.detail
        )
    failed = [r for r in results if not r.passed]
    if failed:
        raise RunInvalidError(
            "; ".join(f"{r.name}: {r.detail}" for r in failed)
            + ". See RUNBOOK section 8 for the usual causes; fix and re-run with --from-step."
        )
    ctx.warehouse.replace(
        "outputs.validated_run",
        {"league": ctx.league.league, "run_date": ctx.run_date},
        [
            {
                "league": ctx.league.league,
                "run_date": ctx.run_date,
                "run_id": ctx.run_id,
                "validated_at": datetime.now(UTC),
            }
        ],
    )
    return results


def validate(ctx: RunContext) -> StepOutcome:
    return StepOutcome(counts={"checks_passed": len(validation_gate(ctx))})


def check_stored(
    wh: Warehouse, settings: Settings, league: League, day: date
) -> tuple[str | None, list[CheckResult]]:
    """`validate --date D`: the checks against what is stored, writing nothing. Checks the outputs
    of the date's validated run, else of its newest run, under that run's clock (a date never run
    is checked under its default clock, and fails: nothing is scheduled or stored for it)."""
    runs = wh.query(
        "select r.run_id, r.as_of, r.accept_quarantined,"
        " case when v.run_id is null then 0 else 1 end as is_validated"
        " from ops.run r left join outputs.validated_run v on v.run_id = r.run_id"
        " where r.league = ? and r.run_date = ? order by is_validated desc, r.started_at desc limit 1",
        (league.league, day),
    )
    run = runs[0] if runs else None
    scope = Scope(
        warehouse=wh,
        league=league.league,
        run_date=day,
        as_of=run["as_of"] if run else default_as_of(day, league),
        run_id=run["run_id"] if run else "-",
        model_versions=configured_versions(settings.models, league),
        accept_quarantined=bool(run and run["accept_quarantined"]),
        facts=league.schema("facts"),
        features=league.schema("features"),
    )
    return (run["run_id"] if run else None), run_checks(scope)
