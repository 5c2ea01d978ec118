"""A daily NBA run against a daily NFL run of the same size (12 games each), on one warm DuckDB
warehouse holding both leagues: issue 15's goal is the NBA's within 1.2x of the NFL's.

usage: python -m bench.leagues [--repeat 3]

The NBA's history is three times the NFL's (21k games against 6.6k) and its schedule has ten
times the dates, so what a run does in proportion to history (the models' walk, the incremental
builds, the results payloads) shows here. Each league runs once on the fresh warehouse (loading
its history), then `repeat` warm pairs, NFL then NBA; the ratio is taken pair by pair.
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
from spread_eagle.pipeline.runner import run_daily

# 12-game dates of each league's bundled history
DAYS = {"nfl": date(2023, 12, 10), "nba": date(2024, 1, 3)}


def measure(work: str, repeat: int = 3) -> dict[str, Any]:
    """{"nfl_s": [...], "nba_s": [...]} of warm runs, after one cold run each."""
    folder = Path(work)
    url = f"duckdb:///{folder / 'leagues.duckdb'}"
    configs = {
        league: Settings(_env_file=None, database_url=url, log_dir=folder / "logs", league=league)  # type: ignore[call-arg]
        for league in DAYS
    }

    def run(league: str) -> float:
        started = time.perf_counter()
        report = run_daily(configs[league], run_date=DAYS[league], command="bench")
        assert report.ok, report.error
        return time.perf_counter() - started

    cold = {league: run(league) for league in DAYS}
    warm: dict[str, list[float]] = {league: [] for league in DAYS}
    for _ in range(repeat):
        for league in DAYS:
            warm[league].append(run(league))
    return {
        "days": {league: day.isoformat() for league, day in DAYS.items()},
        "cold_s": cold,
        "nfl_s": warm["nfl"],
        "nba_s": warm["nba"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        got = measure(tmp, args.repeat)
    nfl, nba = statistics.median(got["nfl_s"]), statistics.median(got["nba_s"])
    ratios = [b / f for b, f in zip(got["nba_s"], got["nfl_s"], strict=True)]
    print(f"NFL {got['days']['nfl']}, warm (median {args.repeat}): {nfl:6.2f} s")
    print(f"NBA {got['days']['nba']}, warm (median {args.repeat}): {nba:6.2f} s")
    print(f"ratio NBA / NFL (median of pairs):   {statistics.median(ratios):6.2f}")


if __name__ == "__main__":
    main()
