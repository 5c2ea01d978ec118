"""The validate step: run the checks, record them, and only when every one passes make this run's
outputs the date's visible outputs (outputs.validated_run). Publish runs the same gate again on
what it is about to switch in, so nothing that fails validation is published by any path."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime

from spread_eagle.config import Settings
from spread_eagle.leagues import League
from spread_eagle.logging import log_context
from spread_eagle.predict.registry import configured_versions
from spread_eagle.run import RunContext, RunInvalidError, StepOutcome, default_as_of
from spread_eagle.validate import checks
from spread_eagle.validate.checks import CheckResult, Scope
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
    results, failure = validation_gates([ctx])
    if failure is not None:
        raise failure
    return results[0]


def validation_gates(
    ctxs: list[RunContext],
) -> tuple[list[list[CheckResult]], RunInvalidError | None]:
    """The gate of many runs (a backfill's batch, oldest first) from one read: each run's checks
    recorded, and the dates of the runs that passed switched to them, up to the first run that
    failed (its checks recorded too). Returns the checks of the runs that passed, and the failure
    of the one that did not (the runs after it are not checked)."""
    wh = ctxs[0].warehouse
    checked = checks.run_checks_of([scope_of(c) for c in ctxs])
    passed: list[list[CheckResult]] = []
    failure = None
    for ctx, results in zip(ctxs, checked, strict=True):
        with log_context(run_id=ctx.run_id):
            for r in results:
                (log.info if r.passed else log.error)(
                    "%s %s: %s", "PASS" if r.passed else "FAIL", r.name, r.detail
                )
        failed = [r for r in results if not r.passed]
        if failed:
            failure = RunInvalidError(
                "; ".join(f"{r.name}: {r.detail}" for r in failed)
                + ". See RUNBOOK section 8 for the usual causes; fix and re-run with --from-step."
            )
            break
        passed.append(results)
    valid = ctxs[: len(passed)]
    now = datetime.now(UTC)
    with wh.transaction():
        checks.record_checks(
            wh, [(c.run_id, r) for c, r in zip(ctxs, checked[: len(passed) + 1], strict=False)]
        )
        if valid:
            league, days = ctxs[0].league.league, [c.run_date for c in valid]
            wh.execute(
                "delete from outputs.validated_run where league = ?"
                f" and run_date in ({', '.join('?' for _ in days)})",
                (league, *days),
            )
            wh.insert_all(
                "outputs.validated_run",
                [
                    {
                        "league": league,
                        "run_date": c.run_date,
                        "run_id": c.run_id,
                        "validated_at": now,
                    }
                    for c in valid
                ],
            )
    return passed, failure


def validate(ctx: RunContext) -> StepOutcome:
    return next(validate_batch([ctx]))


def validate_batch(ctxs: list[RunContext]) -> Iterator[StepOutcome]:
    """The validate step of a batch of runs, oldest first (a BatchStep)."""
    passed, failure = validation_gates(ctxs)
    for results in passed:
        yield StepOutcome(counts={"checks_passed": len(results)})
    if failure is not None:
        raise failure


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
    return (run["run_id"] if run else None), checks.run_checks(scope)
