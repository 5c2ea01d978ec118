"""Compare the daily transform of two dbt project trees (prints its figures; not a test).

A change to the dbt project (a test folded, a model rewritten) is judged by the transform step it
gives, and this machine's speed drifts by a fifth within minutes: only runs alternated on the same
warehouse compare. One warehouse per engine is built up to 2024-11-24 (history from
--first-season), then the step's `dbt build` (`transform`, warm, the run's clock and vars) runs
--repeats times with each tree in turn; the medians of wall and CPU time are printed per tree.

Usage, against the project as it was at REV:
    mkdir /tmp/old && git archive REV dbt | tar -x -C /tmp/old
    python -m bench.dbt_trees /tmp/old/dbt [--engine duckdb|postgres|both] [--repeats 12]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.transform import DAY, drop, history_settings, landed, new_url
from spread_eagle.transform import dbt_runner
from spread_eagle.transform.step import transform


def compare(
    trees: dict[str, Path], engine: str, folder: Path, pg_url: str, first_season: int, repeats: int
) -> dict[str, tuple[list[float], list[float], int]]:
    """{tree name: (wall seconds, CPU seconds, dbt nodes)} of `repeats` alternated transforms."""
    url = new_url(engine, folder, pg_url)
    found: dict[str, tuple[list[float], list[float], int]] = {}
    try:
        ctx = landed(history_settings(url, folder, f"logs_{engine}", first_season), DAY)
        for name, tree in trees.items():  # each tree's first build (its parse, a cold cache)
            dbt_runner.DBT_PROJECT_DIR = tree
            transform(ctx)
            found[name] = ([], [], 0)
        for _ in range(repeats):
            for name, tree in trees.items():
                dbt_runner.DBT_PROJECT_DIR = tree
                wall, cpu = time.perf_counter(), time.process_time()
                outcome = transform(ctx)
                walls, cpus, _ = found[name]
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
                found[name] = (walls, cpus, int(outcome.counts["dbt_nodes"]))
        ctx.warehouse.close()
        return found
    finally:
        dbt_runner.DBT_PROJECT_DIR = trees["current"]
        drop(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "other", type=Path, help="the other project tree (its dbt_project.yml's folder)"
    )
    parser.add_argument("--engine", choices=["duckdb", "postgres", "both"], default="duckdb")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--first-season", type=int, default=2022)
    parser.add_argument("--repeats", type=int, default=12)
    args = parser.parse_args()
    if not (args.other / "dbt_project.yml").is_file():
        parser.error(f"{args.other} holds no dbt_project.yml")
    trees = {"other": args.other.resolve(), "current": dbt_runner.DBT_PROJECT_DIR}
    engines = ["duckdb", "postgres"] if args.engine == "both" else [args.engine]
    with tempfile.TemporaryDirectory(prefix="se_bench_") as tmp:
        for engine in engines:
            found = compare(trees, engine, Path(tmp), args.pg_url, args.first_season, args.repeats)
            for name, (walls, cpus, nodes) in found.items():
                print(
                    f"{engine} {name} ({trees[name]}): {nodes} dbt nodes, median of {args.repeats}:"
                    f" wall {statistics.median(walls):.2f} s, CPU {statistics.median(cpus):.2f} s"
                )


if __name__ == "__main__":
    main()
