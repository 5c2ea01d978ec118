"""Wall time and peak RSS of `spread-eagle backfill` (the offline writer) on a fresh warehouse.

    .venv/bin/python -m bench.backfill [--start 1999-09-12] [--end 2024-12-31] [--database-url URL]

Runs the real command in a child process (fresh DuckDB file unless --database-url), then runs it
again over the same range (a re-run must change nothing; its time is reported too).
`python -m bench` calls `measure`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.harness import ChildRun, run_child

START, END = "1999-09-12", "2024-12-31"


def run_backfill(
    database_url: str, work: Path, start: str, end: str, profile: Path | None = None
) -> ChildRun:
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "SPREAD_EAGLE_DATABASE_URL": database_url,
        "SPREAD_EAGLE_LOG_DIR": str(work / "logs"),
        "SPREAD_EAGLE_LLM_PROVIDER": "offline",
    }
    argv = [sys.executable]
    if profile is not None:
        argv += ["-m", "cProfile", "-o", str(profile)]
    argv += ["-m", "spread_eagle", "backfill", "--start", start, "--end", end]
    run = run_child(argv, env)
    if run.returncode:
        raise RuntimeError(f"backfill failed ({run.returncode}): {run.output[-3000:]}")
    return run


def measure(
    work: str,
    database_url: str | None = None,
    start: str = START,
    end: str = END,
    rerun: bool = False,
) -> dict[str, Any]:
    folder = Path(work)
    url = database_url or f"duckdb:///{folder / 'backfill.duckdb'}"
    first = run_backfill(url, folder, start, end)
    out: dict[str, Any] = {
        "backfill_s": [first.seconds],
        "peak_rss_mb": [first.peak_rss_mb],
        "summary": first.output.strip().splitlines()[-1:],
    }
    if rerun:
        again = run_backfill(url, folder, start, end)
        out["rerun_s"] = [again.seconds]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default=START)
    parser.add_argument("--end", default=END)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"duckdb:///{Path(tmp) / 'backfill.duckdb'}"
        run = run_backfill(url, Path(tmp), args.start, args.end, args.profile)
    print(run.output.strip().splitlines()[-1])
    print(
        f"backfill {args.start}..{args.end}: {run.seconds:.1f} s, peak RSS {run.peak_rss_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
