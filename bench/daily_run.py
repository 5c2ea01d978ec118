"""Wall time of `run-daily` for one date against the same dbt build alone, so the pipeline's own
overhead (ingest, predict, summarize, validate, publish) can be followed as the project grows.

usage: python -m bench.daily_run [--date 2024-11-24] [--database-url URL] [--repeat 3]

Prints, for a fresh warehouse and then a warm one (history already loaded): the daily run's wall
time, the transform step's dbt build alone, and their ratio (pair by pair, in the same run).
`python -m bench` calls `measure` in a child process (for its peak RSS).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from spread_eagle.config import Settings
from spread_eagle.leagues import load_league
from spread_eagle.pipeline.runner import run_daily
from spread_eagle.transform.dbt_runner import run_dbt
from spread_eagle.transform.step import TRANSFORM_ARGS
from spread_eagle.warehouse import connect

DAY = "2024-11-24"


def measure(
    work: str, database_url: str | None = None, day: str = DAY, repeat: int = 3, **settings: Any
) -> dict[str, Any]:
    """run-daily once on a fresh warehouse (cold), then `repeat` pairs of a warm run-daily and the
    transform step's bare in-process dbt build: {"cold_s": [...], "run_daily_s": [...],
    "dbt_build_s": [...]}."""
    run_date = date.fromisoformat(day)
    folder = Path(work)
    url = database_url or f"duckdb:///{folder / 'daily.duckdb'}"
    config = Settings(_env_file=None, database_url=url, log_dir=folder / "logs", **settings)  # type: ignore[call-arg]
    league = load_league(config.league)

    started = time.perf_counter()
    report = run_daily(config, run_date=run_date, command="bench")
    cold = time.perf_counter() - started
    assert report.ok, report.error

    warm_runs, dbt_runs = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        report = run_daily(config, run_date=run_date, command="bench")
        warm_runs.append(time.perf_counter() - started)
        assert report.ok, report.error
        with connect(url) as wh:
            started = time.perf_counter()
            outcome = run_dbt(
                wh,
                TRANSFORM_ARGS,  # exactly the transform step's build
                league=league,
                work_dir=config.log_dir / "dbt" / league.league,
                threads=config.dbt_threads,
                extra_vars={"rebuild_from": run_date.isoformat()},
            )
            dbt_runs.append(time.perf_counter() - started)
            assert outcome.success
    return {
        "engine": url.split(":", 1)[0],
        "steps": len(report.outcomes),
        "cold_s": [cold],
        "run_daily_s": warm_runs,
        "dbt_build_s": dbt_runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--date", default=DAY)
    parser.add_argument(
        "--database-url", default=None, help="default: a fresh DuckDB file in a temp folder"
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        got = measure(tmp, args.database_url, args.date, args.repeat)
    warm, dbt = statistics.median(got["run_daily_s"]), statistics.median(got["dbt_build_s"])
    print(f"engine:                      {got['engine']}")
    print(f"date:                        {args.date} ({got['steps']} steps)")
    print(f"run-daily, fresh warehouse:  {got['cold_s'][0]:6.2f} s")
    print(f"run-daily, warm (median {args.repeat}): {warm:6.2f} s")
    print(f"dbt build alone (median {args.repeat}):  {dbt:6.2f} s")
    print(f"ratio run-daily / dbt build: {warm / dbt:6.2f}")


if __name__ == "__main__":
    main()
