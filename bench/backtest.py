"""Wall time of the walk-forward backtest on the bundled nflverse history.

    .venv/bin/python -m bench.backtest [--start-season 1999] [--end-season 2024] [--out bench/out/backtest]

Prints one line per phase and the headline figures; writes metrics.json and report.html to --out.
`python -m bench` calls `measure`, which times the real `spread-eagle backtest` command in a child
process (wall time and peak RSS).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.harness import run_child


def measure(work: str, start: int = 1999, end: int = 2024, repeat: int = 3) -> dict[str, Any]:
    seconds, rss = [], []
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    for n in range(repeat):
        out = Path(work) / f"backtest{n}"
        argv = [sys.executable, "-m", "spread_eagle", "backtest", "--start-season", str(start)]
        argv += ["--end-season", str(end), "--out", str(out)]
        run = run_child(argv, env)
        if run.returncode:
            raise RuntimeError(f"backtest failed ({run.returncode}): {run.output[-2000:]}")
        seconds.append(run.seconds)
        rss.append(run.peak_rss_mb)
    return {"backtest_s": seconds, "peak_rss_mb": rss}


def main() -> None:
    from spread_eagle.config import Settings
    from spread_eagle.leagues import load_league
    from spread_eagle.predict.backtest import load_games, run_backtest

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-season", type=int, default=1999)
    parser.add_argument("--end-season", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=Path("bench/out/backtest"))
    args = parser.parse_args()

    settings = Settings()
    started = time.perf_counter()
    league = load_league(settings.league, settings.leagues_dir)
    games = load_games(settings.games_file_for(league), league, settings.lines_file_for(league))
    loaded = time.perf_counter() - started

    started = time.perf_counter()
    metrics = run_backtest(settings, args.start_season, args.end_season, args.out)
    total = time.perf_counter() - started

    model = metrics["models"]["ratings"]
    ats = model["ats_vs_close"]
    print(
        f"games file: {settings.games_file_for(league).name}, {len(games)} games parsed in {loaded:.2f}s"
    )
    print(
        f"backtest {args.start_season}-{args.end_season}: {metrics['games']} graded games, "
        f"wall time {total:.2f}s (load + walk-forward + metrics + report)"
    )
    print(
        f"market: spread MAE {metrics['market']['spread_mae']:.2f}, win Brier {metrics['market']['win_brier']:.4f}; "
        f"ratings: spread MAE {model['spread_mae']:.2f}, win Brier {model['win_brier']:.4f}, "
        f"ATS {ats['wins']}-{ats['losses']}-{ats['pushes']} ({ats['pct']:.3f})"
    )
    print(f"wrote {args.out / 'metrics.json'} and {args.out / 'report.html'}")


if __name__ == "__main__":
    main()
