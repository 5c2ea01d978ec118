"""Wall time of the 2015-2024 walk-forward backtest on the bundled nflverse history.

    .venv/bin/python bench/bench_backtest.py [--start-season 2015] [--end-season 2024] [--out bench/out/backtest]

Prints one line per phase and the headline figures; writes metrics.json and report.html to --out.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from spread_eagle.config import Settings
from spread_eagle.leagues import load_league
from spread_eagle.predict.backtest import load_games, run_backtest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-season", type=int, default=2015)
    parser.add_argument("--end-season", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=Path("bench/out/backtest"))
    args = parser.parse_args()

    settings = Settings()
    started = time.perf_counter()
    games = load_games(
        settings.resolved_games_file, load_league(settings.league), settings.resolved_lines_file
    )
    loaded = time.perf_counter() - started

    started = time.perf_counter()
    metrics = run_backtest(settings, args.start_season, args.end_season, args.out)
    total = time.perf_counter() - started

    model = metrics["models"]["ratings"]
    ats = model["ats_vs_close"]
    print(
        f"games file: {settings.resolved_games_file.name}, {len(games)} games parsed in {loaded:.2f}s"
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
