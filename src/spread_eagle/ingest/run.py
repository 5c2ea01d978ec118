"""`spread-eagle ingest`: the two ingestion steps alone, recorded in the ledger as a run of their own
(ops.run.command starts with `ingest`; its step_run rows are only ingest_slate and ingest_results),
so `status` and `quarantine --run` show it like any other run. Nothing is transformed or published.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from spread_eagle.config import Settings
from spread_eagle.ingest.steps import ingest_results, ingest_slate
from spread_eagle.leagues import load_league
from spread_eagle.logging import log_context
from spread_eagle.pipeline import ledger
from spread_eagle.pipeline.runner import StepFailedError, execute_step, locked_run, open_run
from spread_eagle.warehouse import Warehouse, connect

log = logging.getLogger(__name__)

INGEST_STEPS = {"ingest_slate": ingest_slate, "ingest_results": ingest_results}


@dataclass
class IngestReport:
    run_id: str
    status: str
    failed_step: str | None = None
    error: str | None = None
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == ledger.SUCCEEDED


def run_ingest(
    settings: Settings,
    *,
    run_date: date,
    as_of: datetime | None = None,
    league: str | None = None,
    command: str = "ingest",
) -> IngestReport:
    league_config = load_league(league or settings.league)
    wh: Warehouse = connect(settings.database_url)
    started = time.perf_counter()
    try:
        with locked_run(settings, wh, league_config, run_date, as_of) as ctx:
            report = IngestReport(ctx.run_id, ledger.RUNNING)
            open_run(ctx, None, command, steps=list(INGEST_STEPS))
            try:
                for name, step in INGEST_STEPS.items():
                    report.counts[name] = execute_step(ctx, name, step).counts
            except StepFailedError as failure:
                report.status, report.failed_step, report.error = (
                    failure.status,
                    failure.step,
                    failure.error,
                )
                return report
            ledger.finish_run(wh, ctx.run_id, ledger.SUCCEEDED)
            with log_context(run_id=ctx.run_id):
                log.info("ingest run %s done in %.1fs", ctx.run_id, time.perf_counter() - started)
            report.status = ledger.SUCCEEDED
            return report
    finally:
        wh.close()


def quarantined(wh: Warehouse, run_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """What was quarantined (newest first), optionally for one run, with source, payload and reason."""
    where, params = ("where q.run_id = ?", [run_id]) if run_id else ("", [])
    return wh.query(
        "select q.run_id, q.source, q.payload_id, p.endpoint, q.record_ref, q.reason, q.record, q.quarantined_at"
        f" from raw.quarantine q left join raw.payload p on p.payload_id = q.payload_id {where}"
        f" order by q.quarantined_at desc, q.quarantine_id limit {int(limit)}",
        params,
    )
