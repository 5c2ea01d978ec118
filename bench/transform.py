"""Benchmark the transform step (prints its figures; not a test).

1. One daily run's transform with one season of history, and with all 26 (1999-2024): the
   warehouse is first built up to the day before, then the measured run is the real transform
   step (`dbt build` of models and data tests, incremental) for 2024-11-24, median of 3.
2. The full build of 1999-2024 (`dbt build --full-refresh`) from an empty warehouse.

Usage: python -m bench.transform [--engine duckdb|postgres|both] [--pg-url postgresql://...]
`python -m bench` calls `measure` in a child process per engine.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from bench.harness import drop_pg_database, fresh_pg_database
from spread_eagle.config import BUNDLED_GAMES_FILE, Settings
from spread_eagle.ingest.steps import ingest_results, ingest_slate
from spread_eagle.leagues import load_league
from spread_eagle.run.context import RunContext, default_as_of, new_run_id
from spread_eagle.transform.dbt_runner import run_dbt
from spread_eagle.transform.step import TRANSFORM_ARGS, transform
from spread_eagle.warehouse import connect

DAY = date(2024, 11, 24)
PREVIOUS_DAY = date(2024, 11, 21)
REPEATS = 3


def games_file(folder: Path, first_season: int) -> Path:
    with BUNDLED_GAMES_FILE.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [r for r in reader if int(r["season"]) >= first_season]
        fields = list(reader.fieldnames or [])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = folder / f"games_{first_season}.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def new_url(engine: str, folder: Path, pg_url: str) -> str:
    if engine == "duckdb":
        return f"duckdb:///{folder / f'{uuid.uuid4().hex[:8]}.duckdb'}"
    return fresh_pg_database(pg_url)


def drop(url: str) -> None:
    if url.startswith("postgresql"):
        drop_pg_database(url)


def context(settings: Settings, day: date) -> RunContext:
    league = load_league("nfl")
    wh = connect(settings.database_url)
    wh.migrate()
    return RunContext(
        run_id=new_run_id(),
        league=league,
        run_date=day,
        as_of=default_as_of(day, league),
        settings=settings,
        warehouse=wh,
    )


def history_settings(url: str, folder: Path, logs: str, first_season: int) -> Settings:
    """Settings on `url` whose games file holds the seasons from `first_season` on."""
    return Settings(
        _env_file=None,
        database_url=url,
        log_dir=folder / logs,
        games_file=games_file(folder, first_season),
    )  # type: ignore[call-arg]


def landed(settings: Settings, day: date) -> RunContext:
    """A run of `day` with its slate and results ingested: what its transform builds from."""
    ctx = context(settings, day)
    ingest_slate(ctx)
    ingest_results(ctx)
    return ctx


def daily_transform_seconds(
    engine: str, folder: Path, pg_url: str, first_season: int, repeats: int = REPEATS
) -> tuple[list[float], int]:
    url = new_url(engine, folder, pg_url)
    try:
        settings = history_settings(url, folder, f"logs_{engine}_{first_season}", first_season)
        warm = landed(settings, PREVIOUS_DAY)  # history up to the previous game day, built once
        transform(warm)
        warm.warehouse.close()
        ctx = landed(settings, DAY)
        timings = []
        for _ in range(repeats):  # the same day's transform again (a re-run), median of REPEATS
            started = time.perf_counter()
            outcome = transform(ctx)
            timings.append(time.perf_counter() - started)
        games = ctx.warehouse.scalar("select count(*) from features.feat__game")
        ctx.warehouse.close()
        assert outcome.dbt_status == "success"
        return timings, int(games)
    finally:
        drop(url)


def full_build_seconds(engine: str, folder: Path, pg_url: str) -> tuple[float, int]:
    url = new_url(engine, folder, pg_url)
    try:
        settings = Settings(
            _env_file=None, database_url=url, log_dir=folder / f"logs_full_{engine}"
        )  # type: ignore[call-arg]
        ctx = context(settings, date(2025, 2, 9))
        ingest_slate(ctx)
        ingest_results(ctx)
        # parse once so the figure is the build, not dbt's first parse of the project
        run_dbt(ctx.warehouse, ["parse"], league=ctx.league, work_dir=settings.log_dir / "dbt")
        started = time.perf_counter()
        outcome = run_dbt(
            ctx.warehouse,
            [*TRANSFORM_ARGS, "--full-refresh"],
            league=ctx.league,
            work_dir=settings.log_dir / "dbt",
            threads=settings.dbt_threads,
        )
        seconds = time.perf_counter() - started
        assert outcome.success, outcome.failures()[:3]
        with connect(url) as wh:
            games = int(wh.scalar("select count(*) from features.feat__game"))
        return seconds, games
    finally:
        drop(url)


def measure(
    work: str,
    engine: str = "duckdb",
    pg_url: str = "",
    first_seasons: tuple[int, int] = (2024, 1999),
    repeat: int = REPEATS,
) -> dict[str, Any]:
    """The daily transform with history from first_seasons[0] (1 season) and from
    first_seasons[1] (26 by default), `repeat` times each: {"short_s", "long_s", games...}."""
    folder = Path(work)
    short, short_games = daily_transform_seconds(engine, folder, pg_url, first_seasons[0], repeat)
    long, long_games = daily_transform_seconds(engine, folder, pg_url, first_seasons[1], repeat)
    return {
        "engine": engine,
        "short_s": short,
        "long_s": long,
        "short_games": short_games,
        "long_games": long_games,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["duckdb", "postgres", "both"], default="both")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    engines = ["duckdb", "postgres"] if args.engine == "both" else [args.engine]
    with tempfile.TemporaryDirectory(prefix="se_bench_") as tmp:
        folder = Path(tmp)
        for engine in engines:
            ones, one_games = daily_transform_seconds(engine, folder, args.pg_url, 2024)
            alls, all_games = daily_transform_seconds(engine, folder, args.pg_url, 1999)
            one, all_ = statistics.median(ones), statistics.median(alls)
            print(
                f"{engine}: daily transform {DAY} with 1 season of history ({one_games} games): {one:.2f} s"
            )
            print(
                f"{engine}: daily transform {DAY} with 26 seasons of history ({all_games} games): {all_:.2f} s"
            )
            print(f"{engine}: ratio 26 seasons / 1 season: {all_ / one:.2f}x (goal <= 1.10x)")
            full, games = full_build_seconds(engine, folder, args.pg_url)
            print(
                f"{engine}: full build 1999-2024 (dbt build --full-refresh, {games} games): {full:.2f} s"
            )


if __name__ == "__main__":
    main()
