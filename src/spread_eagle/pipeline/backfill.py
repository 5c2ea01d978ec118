"""Backfill: the daily run for every date in a range, oldest first, so history is rebuilt in order
(each date's raw before its dbt, models and content; each date validated and published)."""

from __future__ import annotations

import csv
import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from spread_eagle.config import Settings
from spread_eagle.leagues import load_league
from spread_eagle.pipeline.runner import run_daily
from spread_eagle.warehouse import connect

log = logging.getLogger(__name__)


@dataclass
class BackfillResult:
    dates: int = 0
    published: int = 0
    failed: list[tuple[date, str]] = field(default_factory=list)
    seconds: float = 0.0


def dates_to_fill(settings: Settings, start: date, end: date) -> list[date]:
    """With the replay schedule, only dates that have games; otherwise every date."""
    if settings.schedule_provider == "replay":
        with settings.resolved_games_file.open(encoding="utf-8-sig", newline="") as handle:
            days = {row.get("gameday") for row in csv.DictReader(handle)}
        return sorted(d for d in (date.fromisoformat(x) for x in days if x) if start <= d <= end)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def backfill(
    settings: Settings, start: date, end: date, league: str | None = None
) -> BackfillResult:
    league_config = load_league(league or settings.league)
    days = dates_to_fill(settings, start, end)
    result = BackfillResult(dates=len(days))
    started = time.perf_counter()
    wh = connect(settings.database_url)
    try:
        with Progress(
            TextColumn("backfill {task.fields[day]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=False,
        ) as progress:
            task = progress.add_task("backfill", total=len(days), day="")
            for day in days:
                progress.update(task, day=day.isoformat())
                report = run_daily(
                    settings,
                    run_date=day,
                    league=league_config.league,
                    command="backfill",
                    warehouse=wh,
                )
                if report.ok:
                    result.published += 1
                else:
                    result.failed.append((day, f"{report.failed_step}: {report.error}"))
                    log.error("backfill stopped at %s: later dates depend on it", day)
                    break
                progress.advance(task)
    finally:
        wh.close()
    result.seconds = time.perf_counter() - started
    return result
