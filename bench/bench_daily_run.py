"""Wall time of `run-daily` for one date against the same dbt build alone, so the pipeline's own
overhead (ingest, predict, summarize, validate, publish) can be followed as the project grows.

usage: python bench/bench_daily_run.py [--date 2024-11-24] [--database-url URL] [--repeat 3]

Prints, for a fresh warehouse and then a warm one (history already loaded): the daily run's wall
time, the transform step's dbt build alone, and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from spread_eagle.config import Settings
from spread_eagle.leagues import load_league
from spread_eagle.pipeline.runner import run_daily
from spread_eagle.transform.dbt_runner import run_dbt
from spread_eagle.transform.step import TRANSFORM_ARGS
from spread_eagle.warehouse import connect


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--date", default="2024-11-24")
    parser.add_argument(
        "--database-url", default=None, help="default: a fresh DuckDB file in a temp folder"
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    day = date.fromisoformat(args.date)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"duckdb:///{Path(tmp) / 'bench.duckdb'}"
        settings = Settings(_env_file=None, database_url=url, log_dir=Path(tmp) / "logs")  # type: ignore[call-arg]
        league = load_league(settings.league)

        started = time.perf_counter()
        report = run_daily(settings, run_date=day, command="bench")
        cold = time.perf_counter() - started
        assert report.ok, report.error

        warm_runs, dbt_runs = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            assert run_daily(settings, run_date=day, command="bench").ok
            warm_runs.append(time.perf_counter() - started)
            with connect(url) as wh:
                started = time.perf_counter()
                outcome = run_dbt(
                    wh,
                    TRANSFORM_ARGS,  # exactly the transform step's build
                    league=league,
                    work_dir=settings.log_dir / "dbt",
                    extra_vars={"rebuild_from": day.isoformat()},
                )
                dbt_runs.append(time.perf_counter() - started)
                assert outcome.success
    warm, dbt = statistics.median(warm_runs), statistics.median(dbt_runs)
    print(f"engine:                      {url.split(':', 1)[0]}")
    print(f"date:                        {day} ({len(report.outcomes)} steps)")
    print(f"run-daily, fresh warehouse:  {cold:6.2f} s (loads 26 seasons of raw history)")
    print(f"run-daily, warm (median {args.repeat}): {warm:6.2f} s")
    print(f"dbt build alone (median {args.repeat}):  {dbt:6.2f} s")
    print(f"ratio run-daily / dbt build: {warm / dbt:6.2f}")


if __name__ == "__main__":
    main()
